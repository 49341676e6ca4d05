@reliability
Feature: Nothing half-written and nothing lost when things go wrong
  A scoring run that dies part-way, two trainings started together, corrupt input, heavy
  or hostile traffic: mmp either finishes a job completely or refuses it with one clear
  reason, and never leaves half a result behind.

  @fixture.trained_model
  Rule: a scoring run that fails part-way leaves no partial predictions

    Background:
      Given a warehouse of 3000 sessions to score with the trained session-outcome model

    Scenario: A scoring run killed halfway leaves the earlier predictions as they were
      Given predictions for the sessions from 2024-01-21 to 2024-05-01 were written earlier
      When a new scoring run of those sessions is killed after its first chunk
      Then the earlier predictions are unchanged

    Scenario: Scoring again after a killed run writes every prediction, and nothing partial remains
      Given a scoring run of the sessions from 2024-01-21 to 2024-05-01 was killed after its first chunk
      When the data scientist scores those sessions again
      Then every one of those sessions has exactly one prediction
      And no partial predictions file is left behind

    Scenario: Sessions that break the schema in a later chunk stop the run and keep the earlier predictions
      Given predictions for the sessions from 2024-01-21 to 2024-05-01 were written earlier
      And the last 50 of those sessions have lost their page views
      When the data scientist scores those sessions again, 500 at a time
      Then scoring is refused naming "page_views" in a chunk after the first
      And the earlier predictions are unchanged

    Scenario: A session whose number is too large for the model stops the run and keeps the earlier predictions
      Given predictions for the sessions from 2024-01-21 to 2024-05-01 were written earlier
      And the last of those sessions lasted 1e39 seconds
      When the data scientist scores those sessions again, 500 at a time
      Then scoring is refused naming "session_duration" in a chunk after the first
      And the earlier predictions are unchanged

  @fixture.trained_feature_model
  Rule: scoring streams the sessions a chunk at a time, and the chunks change nothing

    Scenario: Sessions scored a few at a time get the same predictions as all at once
      Given the feature model's predictions for the sessions from 2024-01-01 to 2024-01-26, scored all at once
      When the data scientist scores those sessions again, 37 at a time
      Then the predictions are identical, row for row, to those scored all at once
      And progress was reported after every chunk of 37 sessions

  @fixture.feature_store.600
  Rule: trainings started at the same moment each log a complete run of their own

    Scenario: Two trainings at the same moment give two complete, independent runs
      When two data scientists train the feature recipe at the same moment, on 2024-01-01 to 2024-01-15 and on 2024-01-08 to 2024-01-22
      Then both trainings succeed with two different runs, each recording its own window
      And each run scores the sessions from 2024-01-22 to 2024-01-24 with the registered features

  @fixture.feature_store
  Rule: corrupt input is refused with one clear error, and nothing is written

    Scenario Outline: <input> is refused with one clear error and nothing written
      When the data scientist gives mmp <input>
      Then mmp exits non-zero with one error saying "<reason>" and a hint
      And nothing was written: no run, no predictions, no output file

      Examples: broken recipes and templates
        | input                                  | reason                            |
        | a recipe with broken syntax            | not valid YAML                    |
        | a recipe naming a missing SQL template | does not exist                    |
        | a template that reads an unknown table | Table with name sesions does not exist |
        | a window with no sessions              | returned no rows                  |

      Examples: broken data and feature references
        | input                                  | reason                            |
        | a spine file that is not parquet       | cannot read the spine             |
        | a spine without the entity columns     | the rows have no column 'user_id' |
        | a feature view the registry lacks      | is not in the registry            |

  @fixture.trained_model
  Rule: the service keeps answering, correctly, whatever its clients do

    @slow
    Scenario: Eight clients asking without pause for 30 seconds get no error, and memory stays flat
      Given an operator serves the trained session-outcome model
      When 8 clients ask for predictions without pause for 30 seconds
      Then every request was answered without an error
      And the service's memory at the end is within 10% of its memory after warm-up

    Scenario: Generated requests never crash the service nor break its published schema
      Given the trained session-outcome model is served with its request limits
      When the published API is fuzzed with 50 generated requests per operation
      Then no request caused a server error and every answer matched the published schema

    Scenario Outline: <request> is refused before it is processed
      Given the trained session-outcome model is served with its request limits
      When a client sends <request>
      Then the service refuses it with status <status> saying "<reason>"

      Examples: requests over the limits
        | request                           | status | reason                                |
        | a body announced as 10 MB         | 413    | the limit is 1048576                  |
        | a batch of 1001 sessions          | 413    | the limit is 1000                     |
        | 100 KB of headers                 | 431    | exceed 65536 bytes                    |

    Scenario: Clients that send their requests slowly neither hold up the others nor stay connected
      Given an operator serves the trained session-outcome model, giving clients 2 seconds to send a request
      When 20 clients trickle their requests byte by byte while another client asks for predictions
      Then the other client gets every prediction it asked for
      And every slow client is told its request "did not arrive within 2 s" and is disconnected

    Scenario: Two operators reloading at the same moment leave the service consistent
      Given two versions of the session-outcome model, with the champion alias on version 1
      And the champion is served by a running service
      When two operators reload the service at the same moment, one to version 1 and one to version 2
      Then both reloads succeed, and the service describes and answers with the version the last one loaded
