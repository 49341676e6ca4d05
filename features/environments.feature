@local @dev
Feature: The same guarantees on the embedded default and on real services
  The embedded default (DuckDB, SQLite MLflow) and the dev environment (PostgreSQL,
  an MLflow server on :5002, Redis) run the same pipeline. For the same seed and data
  they agree, and a service that does not answer is reported at once with the fix.

  Rule: both environments give the same results

    @use.with_env=dev
    Scenario Outline: The embedded default and the real services give identical predictions <from what>
      Given both environments hold the same 600 synthetic sessions and their feature views
      When the data scientist trains <recipe> on 2024-01-01 to 2024-01-21 and scores 2024-01-21 to 2024-01-25 in each environment
      Then both environments report the same metrics
      And both environments give identical predictions for every session

      Examples: a recipe without and with point-in-time features
        | from what                                    | recipe                                                 |
        | from the sessions alone                      | the session-outcome recipe                             |
        | with point-in-time user and product features | the session-outcome recipe with point-in-time features |

  Rule: a service that does not answer fails fast, naming its address and the fix

    Scenario Outline: Training against a <service> that does not answer is refused with the fix
      Given the real-services environment with its <service> at a closed port
      When the data scientist trains the example recipe there
      Then training is refused because "<service> at <address> is not reachable"
      And the refusal says to "make services" or to run with "APP_ENV=local"

      Examples: services the pipeline needs
        | service                | address                                  |
        | MLflow tracking server | http://127.0.0.1:9                       |
        | PostgreSQL warehouse   | postgresql://mmp:***@127.0.0.1:9/mmp     |

    Scenario: Scoring against a tracking server that does not answer is refused with the fix
      Given the real-services environment with its MLflow tracking server at a closed port
      When the data scientist scores a window with run "0123456789abcdef" there
      Then scoring is refused because "MLflow tracking server at http://127.0.0.1:9 is not reachable"

    @fixture.trained_feature_model
    Scenario: Serving a model with online features while Redis does not answer is refused with the fix
      Given the real-services environment with its Redis online store at a closed port
      When the operator starts serving the model with user and product features there
      Then the command fails saying "Redis online store at redis://127.0.0.1:9/0 is not reachable" with the hint "make services"
      And no traceback is shown

    Scenario: A database password never appears in a refusal
      Given the real-services environment with its PostgreSQL warehouse at a closed port
      When the data scientist trains the example recipe there
      Then the refusal does not contain the database password
