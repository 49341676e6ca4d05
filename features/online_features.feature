@serving @online @dev @fixture.trained_feature_model
Feature: Predictions with features from the online store
  A model trained with point-in-time user and product features is served with the same
  feature references: a client sends the session's keys and what it knows at request
  time, and the service looks up the latest user and product features itself.

  Rule: features come from the online store by entity key

    Scenario: A session sent with its keys and request-time inputs is scored with stored features
      Given the session-outcome model with user and product features is served
      When a client asks for predictions for these sessions:
        | user_id | product_id | device  | session_duration | page_views |
        | 1       | 2          | desktop | 420.0            | 7          |
        | 7       | 3          | mobile  | 120.0            | 2          |
      Then the client gets 2 predictions with a probability from the served run

    Scenario: The published API schema asks only for keys and request-time inputs
      Given the session-outcome model with user and product features is served
      When a client reads the published API schema
      Then the prediction request lists the fields "user_id, product_id, device, session_duration, page_views"

  Rule: an online store that cannot be read degrades the service, which then recovers

    Scenario: Predictions are refused as unavailable while the online store cannot be read
      Given the session-outcome model with user and product features is served
      And the online feature store has become unreadable
      When a client asks for predictions for these sessions:
        | user_id | product_id | device  | session_duration | page_views |
        | 1       | 2          | desktop | 420.0            | 7          |
      Then the request is refused as unavailable naming the "online feature store"
      And the service reports that it is not ready because of the online store

    Scenario: Predictions are refused as unavailable while the online store does not answer
      Given the session-outcome model with user and product features is served
      And the online feature store has stopped answering
      When a client asks for predictions for these sessions:
        | user_id | product_id | device  | session_duration | page_views |
        | 1       | 2          | desktop | 420.0            | 7          |
      Then the request is refused as unavailable naming the "online feature store"
      And the service reports that it is not ready because of the online store

    Scenario: The service recovers by itself once the online store is back
      Given the session-outcome model with user and product features is served
      And the online feature store was unreadable and is back
      When a client asks for predictions for these sessions:
        | user_id | product_id | device  | session_duration | page_views |
        | 1       | 2          | desktop | 420.0            | 7          |
      Then the client gets 1 prediction with a probability from the served run
