@perf
Feature: The product owner's latency budgets
  The plan's budgets, each at the size it holds for. Every scenario reports the number it
  measured (a median over repeated runs, or a percentile over many requests); the
  ambitious targets and the comparisons with peers live in benchmarks/ (make bench).

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
