@artifact @phase5
Feature: A self-describing model artifact
  A trained model carries what it needs to be used and trusted: its recipe, its SQL
  template and parameters, its features and their ttls, the schema and a fingerprint of
  its training data, its metrics and pictures, and the versions it was built with. From
  the run id alone anyone can inspect it, retrain it to identical predictions, score and
  serve with it, also from a downloaded copy and with plain MLflow. No secret is in it.
  The warehouse holds synthetic sessions, one an hour from 2024-01-01.

  @fixture.trained_model
  Rule: a model retrains from its artifact alone to the very same predictions

    @dev
    Scenario Outline: Retraining the <model> model reproduces every held-out prediction bit for bit
      Given the <model> model
      When the data scientist reproduces it from its run id
      Then reproduction confirms the training data is unchanged
      And every prediction on the held-out sessions is identical, bit for bit

      Examples: the example models
        | model                                       |
        | session-outcome                             |
        | session-outcome with point-in-time features |
        | session-duration                            |

  @fixture.warehouse.600
  Rule: a model whose data changed since training is not retrained, and the refusal says what changed

    @dev
    Scenario Outline: Sessions reloaded with <change> are refused as changed data
      Given a session-outcome model trained on sessions from 2024-01-01 to 2024-01-21
      And the sessions have since been reloaded with <change>
      When the data scientist reproduces it from its run id
      Then reproduction is refused because the data changed since training, naming <differences>

      Examples: changed sources
        | change             | differences                       |
        | 300 sessions       | rows, time range and content hash |
        | 600 other sessions | content hash                      |

    @dev
    Scenario: A model left unseeded cannot be reproduced, and the report shows where it differs
      Given a session-outcome model left unseeded, trained on sessions from 2024-01-01 to 2024-01-21
      When the data scientist reproduces it from its run id
      Then reproduction fails, showing how many held-out sessions differ and examples of them

  @fixture.trained_model
  Rule: the artifact tells how the model was made

    @dev
    Scenario: Inspecting a model shows its recipe, features, data and lineage
      Given the session-outcome with point-in-time features model
      When someone inspects the model by its run id
      Then the inspection names the recipe "session_outcome_features", its template "sessions.sql.j2" and the source table "sessions"
      And the inspection lists each feature with its view's ttl:
        | feature                          | ttl     |
        | user_activity:sessions_7d        | 7 days  |
        | user_activity:conversion_rate_7d | 7 days  |
        | user_activity:avg_duration_7d    | 7 days  |
        | product_popularity:popularity_7d | 14 days |
        | product_popularity:price         | 14 days |
      And it shows the training window, schema, metrics, fingerprint, package versions and git commit the model was trained with

    Scenario Outline: The <model> model's run shows its evaluation as pictures
      Given the <model> model
      When someone opens its training run
      Then the run shows the pictures "<pictures>"

      Examples: classification
        | model           | pictures                                        |
        | session-outcome | confusion matrix, ROC curve, feature importance |

      Examples: regression
        | model            | pictures                       |
        | session-duration | residuals, feature importance |

  @fixture.trained_model
  Rule: a downloaded model works away from the tracking store

    Scenario: A downloaded model folder holds everything needed to run it elsewhere
      When the data scientist downloads the session-outcome model into an empty folder
      Then the folder holds the model, its code, an input signature, an input example and pinned requirements

    @dev
    Scenario: Batch inference with a downloaded model gives the predictions of its run
      Given the session-outcome model downloaded into an empty folder
      When the data scientist scores sessions from 2024-01-21 to 2024-01-25 with the downloaded model
      Then the predictions are identical to those scored with the model's run id

    Scenario: The prediction service serves a downloaded model
      Given the session-outcome model downloaded into an empty folder
      And the prediction service serves the downloaded model
      When a client asks for predictions for these sessions:
        | user_id | product_id | device  | session_duration | page_views |
        | 1       | 2          | desktop | 540.0            | 11         |
        | 7       | 3          | mobile  | 95.5             | 1          |
      Then each session gets the prediction the model's run gives it

    Scenario: Plain MLflow serves a downloaded model
      Given the session-outcome model downloaded into an empty folder
      And plain MLflow serves the downloaded model
      When a client asks plain MLflow for predictions for these sessions:
        | user_id | product_id | device  | session_duration | page_views |
        | 1       | 2          | desktop | 540.0            | 11         |
        | 7       | 3          | mobile  | 95.5             | 1          |
      Then each session gets the prediction the model's run gives it

    Scenario Outline: Scoring with <model> is refused, saying what names a model
      When the data scientist scores sessions from 2024-01-21 to 2024-01-25 with <model>
      Then the command fails saying "<reason>" with the hint "<hint>"

      Examples: addresses that name no mmp model
        | model                       | reason               | hint                      |
        | an empty folder             | holds no MLflow model | mlflow artifacts download |
        | someone else's MLflow model | is not an mmp model  | mmp train                 |
        | an unregistered champion    | does not resolve     | mmp promote               |
        | a misspelt address          | is not a model URI   | models:/NAME@ALIAS        |

  @fixture.trained_model
  Rule: a promoted model is used by its registered name and alias

    @dev
    Scenario: Batch inference scores with the champion the data scientist promoted
      Given the session-outcome model promoted as the champion
      When the data scientist scores sessions from 2024-01-21 to 2024-01-25 with the champion
      Then the predictions are identical to those scored with the model's run id

    @dev
    Scenario: Promoting a better model moves the champion alias to a new version
      Given the session-outcome model promoted as the champion
      When the data scientist promotes the session-outcome with point-in-time features model as the champion
      Then the champion is version 2 of the registered model, trained by that run

  @fixture.warehouse.600
  Rule: no secret ever lands in a model or its run

    @dev
    Scenario: A database password in the environment appears nowhere in the model or its run
      Given the database password "Tr0ub4dor-and-3" is set in the environment the pipeline runs in
      When the data scientist trains the example recipe from the command line
      Then the password appears in no file, param, tag or recorded fact of the model and its run, nor in what training printed
      And the model names the warehouse it read, with any password masked
