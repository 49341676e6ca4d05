@recipe @phase1
Feature: Schema-first recipes
  A data scientist describes a model in a recipe: which rows to load, which columns
  name the entities, the time and the target, and which model to train. A recipe that
  is wrong is refused before any data is touched, with the field and the reason.

  Rule: a valid recipe exposes its data interface

    Scenario: The example recipe declares who, when and what is predicted
      When the data scientist loads the example session-outcome recipe
      Then the recipe's data interface is:
        | role      | columns             |
        | entities  | user_id, product_id |
        | timestamp | event_timestamp     |
        | target    | outcome             |
        | task      | classification      |

  Rule: a broken data interface is refused naming the field and the reason

    Scenario Outline: A missing data-interface field is named in the refusal
      Given the example recipe without its data-interface field "<field>"
      When the data scientist loads the recipe
      Then the recipe is refused naming "model.loader.data_interface.<field>" because "required field is missing"

      Examples: every required field
        | field            |
        | entity_columns   |
        | timestamp_column |
        | target_column    |
        | task_type        |

    Scenario Outline: A malformed data-interface field is named in the refusal
      Given the example recipe with its data-interface field "<field>" set to <value>
      When the data scientist loads the recipe
      Then the recipe is refused naming "<path>" because "<reason>"

      Examples: values of the wrong kind
        | field            | value        | path                                         | reason                                         |
        | task_type        | "clustering" | model.loader.data_interface.task_type        | Input should be 'classification' or 'regression' |
        | entity_columns   | []           | model.loader.data_interface.entity_columns   | at least 1 item                                |
        | entity_columns   | "user_id"    | model.loader.data_interface.entity_columns   | valid list                                     |
        | timestamp_column | ""           | model.loader.data_interface.timestamp_column | at least 1 character                           |

      Examples: one column given two roles
        | field         | value     | path                        | reason                                      |
        | target_column | "user_id" | model.loader.data_interface | column 'user_id' is given more than one role |

  Rule: other recipe mistakes are refused before any data is touched

    Scenario: An unknown recipe field is refused rather than ignored
      Given the example recipe with the extra field "model.loader.shuffle" set to true
      When the data scientist loads the recipe
      Then the recipe is refused naming "model.loader.shuffle" because "unknown field"

    Scenario: A recipe that is not valid YAML is refused with the position of the mistake
      Given a recipe file whose text is "name: [unclosed"
      When the data scientist loads the recipe
      Then the recipe is refused naming "line 1" because "not valid YAML"

    Scenario: A recipe whose SQL template does not exist is refused
      Given the example recipe with its loader template set to "sql/missing.sql.j2"
      When the data scientist loads the recipe
      Then the recipe is refused naming "model.loader.source_uri" because "does not exist"

  Rule: each environment's config is the base config with its own file merged over it

    Scenario: The local environment keeps everything embedded in the workspace
      When the config of the "local" environment is loaded
      Then the warehouse is a "duckdb" file in the workspace
      And the MLflow tracking store is a SQLite file in the workspace

    Scenario: The dev environment points at the real services
      When the config of the "dev" environment is loaded
      Then the warehouse is a "postgres" database
      And the MLflow tracking store is "http://localhost:5002"

    Scenario: A setting written as ${VAR:default} takes the variable when it is set
      Given the environment variable "MMP_EXPERIMENT" is "churn-trials"
      When the config of the "local" environment is loaded
      Then the MLflow experiment is "churn-trials"

    Scenario: A setting written as ${VAR:default} falls back to its default
      When the config of the "local" environment is loaded
      Then the MLflow experiment is "mmp"

    Scenario: An unknown environment is refused listing the valid ones
      When the config of the "staging" environment is loaded
      Then the config is refused because "unknown environment 'staging'; valid environments: dev, local, prod"
