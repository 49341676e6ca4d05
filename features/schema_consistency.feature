@schema @phase4
Feature: Training and inference data stay consistent
  A model's answers are only as good as the data it is given. At training, mmp records
  the type, the missing values and the role of every column the model learned from.
  Before any prediction it holds new data to that record with one compatibility matrix
  (docs/schema.md), reports every problem at once, and refuses data whose meaning could
  have changed without anyone noticing.

  @fixture.trained_model @dev
  Rule: the trained model records what its columns looked like

    Scenario: The artifact records the type, missing values and role of every column
      When someone opens the trained model's artifact from its run id alone
      Then its training schema records:
        | column           | role      | type                                 | missing values |
        | user_id          | entity    | integer                              | never          |
        | product_id       | entity    | integer                              | never          |
        | event_timestamp  | timestamp | datetime (UTC)                       | never          |
        | device           | feature   | categorical: desktop, mobile, tablet | never          |
        | session_duration | feature   | float                                | never          |
        | page_views       | feature   | integer                              | never          |
        | outcome          | target    | integer                              | never          |

    Scenario: MLflow describes the model's inputs as mmp recorded them, without the target
      When MLflow reads the trained model's signature
      Then MLflow lists the inputs "device: string, session_duration: double, page_views: long"

  Rule: new data is accepted only where its meaning cannot change

    Scenario Outline: <change> is <verdict>
      Given a model trained on "<column>" values <trained>
      When new data arrives with "<column>" values <arriving>
      Then the new data is <verdict>
      And the schema report lists <finding> for "<column>"

      Examples: safe widenings
        | change                                   | column           | trained                     | arriving                           | verdict  | finding |
        | 32-bit integers in a 64-bit column       | page_views       | int64: 3, 5, 8              | int32: 4, 6                        | accepted | nothing |
        | integers in a float column               | session_duration | float64: 312.5, 290.0       | int64: 300, 280                    | accepted | nothing |
        | whole-number floats in an integer column | page_views       | int64: 3, 5, 8              | float64: 4.0, 6.0                  | accepted | nothing |
        | nullable integers with no gaps           | page_views       | int64: 3, 5, 8              | Int64: 4, 6                        | accepted | nothing |
        | 32-bit floats in a 64-bit column         | session_duration | float64: 312.5, 290.0       | float32: 300.5                     | accepted | nothing |
        | the same time zone under another name    | signed_up_at     | UTC times: 2024-03-01 08:00 | Etc/UTC times: 2024-03-02 09:30    | accepted | nothing |
        | the same fixed offset from UTC           | signed_up_at     | UTC+05:30 times: 2024-03-01 | UTC+05:30 times: 2024-03-02 09:30  | accepted | nothing |
        | categories sent as a pandas category     | device           | text: desktop, mobile       | category: mobile, desktop          | accepted | nothing |
        | 64-bit integers at the 32-bit limits     | page_views       | int32: 3, 5, 8              | int64: -2147483648, 2147483647     | accepted | nothing |
        | text sent as pandas strings              | device           | text: desktop, mobile       | string: mobile, desktop            | accepted | nothing |
        | categories sent as pandas strings        | referrer         | text: search, email, null   | string: email, null                | accepted | nothing |
        | missing counts sent as NaN               | page_views       | Int64: 3, null, 8           | float64: NaN, 6.0                  | accepted | nothing |
        | only NaN where training had missing text | device           | text: desktop, null         | float64: NaN, NaN                  | accepted | nothing |

      Examples: naive timestamps mean UTC
        | change                                   | column           | trained                     | arriving                           | verdict  | finding |
        | UTC timestamps in a column trained naive | signed_up_at     | naive times: 2024-03-01 08:00 | UTC times: 2024-03-02 09:30      | accepted | nothing |
        | naive timestamps in a UTC column         | signed_up_at     | UTC times: 2024-03-01 08:00 | naive times: 2024-03-02 09:30      | accepted | nothing |
        | UTC timestamps in an Etc/UTC column      | signed_up_at     | Etc/UTC times: 2024-03-01 08:00 | UTC times: 2024-03-02 09:30    | accepted | nothing |

      Examples: the same instants in another time zone
        | change                                   | column           | trained                     | arriving                           | verdict                 | finding            |
        | Paris times in a UTC column              | signed_up_at     | UTC times: 2024-03-01 08:00 | Europe/Paris times: 2024-03-02     | accepted with a warning | timezone-converted |
        | UTC times in a Paris column              | signed_up_at     | Europe/Paris times: 2024-03-01 | UTC times: 2024-03-02 09:30     | accepted with a warning | timezone-converted |
        | naive (UTC) times in a Paris column      | signed_up_at     | Europe/Paris times: 2024-03-01 | naive times: 2024-03-02 09:30   | accepted with a warning | timezone-converted |
        | times in several time zones              | signed_up_at     | UTC times: 2024-03-01 08:00 | zoned times: 2024-03-02 09:30 Europe/Paris, 2024-03-02 08:30 UTC | accepted with a warning | timezone-converted |

      Examples: lossy or semantic changes
        | change                                   | column           | trained                     | arriving                           | verdict  | finding           |
        | fractional floats in an integer column   | page_views       | int64: 3, 5, 8              | float64: 4.5, 6.0                  | refused  | fractional-value  |
        | untyped fractions in an integer column   | page_views       | int64: 3, 5, 8              | untyped numbers: 4.5, 6            | refused  | fractional-value  |
        | numbers sent as text                     | session_duration | float64: 312.5, 290.0       | text: 12.5, 290.0                  | refused  | incompatible-type |
        | booleans in a number column              | page_views       | int64: 3, 5, 8              | bool: true, false                  | refused  | incompatible-type |
        | numbers in a yes/no column               | is_returning     | bool: true, false           | int64: 1, 0                        | refused  | incompatible-type |
        | timestamps sent as text                  | signed_up_at     | UTC times: 2024-03-01 08:00 | text: 2024-03-02 09:30             | refused  | incompatible-type |
        | numbers in a categorical column          | device           | text: desktop, mobile       | int64: 1, 2                        | refused  | incompatible-type |
        | NaN where training had none              | session_duration | float64: 312.5, 290.0       | float64: 300.5, NaN                | refused  | unexpected-null   |
        | infinity where training had none         | session_duration | float64: 312.5, 290.0       | float64: 300.5, inf                | refused  | non-finite        |
        | integers too large for the column        | page_views       | int32: 3, 5, 8              | int64: 4, 3000000000               | refused  | out-of-range      |

      Examples: missing values and categories
        | change                                   | column           | trained                     | arriving                           | verdict                 | finding         |
        | missing text where training had none     | device           | text: desktop, mobile       | text: desktop, null                | refused                 | unexpected-null |
        | missing numbers where training had some  | session_duration | float64: 312.5, null        | float64: null, 280.0               | accepted                | nothing         |
        | missing counts where training had some   | page_views       | Int64: 3, null, 8           | Int64: null, 6                     | accepted                | nothing         |
        | infinity where training had some         | session_duration | float64: 312.5, inf         | float64: -inf, 280.0               | accepted                | nothing         |
        | no times where training had some missing | signed_up_at     | UTC times: 2024-03-01, null | text: null, null                   | accepted                | nothing         |
        | a category training never saw            | device           | text: desktop, mobile       | text: mobile, smart-tv             | accepted with a warning | unseen-category |

  Rule: each problem says what arrived and what to send instead

    Scenario Outline: The report on <change> says "<says>"
      Given a model trained on "<column>" values <trained>
      When new data arrives with "<column>" values <arriving>
      Then the schema report says "<says>" about "<column>"

      Examples: what to send instead
        | change                           | column           | trained                     | arriving                                                         | says                                               |
        | numbers sent as text             | session_duration | float64: 312.5, 290.0       | text: 12.5, 290.0                                                | send numbers, not text                             |
        | booleans in a number column      | page_views       | int64: 3, 5, 8              | bool: true, false                                                | send numbers, not boolean values                   |
        | numbers in a yes/no column       | is_returning     | bool: true, false           | int64: 1, 0                                                      | send true/false values                             |
        | timestamps sent as text          | signed_up_at     | UTC times: 2024-03-01 08:00 | text: 2024-03-02 09:30                                           | send timestamps                                    |
        | numbers in a categorical column  | device           | text: desktop, mobile       | int64: 1, 2                                                      | never turns integer values into categorical labels |
        | Paris times in a UTC column      | signed_up_at     | UTC times: 2024-03-01 08:00 | Europe/Paris times: 2024-03-02                                   | converted to UTC: the same instants                |
        | times in several time zones      | signed_up_at     | UTC times: 2024-03-01 08:00 | zoned times: 2024-03-02 09:30 Europe/Paris, 2024-03-02 08:30 UTC | now writes several time zones where training had UTC |

      Examples: what was expected and what arrived
        | change                                  | column     | trained               | arriving                          | says                       |
        | integers too small for the column       | page_views | int32: 3, 5, 8        | int64: 4, -3000000000             | values down to -3000000000 |
        | integers too large for the column       | page_views | int32: 3, 5, 8        | int64: 4, 3000000000              | values up to 3000000000    |
        | timestamps in a number column           | page_views | int64: 3, 5, 8        | zoned times: 2024-03-02 09:30 UTC | datetime (object)          |
        | text where training had untyped numbers | page_views | untyped numbers: 3, 5 | text: 4, 6                        | expected integer (int64)   |

  @fixture.trained_model @dev
  Rule: inputs are matched by name, and the model receives exactly its inputs

    Scenario: Columns in another order reach the model in training order
      Given new sessions with the columns "page_views, device, session_duration"
      When the new sessions are checked against the trained model
      Then the new data is accepted
      And the model receives the columns "device, session_duration, page_views"

    Scenario: A column the model does not use is reported and dropped
      Given new sessions with the columns "device, referrer, session_duration, page_views"
      When the new sessions are checked against the trained model
      Then the new data is accepted with a warning
      And the schema report lists extra-column for "referrer"
      And the model receives the columns "device, session_duration, page_views"

    Scenario: The outcome sent along with the inputs is reported as the target and dropped
      Given new sessions with the columns "device, session_duration, page_views, outcome"
      When the new sessions are checked against the trained model
      Then the new data is accepted with a warning
      And the schema report says "dropped: it is the model's target" about "outcome"

    Scenario: A column sent three times is refused, counting its copies
      Given new sessions with the columns "device, page_views, session_duration, page_views, page_views"
      When the new sessions are checked against the trained model
      Then the new data is refused
      And the schema report says "3 columns" about "page_views"

    Scenario Outline: Sessions with <shape> are refused
      Given new sessions with the columns "<columns>"
      When the new sessions are checked against the trained model
      Then the new data is refused
      And the schema report lists <finding> for "<column>"

      Examples: malformed batches
        | shape                 | columns                                          | finding          | column     |
        | a model input missing | device, session_duration                         | missing-column   | page_views |
        | a duplicated column   | device, session_duration, page_views, page_views | duplicate-column | page_views |

    Scenario: A batch without a single session is refused
      Given no new sessions
      When the new sessions are checked against the trained model
      Then the new data is refused
      And the schema report lists empty-frame for the data as a whole

  @fixture.trained_model @dev
  Rule: every problem is reported at once, naming the column, what was expected and what arrived

    Scenario: Several problems in one batch are all reported together
      Given new sessions:
        | event_timestamp (UTC times) | device (text) | session_duration (text) | page_views (float64) | referrer (text) |
        | 2024-03-02 09:30            | desktop       | 312.5                   | 4.5                  | search          |
        | 2024-03-02 10:00            | smart-tv      | 280.0                   | null                 | email           |
      When the new sessions are checked against the trained model
      Then the new data is refused with exactly these findings:
        | column           | rule              | severity | expected                       | actual                                 |
        | device           | unseen-category   | warning  | one of desktop, mobile, tablet | smart-tv                               |
        | session_duration | incompatible-type | error    | float (float64)                | string (object)                        |
        | page_views       | fractional-value  | error    | integer (int64)                | float (float64) with fractional values |
        | page_views       | unexpected-null   | error    | no missing values              | 1 of 2 rows missing                    |
        | referrer         | extra-column      | warning  | not an input                   | string (object)                        |

  @fixture.trained_model @dev
  Rule: batch inference checks the data before it predicts

    Scenario: Batch inference refuses sessions whose page views became text, and writes nothing
      Given the warehouse now records page views as text
      When the data scientist scores sessions from 2024-01-21 to 2024-01-25 with the trained model
      Then batch inference is refused because "page_views" breaks the rule incompatible-type
      And no predictions are written

  Rule: naive timestamps mean UTC, so what the warehouse sends today is what the model saw

    Scenario Outline: Sessions the warehouse times in UTC pass the audit of the model trained on them, as <format>
      Given a model trained on sessions from 2024-01-01 to 2024-01-15 that the warehouse records in UTC
      And a <format> file of those sessions as the warehouse holds them
      When the auditor checks the file against the trained model
      Then the audit exits with code 0
      And the schema report lists nothing for "event_timestamp"

      Examples: both file formats
        | format  |
        | parquet |
        | CSV     |

    Scenario: A model that learns from when each session started, in UTC, scores a later window
      Given a model trained on sessions from 2024-01-01 to 2024-01-15 that learns from when each session started, recorded in UTC
      When the data scientist scores sessions from 2024-01-15 to 2024-01-20 with the trained model
      Then every session of that window has a prediction and a probability

    Scenario: MLflow describes a start time recorded in UTC as a plain timestamp
      Given a model trained on sessions from 2024-01-01 to 2024-01-15 that learns from when each session started, recorded in UTC
      When MLflow reads the trained model's signature
      Then MLflow lists the inputs "started_at: datetime, device: string, session_duration: double, page_views: long"

  @fixture.trained_model @dev
  Rule: anyone can audit a data file against a trained model from the command line

    Scenario Outline: The audit's exit code says whether a <format> file can be scored
      Given a <format> file of new sessions whose "<column>" values are <values>
      When the auditor checks the file against the trained model
      Then the audit exits with code <code>
      And the schema report lists <finding> for "<column>"

      Examples: files the model can score
        | format  | column     | values                 | code | finding         |
        | parquet | page_views | int32: 4, 7            | 0    | nothing         |
        | CSV     | page_views | int64: 4, 7            | 0    | nothing         |
        | CSV     | device     | text: mobile, smart-tv | 0    | unseen-category |

      Examples: files that drifted
        | format  | column     | values                 | code | finding           |
        | parquet | page_views | text: 4, 7             | 3    | incompatible-type |
        | CSV     | page_views | float64: 4.5, 7.0      | 3    | fractional-value  |

    Scenario Outline: A <format> file that repeats a column is refused, naming the column
      Given a <format> file of new sessions with the columns "device, session_duration, page_views, page_views"
      When the auditor checks the file against the trained model
      Then the audit exits with code 3
      And the schema report lists duplicate-column for "page_views"

      Examples: both file formats
        | format  |
        | parquet |
        | CSV     |

    Scenario Outline: A file whose page views hold <values> is refused, naming the column
      Given a parquet file of new sessions whose "page_views" column holds <values>
      When the auditor checks the file against the trained model
      Then the audit exits with code 3
      And the schema report lists incompatible-type for "page_views"

      Examples: values no model input holds
        | values           |
        | lists of numbers |
        | durations        |

    Scenario Outline: A file that cannot be audited gets one clear error
      Given a file of new sessions named "<name>" holding the text "<text>"
      When the auditor checks the file against the trained model
      Then the audit exits with code 2
      And the command fails saying "<message>" with the hint "<hint>"
      And no traceback is shown

      Examples: unreadable files
        | name             | text                | message                      | hint                    |
        | sessions.xlsx    | device,page_views   | is not a parquet or CSV file | a .parquet or .csv file |
        | sessions.parquet | not really parquet  | cannot read                  | complete parquet or CSV |
