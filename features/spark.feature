@spark @use.with_env=spark
Feature: The same pipeline on Apache Spark
  When sessions and feature tables outgrow one machine, the same recipes and templates
  run on Spark: rows load through the same guard with values as Spark SQL parameters,
  features are joined point-in-time inside Spark, and batch scoring runs on the
  executors and writes everything or nothing. Spark's own parser refuses anything but a
  query that only reads, training collects a bounded number of rows to the driver, and
  materializing fills the online store from the Spark tables. These scenarios run in
  their own pass (`behave -D env=spark`) against a local Spark the pass starts once and
  stops.

  Rule: a recipe runs on Spark unchanged, with the embedded default's results

    Scenario: Trained and scored on Spark, the example recipe gives the embedded default's predictions
      Given the Spark warehouse and the embedded one hold the same 600 synthetic sessions and their feature views
      When the data scientist trains the session-outcome recipe with point-in-time features on 2024-01-01 to 2024-01-21 and scores 2024-01-21 to 2024-01-25 in each environment
      Then Spark reports the embedded default's metrics
      And Spark gives the embedded default's prediction for every session, stored by day

  Rule: the point-in-time join inside Spark gives every row the local engine's features

    Scenario: The example sessions get the same user activity from Spark as from the local engine
      Given the example sessions and their users' activity in the Spark warehouse
      When the sessions are joined to their features inside Spark and by the local engine
      Then both joins give every session the same features

    Scenario: Rebuilt as known on a past day, the example sessions get the same features from both engines
      Given the example sessions and their users' activity in the Spark warehouse
      When the sessions are joined to their features inside Spark and by the local engine, as known on 2024-01-10
      Then both joins give every session the same features

    Scenario: Dense histories with ties and unknown creation times get the same features from both engines
      Given 3 users with 400 activity values each in the Spark warehouse, many at the same moment
      When the sessions are joined to their features inside Spark and by the local engine
      Then both joins give every session the same features

  @fixture.warehouse
  Rule: a value reaches Spark only as a named parameter, and only one read-only query runs

    Background:
      Given a session loader whose recipe declares the parameters:
        | parameter    | type   | allowed                           | default         |
        | start_date   | date   |                                   | 2024-01-01      |
        | end_date     | date   |                                   | 2025-01-01      |
        | device       | enum   | desktop, mobile, tablet           |                 |
        | min_views    | int    |                                   | 0               |
        | min_duration | float  |                                   | 0               |
        | label        | string | 60 characters                     | all sessions    |
        | sort_column  | enum   | event_timestamp, session_duration | event_timestamp |

    Scenario Outline: Whatever a label says, Spark receives it only as data
      When the sessions are loaded with label set to "<label>"
      Then the label reaches the warehouse only as a bind variable
      And exactly the matching sessions come back
      And each comes back labelled exactly "<label>"

      Examples: tautologies, stacked queries and comments
        | label                      |
        | ' OR 'a'='a                |
        | '; DROP TABLE sessions; -- |
        | */ OR 1=1 /*               |

    Scenario: A template that would drop a table is refused before Spark sees it
      Given the session loader's template is "DROP TABLE sessions"
      When the session query is prepared
      Then the query is refused because "would drop a table or another object (DROP)"

    Scenario Outline: A template that would run a program or call Java on the cluster is refused before Spark sees it
      Given the session loader's template is "<template>"
      When the session query is prepared
      Then the query is refused because "<reason>"

      Examples: a program on the executors, Java calls
        | template                                                                   | reason                                                                     |
        | SELECT TRANSFORM(session_id) USING 'cat' AS (id) FROM sessions             | the SQL would run a program on the servers (SELECT TRANSFORM ... USING)    |
        | SELECT reflect('java.lang.System', 'getProperty', 'user.home') AS home     | the SQL calls reflect(), which would call a Java method on the servers     |
        | SELECT java_method('java.lang.System', 'getProperty', 'user.home') AS home | the SQL calls java_method(), which would call a Java method on the servers |

  Rule: behind the guard, Spark's own parser refuses anything but one query that only reads

    @fixture.warehouse
    Scenario Outline: A write that slipped past the guard is refused by Spark's parser and the table is unchanged
      When "<statement>" is sent straight to the warehouse, skipping every check
      Then the query is refused because "<reason>"
      And every session is still in the warehouse

      Examples: a statement and a command
        | statement                                     | reason                                                                                       |
        | INSERT INTO sessions SELECT * FROM sessions   | reads the SQL as a statement, not as a query: it would run the statement InsertIntoStatement |
        | CREATE TABLE stolen AS SELECT * FROM sessions | reads the SQL as a statement, not as a query: it would run the command CreateTableAsSelect   |

    Scenario Outline: A program or a Java call that slipped past the guard is refused by Spark's parser before Spark runs it
      When "<statement>" is sent straight to the warehouse, skipping every check
      Then the query is refused because "<reason>"

      Examples: a program on the executors, Java calls
        | statement                                                                         | reason                                                                    |
        | SELECT TRANSFORM(session_id) USING 'cat' AS (id) FROM sessions                    | the SQL would run a program on the executors (SELECT TRANSFORM ... USING) |
        | SELECT reflect('java.lang.System', 'getProperty', 'user.home') AS home            | the SQL would call reflect(), which runs any Java method Spark can load   |
        | SELECT IDENTIFIER('reflect')('java.lang.System', 'getProperty', 'user.home') AS h | the SQL would name a function or column by IDENTIFIER(...)                |

  @fixture.warehouse
  Rule: training collects at most warehouse.spark.collect_max_rows rows to the driver

    Scenario: A training window with more sessions than the driver may collect is refused with the way out
      Given the Spark environment collects at most 50 rows for training
      And the example session-outcome recipe
      When the data scientist trains it on sessions from 2024-01-01 to 2024-01-04
      Then training is refused because "the query selects more than 50 rows"
      And the refusal's hint names "narrow the date window", "TABLESAMPLE" and "raise warehouse.spark.collect_max_rows"
      And no training run was logged

  Rule: materializing fills the online store from the Spark tables with each user's latest value

    Scenario: Materialized by a command that has not opened the warehouse, a lookup gives each user's latest value
      Given the feature view "activity" keeps each user's "visits" for 7 days
      And these "activity" values were recorded:
        | user | event time          | created time        | visits |
        | Ada  | 2024-03-01 09:00:00 | 2024-03-01 09:00:00 | 3      |
        | Ada  | 2024-03-04 12:00:00 | 2024-03-04 12:00:00 | 5      |
        | Bob  | 2024-03-02 10:00:00 | 2024-03-02 10:00:00 | 7      |
        | Bob  | 2024-03-02 10:00:00 | 2024-03-02 11:00:00 | 8      |
        | Bob  | 2024-03-01 10:00:00 | 2024-03-05 10:00:00 | 9      |
      And the online store has been filled with the latest values by a command that has not opened the Spark warehouse
      When "activity:visits" is looked up for Ada, Bob and Zed
      Then the looked-up values are:
        | user | visits |
        | Ada  | 5      |
        | Bob  | 8      |
        | Zed  |        |

  Rule: scoring on the executors writes every prediction or none

    Scenario: A scoring job that fails on an executor leaves no predictions behind
      Given a model trained on the embedded default, and a late session of 2024-01-21 to 2024-01-25 in the Spark warehouse holding a duration no model can score
      When the data scientist scores that window on Spark
      Then scoring is refused because "scoring failed on an executor"
      And no predictions were written for that window, not even in part

  Rule: a Spark that cannot start is refused at once, naming the fix

    Scenario Outline: Training on a Spark <what> is refused at once with the fix
      Given the Spark environment with <setting> set to "<value>"
      When the data scientist trains the example recipe on that Spark
      Then training is refused because "<reason>"
      And the refusal says to "<fix>" or to run with "APP_ENV=local"
      And the refusal came within 10 seconds

      Examples: what keeps Spark from starting
        | what                               | setting          | value               | reason                                                                                            | fix                       |
        | master that does not answer        | MMP_SPARK_MASTER | spark://127.0.0.1:9 | Spark master at spark://127.0.0.1:9 is not reachable                                              | MMP_SPARK_MASTER=local[2] |
        | master that is not a Spark address | MMP_SPARK_MASTER | nowhere:7077        | 'nowhere:7077' is not a Spark master                                                              | MMP_SPARK_MASTER          |
        | without a Java runtime             | JAVA_HOME        | /nonexistent/java   | Spark at local[2] is not reachable: no Java runtime (JAVA_HOME=/nonexistent/java has no bin/java) | JAVA_HOME                 |
