@perf
Feature: The product owner's latency budgets
  The plan's budgets, each at the size it holds for. Every scenario reports the number it
  measured (a median over repeated runs, or a percentile over many requests); the
  ambitious targets and the comparisons with peers live in benchmarks/ (make bench).
  The budget of the whole acceptance suite (under 5 minutes, every pass) is judged on the
  run it is part of: `make test` reports each pass's time and fails a suite over budget.

  Rule: the complete pipeline fits in a minute on the embedded default

    Scenario: Recipe to predictions on 2,000 sessions takes under 60 seconds
      When the complete pipeline runs 3 times on 2000 synthetic sessions
      Then its median duration is under 60 seconds

  @fixture.trained_model
  Rule: a prediction with schema validation answers within 200 milliseconds

    Scenario: The 99th percentile of 300 single-session predictions is under 200 ms
      Given the trained session-outcome model is served by a running service
      When a client asks for 300 single-session predictions one after another
      Then the 99th percentile of their response times is under 200 milliseconds

  @fixture.trained_model
  Rule: checking data against the training schema takes under 100 milliseconds

    Scenario: A million sessions are checked against the trained model's schema in under 100 ms
      Given 1000000 new sessions to score with the trained model
      When their schema is checked 5 times
      Then the median check takes under 100 milliseconds

  Rule: rendering and checking a loader's SQL takes under 50 milliseconds

    Scenario: The example recipe's SQL is rendered and checked in under 50 ms
      When the example recipe's SQL is rendered and checked 200 times
      Then the median rendering takes under 50 milliseconds

  Rule: the point-in-time join costs at most 20% more than the plan's plain latest-value join
    The plan's plain join takes each user's latest row and merges it onto the sessions
    (pandas: sort, keep the last row per user, merge); it ignores time and leaks the
    future. benchmarks/pit_join.py also compares mmp with DuckDB's faster plain join.

    Scenario: On 1,000,000 sessions and 5,000,000 feature rows the point-in-time join is at most 20% slower
      Given 1000000 sessions and 5000000 feature rows over 100000 users and 366 days
      When both joins run 3 times on the same rows
      Then the point-in-time join's median is at most 1.2 times the plain join's median
