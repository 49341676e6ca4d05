@e2e @dev
Feature: The complete ML pipeline
  A data scientist's recipe becomes a trained model, a self-describing MLflow artifact
  and predictions for a later window, on the embedded default with no services to run.
  The warehouse holds synthetic sessions, one an hour from 2024-01-01.

  @fixture.feature_store.600
  Rule: a recipe goes from raw sessions to a logged model

    Scenario: Training with point-in-time user and product features logs a model that beats the majority-class baseline
      Given the example session-outcome recipe with point-in-time user and product features
      When the data scientist trains it on sessions from 2024-01-01 to 2024-01-21
      Then the training run reports accuracy, roc_auc and f1
      And the model beats the majority-class baseline on held-out sessions
      And the model learned from the features "device, session_duration, page_views, sessions_7d, conversion_rate_7d, avg_duration_7d, popularity_7d, price"

    Scenario: A training window with no sessions is refused before anything is logged
      Given the example session-outcome recipe
      When the data scientist trains it on sessions from 2025-06-01 to 2025-06-30
      Then training is refused because "returned no rows"
      And no training run was logged

    Scenario: Batch inference joins the features the model was trained with, as of each session
      Given the example session-outcome recipe with point-in-time user and product features
      And a model trained on it from 2024-01-01 to 2024-01-21
      When the data scientist scores sessions from 2024-01-21 to 2024-01-25 with the trained model
      Then every session of that window has a prediction and a probability
      And its artifact records each feature with its view's ttl:
        | feature                          | ttl     |
        | user_activity:sessions_7d        | 7 days  |
        | user_activity:conversion_rate_7d | 7 days  |
        | user_activity:avg_duration_7d    | 7 days  |
        | product_popularity:popularity_7d | 14 days |
        | product_popularity:price         | 14 days |

  @fixture.trained_model
  Rule: a trained model scores a later window from its run id alone

    Scenario: Batch inference scores every session of a later window
      When the data scientist scores sessions from 2024-01-21 to 2024-01-25 with the trained model
      Then every session of that window has a prediction and a probability
      And the predictions cover every user and product of that window

    Scenario: Scoring a window without sessions is refused and writes nothing
      When the data scientist scores sessions from 2030-01-01 to 2030-02-01 with the trained model
      Then scoring is refused because "returned no rows"
      And no predictions are written

    Scenario: The artifact describes how it was made
      When someone opens the trained model's artifact from its run id alone
      Then it names the recipe "session_outcome" and its SQL template "sessions.sql.j2"
      And it records the training window from 2024-01-01 to 2024-01-21
      And it records the schema of the model inputs "device, session_duration, page_views"
      And it records a fingerprint of the training data

    Scenario: The artifact loads in a fresh process with MLflow alone
      When a fresh Python process loads the trained model from its run id with MLflow
      Then it predicts an outcome for a session it is given

  Rule: the whole job runs from one command

    Scenario: The demo seeds, trains, scores and tells the user where everything is
      When the data scientist runs the demo on 600 sessions
      Then the demo summary names the run id, the metrics, the predictions file and the MLflow UI
      And the predictions file it names holds a prediction for every session it scored

    Scenario: A mistake on the command line gives one clear message and no traceback
      When the data scientist trains the example recipe with the parameter "start_date=2024-13-01"
      Then the command fails saying "parameter 'start_date'" with the hint "2024-01-31"
      And no traceback is shown
