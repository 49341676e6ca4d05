@serving @dev @fixture.trained_model
Feature: Real-time predictions over HTTP
  An application sends a session and gets back whether it will convert, from the model
  trained on the example recipe. Input is checked against the model's training schema
  before anything is predicted, and the API explains itself.

  Background:
    Given the trained session-outcome model is served

  Rule: a valid request gets a prediction from the served run

    Scenario: One session gets a prediction, a probability and the run that made it
      When a client asks for predictions for these sessions:
        | user_id | product_id | device  | session_duration | page_views |
        | 1       | 2          | desktop | 420.0            | 7          |
      Then the client gets 1 prediction with a probability from the served run

    Scenario: A batch of sessions gets one prediction each, in the order sent
      When a client asks for predictions for these sessions:
        | user_id | product_id | device  | session_duration | page_views |
        | 1       | 2          | desktop | 620.0            | 11         |
        | 3       | 1          | mobile  | 90.0             | 1          |
        | 2       | 2          | tablet  | 300              | 5          |
      Then the client gets 3 predictions with a probability from the served run
      And the long, deep desktop session is more likely to convert than the short mobile one

    Scenario: A device the model never saw is scored, with a warning
      When a client asks for predictions for these sessions:
        | user_id | product_id | device   | session_duration | page_views |
        | 1       | 2          | smart-tv | 300.0            | 5          |
      Then the client gets 1 prediction with a probability from the served run
      And the answer warns about the unseen value "smart-tv"

  Rule: bad input is refused before prediction, naming every problem

    Scenario Outline: A session with a malformed <field> is refused
      When a client sends a session whose <field> is <value>
      Then the request is refused as invalid input naming "<field>" and "<expected>"

      Examples: values of the wrong type
        | field            | value  | expected                |
        | session_duration | "12.5" | a valid number          |
        | session_duration | true   | a valid number          |
        | page_views       | 7.5    | a valid integer         |
        | device           | 3      | a valid string          |
        | user_id          | null   | a valid integer         |

      Examples: fields the model does not know
        | field   | value | expected                  |
        | coupon  | "X1"  | Extra inputs are not permitted |

    Scenario: Every problem of a request is reported at once
      When a client sends a session with page_views "many" and coupon "X1"
      Then the request is refused as invalid input naming "page_views" and "coupon"

    Scenario: A request body over the size limit is refused before it is read
      When a client sends a request body of 2000000 bytes
      Then the request is refused as too large

    Scenario: A batch over the batch limit is refused
      When a client asks for predictions for 1001 sessions at once
      Then the request is refused as too large

    Scenario: A body that is not JSON is refused without a stack trace
      When a client sends the body "{not json"
      Then the request is refused as invalid input naming "(body)" and "a JSON document"

  Rule: the API describes itself

    Scenario: The published API schema lists the model's real input fields
      When a client reads the published API schema
      Then the prediction request lists the fields "user_id, product_id, device, session_duration, page_views"

    Scenario: The model endpoint names the run, the recipe, the metrics and the inputs
      When a client asks which model is served
      Then the answer names the served run, the recipe "session_outcome" and its metrics
      And it lists the inputs "device, session_duration, page_views"

    Scenario: A serving process reports alive and ready once its model is loaded
      When a client checks the health and readiness of the service
      Then the service is alive and ready
