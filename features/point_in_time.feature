@pit @phase2 @dev
Feature: Point-in-time correct features
  A model may only learn what was known at the moment of each prediction. For every
  session (who, when), mmp takes from each feature view the row of the same user with
  the latest event time at or before the session and no older than the view's ttl; a tie
  goes to the row created last. A session with no such row gets empty features, and no
  session is ever dropped. Times without a zone are UTC.

  Background:
    Given the feature view "activity" keeps each user's "visits" for 7 days

  Rule: a session sees the latest value known at its time, never a later one

    Scenario: A value recorded exactly at the session time is used
      Given these "activity" values were recorded:
        | user | event time          | visits |
        | Ada  | 2024-03-01 09:00:00 | 3      |
        | Ada  | 2024-03-04 12:00:00 | 5      |
      And these sessions:
        | user | time                |
        | Ada  | 2024-03-04 12:00:00 |
      When the sessions are enriched with "activity:visits"
      Then the enriched sessions are:
        | user | time                | visits |
        | Ada  | 2024-03-04 12:00:00 | 5      |

    Scenario: A value recorded one second after the session is never used
      Given these "activity" values were recorded:
        | user | event time          | visits |
        | Ada  | 2024-03-01 09:00:00 | 3      |
        | Ada  | 2024-03-04 12:00:01 | 5      |
      And these sessions:
        | user | time                |
        | Ada  | 2024-03-04 12:00:00 |
      When the sessions are enriched with "activity:visits"
      Then the enriched sessions are:
        | user | time                | visits |
        | Ada  | 2024-03-04 12:00:00 | 3      |

  Rule: a value older than its view's ttl has expired

    Scenario Outline: A value recorded <age> before the session is <verdict>
      Given these "activity" values were recorded:
        | user | event time   | visits |
        | Ada  | <event time> | 3      |
      And these sessions:
        | user | time                |
        | Ada  | 2024-03-08 09:00:00 |
      When the sessions are enriched with "activity:visits"
      Then the enriched sessions are:
        | user | visits   |
        | Ada  | <visits> |

      Examples: exactly the ttl is still fresh
        | age    | event time          | verdict | visits |
        | 7 days | 2024-03-01 09:00:00 | used    | 3      |

      Examples: one second more has expired
        | age              | event time          | verdict | visits |
        | 7 days and 1 sec | 2024-03-01 08:59:59 | expired |        |

  Rule: when two rows share an event time, the one created last wins

    Scenario: A correction created later wins over the value it corrects
      Given these "activity" values were recorded:
        | user | event time          | created time        | visits |
        | Ada  | 2024-03-01 09:00:00 | 2024-03-01 09:05:00 | 3      |
        | Ada  | 2024-03-01 09:00:00 | 2024-03-02 08:00:00 | 4      |
        | Ada  | 2024-03-01 09:00:00 | 2024-03-01 12:00:00 | 5      |
      And these sessions:
        | user | time                |
        | Ada  | 2024-03-03 09:00:00 |
      When the sessions are enriched with "activity:visits"
      Then the enriched sessions are:
        | user | visits |
        | Ada  | 4      |

    Scenario: A full tie goes to the row stored last
      Given these "activity" values were recorded:
        | user | event time          | created time        | visits |
        | Bob  | 2024-03-01 09:00:00 | 2024-03-01 09:05:00 | 7      |
        | Bob  | 2024-03-01 09:00:00 | 2024-03-01 09:05:00 | 8      |
      And these sessions:
        | user | time                |
        | Bob  | 2024-03-03 09:00:00 |
      When the sessions are enriched with "activity:visits"
      Then the enriched sessions are:
        | user | visits |
        | Bob  | 8      |

  Rule: however many rows a user has at one moment, the one created last wins

    Scenario: Of ten corrections to one moment, the one created last wins wherever it is stored
      Given these "activity" values were recorded:
        | user | event time          | created time        | visits |
        | Ada  | 2024-02-29 09:00:00 | 2024-02-29 09:00:00 | 1      |
        | Ada  | 2024-03-01 09:00:00 | 2024-03-01 09:05:00 | 10     |
        | Ada  | 2024-03-01 09:00:00 | 2024-03-01 12:00:00 | 11     |
        | Ada  | 2024-03-01 09:00:00 | 2024-03-01 09:30:00 | 12     |
        | Ada  | 2024-03-01 09:00:00 | 2024-03-02 08:00:00 | 13     |
        | Ada  | 2024-03-01 09:00:00 | 2024-03-01 10:00:00 | 14     |
        | Ada  | 2024-03-01 09:00:00 | 2024-03-01 09:10:00 | 15     |
        | Ada  | 2024-03-01 09:00:00 | 2024-03-01 23:00:00 | 16     |
        | Ada  | 2024-03-01 09:00:00 | 2024-03-01 11:00:00 | 17     |
        | Ada  | 2024-03-01 09:00:00 | 2024-03-01 09:01:00 | 18     |
        | Ada  | 2024-03-01 09:00:00 | 2024-03-01 13:00:00 | 19     |
        | Ada  | 2024-03-04 09:00:00 | 2024-03-04 09:00:00 | 20     |
      And these sessions:
        | user | time                |
        | Ada  | 2024-03-03 09:00:00 |
        | Ada  | 2024-03-01 08:59:59 |
        | Ada  | 2024-03-01 09:00:00 |
      When the sessions are enriched with "activity:visits"
      Then the enriched sessions are:
        | user | time                | visits |
        | Ada  | 2024-03-03 09:00:00 | 13     |
        | Ada  | 2024-03-01 08:59:59 | 1      |
        | Ada  | 2024-03-01 09:00:00 | 13     |

    Scenario: Of many rows written at the same moment, the one stored last wins, and a row without a creation time never beats one with
      Given these "activity" values were recorded:
        | user | event time          | created time        | visits |
        | Bob  | 2024-03-01 09:00:00 |                     | 30     |
        | Bob  | 2024-03-01 09:00:00 | 2024-03-01 09:05:00 | 1      |
        | Bob  | 2024-03-01 09:00:00 | 2024-03-01 09:05:00 | 2      |
        | Bob  | 2024-03-01 09:00:00 | 2024-03-01 09:05:00 | 3      |
        | Bob  | 2024-03-01 09:00:00 | 2024-03-01 09:05:00 | 4      |
        | Bob  | 2024-03-01 09:00:00 | 2024-03-01 09:05:00 | 5      |
        | Bob  | 2024-03-01 09:00:00 | 2024-03-01 09:05:00 | 6      |
        | Bob  | 2024-03-01 09:00:00 | 2024-03-01 09:05:00 | 7      |
        | Bob  | 2024-03-01 09:00:00 | 2024-03-01 09:05:00 | 8      |
        | Bob  | 2024-03-01 09:00:00 |                     | 31     |
        | Cy   | 2024-03-01 09:00:00 |                     | 40     |
        | Cy   | 2024-03-01 09:00:00 |                     | 41     |
      And these sessions:
        | user | time                |
        | Bob  | 2024-03-03 09:00:00 |
        | Cy   | 2024-03-03 09:00:00 |
      When the sessions are enriched with "activity:visits"
      Then the enriched sessions are:
        | user | visits |
        | Bob  | 8      |
        | Cy   | 41     |

    Scenario Outline: Of <count> corrections to one moment, the one created last wins
      Given <count> "activity" values of Ada for 2024-03-01 09:00:00 were recorded in shuffled order, created a minute apart, the n-th created holding n "visits"
      And these sessions:
        | user | time                |
        | Ada  | 2024-03-01 08:59:59 |
        | Ada  | 2024-03-01 09:00:00 |
        | Ada  | 2024-03-08 09:00:00 |
        | Ada  | 2024-03-08 09:00:01 |
      When the sessions are enriched with "activity:visits"
      Then the enriched sessions are:
        | user | time                | visits  |
        | Ada  | 2024-03-01 08:59:59 |         |
        | Ada  | 2024-03-01 09:00:00 | <count> |
        | Ada  | 2024-03-08 09:00:00 | <count> |
        | Ada  | 2024-03-08 09:00:01 |         |

      Examples:
        | count |
        | 3     |
        | 300   |

    Scenario Outline: Of <count> corrections to one moment, only those known at the cutoff compete
      Given <count> "activity" values of Ada for 2024-03-01 09:00:00 were recorded in shuffled order, created a minute apart, the n-th created holding n "visits"
      And these sessions:
        | user | time                |
        | Ada  | 2024-03-03 09:00:00 |
      When the sessions are enriched with "activity:visits" as known at 2024-03-01 10:00:00
      Then the enriched sessions are:
        | user | visits   |
        | Ada  | <visits> |

      Examples:
        | count | visits |
        | 30    | 30     |
        | 300   | 60     |

    Scenario Outline: Of <count> rows of one moment created at the same time, the one stored last wins
      Given <count> "activity" values of Bob for 2024-03-01 09:00:00 were recorded, all created at that moment, the n-th stored holding n "visits"
      And these sessions:
        | user | time                |
        | Bob  | 2024-03-03 09:00:00 |
        | Bob  | 2024-03-01 09:00:00 |
      When the sessions are enriched with "activity:visits"
      Then the enriched sessions are:
        | user | time                | visits  |
        | Bob  | 2024-03-03 09:00:00 | <count> |
        | Bob  | 2024-03-01 09:00:00 | <count> |

      Examples:
        | count |
        | 4     |
        | 400   |

    Scenario: Every session of a busy user sees the latest correction of its own hour
      Given these "activity" values were recorded:
        | user | event time          | created time        | visits |
        | Ada  | 2024-03-01 08:00:00 | 2024-03-01 08:00:00 | 1      |
        | Ada  | 2024-03-01 08:00:00 | 2024-03-01 20:00:00 | 2      |
        | Ada  | 2024-03-01 09:00:00 | 2024-03-01 21:00:00 | 3      |
        | Ada  | 2024-03-01 09:00:00 | 2024-03-01 09:00:00 | 4      |
        | Ada  | 2024-03-01 10:00:00 | 2024-03-01 10:00:00 | 5      |
        | Ada  | 2024-03-01 10:00:00 | 2024-03-01 22:00:00 | 6      |
        | Ada  | 2024-03-01 10:00:00 | 2024-03-01 11:00:00 | 7      |
        | Bob  | 2024-03-01 09:30:00 | 2024-03-01 09:30:00 | 8      |
        | Bob  | 2024-03-01 09:30:00 | 2024-03-01 09:30:00 | 9      |
      And these sessions:
        | user | time                |
        | Ada  | 2024-03-01 10:30:00 |
        | Ada  | 2024-03-01 07:59:59 |
        | Bob  | 2024-03-01 10:30:00 |
        | Ada  | 2024-03-01 08:00:00 |
        | Ada  | 2024-03-01 09:59:59 |
        | Ada  | 2024-03-01 10:30:00 |
      When the sessions are enriched with "activity:visits" in memory
      Then the enriched sessions are:
        | user | time                | visits |
        | Ada  | 2024-03-01 10:30:00 | 6      |
        | Ada  | 2024-03-01 07:59:59 |        |
        | Bob  | 2024-03-01 10:30:00 | 9      |
        | Ada  | 2024-03-01 08:00:00 | 2      |
        | Ada  | 2024-03-01 09:59:59 | 3      |
        | Ada  | 2024-03-01 10:30:00 | 6      |

  Rule: inside the warehouse, a dense history is joined exactly, one index lookup per session

    @use.with_env=dev
    Scenario: 2,000 sessions over 20,000 rows of 100 busy users get the in-memory join's values
      Given 100 users with 200 "activity" values each over 10 days, 4 recorded at every moment
      And 2000 sessions of those users and 10 strangers over the same days
      When the sessions are enriched with "activity:visits" as known at 2024-03-08 00:00:00 in the warehouse and in memory
      Then the warehouse and the in-memory join give every session the same visits
      And the warehouse found each session's value with one lookup of the activity index on user and event time

    @use.with_env=dev
    Scenario: A feature table the data scientist may only read is joined all the same, with a warning saying how to index it
      Given 20 users with 100 "activity" values each over 10 days, 5 recorded at every moment
      And 500 sessions of those users and 5 strangers over the same days
      And the data scientist may only read the warehouse's feature tables
      When the sessions are enriched with "activity:visits" as known at 2024-03-08 00:00:00 in the warehouse and in memory
      Then the warehouse and the in-memory join give every session the same visits
      And applying the feature views warned once that "activity" has no index, with the statement its owner should run

  Rule: the join's work follows the shape of the history, so it grows with the rows, not their square

    Scenario Outline: <rows> rows of Ada near each of <sessions> sessions: the join <plan>
      Given <rows> "activity" values of Ada, one a minute from 2024-03-01 09:00:00
      And <sessions> sessions of Ada spread evenly from 2024-03-02 09:00:00 to <last session>
      When the sessions are enriched with "activity:visits" in memory
      Then the join <plan>

      Examples: up to 20 rows near each session
        | rows   | sessions | last session        | plan                                                 |
        | 20     | 1        | 2024-03-02 09:00:00 | paired each session with its user's rows nearby      |
        | 40     | 2        | 2024-03-30 09:00:00 | paired each session with its user's rows nearby      |

      Examples: more than 20 near each session, and more than 4 rows a session
        | rows   | sessions | last session        | plan                                                 |
        | 21     | 1        | 2024-03-02 09:00:00 | merged in time order only the rows near some session |
        | 41     | 2        | 2024-03-30 09:00:00 | merged in time order only the rows near some session |
        | 41     | 10       | 2024-03-02 10:00:00 | merged in time order only the rows near some session |
        | 200000 | 20       | 2024-04-01 09:00:00 | merged in time order only the rows near some session |

      Examples: more than 20 near each session, but at most 4 rows a session
        | rows   | sessions | last session        | plan                                                 |
        | 40     | 10       | 2024-03-02 10:00:00 | merged every row in time order                       |

  Rule: every session is kept, in the order given

    Scenario: A user with no recorded values keeps the session, with empty features
      Given these "activity" values were recorded:
        | user | event time          | visits |
        | Ada  | 2024-03-01 09:00:00 | 3      |
      And these sessions:
        | user | time                |
        | Ada  | 2024-03-02 09:00:00 |
        | Zed  | 2024-03-02 09:00:00 |
      When the sessions are enriched with "activity:visits"
      Then the enriched sessions are:
        | user | time                | visits |
        | Ada  | 2024-03-02 09:00:00 | 3      |
        | Zed  | 2024-03-02 09:00:00 |        |

    Scenario: Duplicate sessions are all kept, in the order given
      Given these "activity" values were recorded:
        | user | event time          | visits |
        | Ada  | 2024-03-01 09:00:00 | 3      |
        | Bob  | 2024-03-01 10:00:00 | 7      |
      And these sessions:
        | user | time                |
        | Bob  | 2024-03-02 09:00:00 |
        | Ada  | 2024-03-02 09:00:00 |
        | Bob  | 2024-03-02 09:00:00 |
      When the sessions are enriched with "activity:visits"
      Then the enriched sessions are:
        | user | time                | visits |
        | Bob  | 2024-03-02 09:00:00 | 7      |
        | Ada  | 2024-03-02 09:00:00 | 3      |
        | Bob  | 2024-03-02 09:00:00 | 7      |

    Scenario: Joining in memory gives the same features and leaves both tables as they were
      Given these "activity" values were recorded:
        | user | event time          | visits |
        | Ada  | 2024-03-01 09:00:00 | 3      |
        | Ada  | 2024-03-02 09:00:01 | 5      |
      And these sessions:
        | user | time                |
        | Ada  | 2024-03-02 09:00:00 |
        | Zed  | 2024-03-02 09:00:00 |
      When the sessions are enriched with "activity:visits" in memory
      Then the enriched sessions are:
        | user | time                | visits |
        | Ada  | 2024-03-02 09:00:00 | 3      |
        | Zed  | 2024-03-02 09:00:00 |        |
      And the sessions and the recorded values are unchanged

  Rule: sessions gain exactly the features asked for, as decimal numbers

    Scenario: Values recorded beside the requested feature are not joined, and counts arrive as decimals
      Given these "activity" values were recorded:
        | user | event time          | visits | purchases |
        | Ada  | 2024-03-01 09:00:00 | 3      | 1         |
        | Bob  | 2024-03-01 09:00:00 | 4      | 0         |
      And these sessions:
        | user | time                |
        | Ada  | 2024-03-02 09:00:00 |
        | Bob  | 2024-03-02 09:00:00 |
      When the sessions are enriched with "activity:visits" in memory
      Then the sessions gained only "visits", holding decimal numbers
      And the enriched sessions are:
        | user | visits |
        | Ada  | 3      |
        | Bob  | 4      |

  Rule: a text feature arrives as the text recorded

    Scenario: Each session gets the membership tier of its time, and none for a stranger
      Given the feature view "membership" keeps each user's "tier" for 30 days
      And these "membership" values were recorded:
        | user | event time          | tier   |
        | Ada  | 2024-03-01 09:00:00 | gold   |
        | Ada  | 2024-03-05 09:00:00 | silver |
        | Bob  | 2024-03-02 09:00:00 | bronze |
      And these sessions:
        | user | time                |
        | Ada  | 2024-03-04 09:00:00 |
        | Zed  | 2024-03-04 09:00:00 |
        | Bob  | 2024-03-04 09:00:00 |
        | Ada  | 2024-03-06 09:00:00 |
      When the sessions are enriched with "membership:tier"
      Then the enriched sessions are:
        | user | tier   |
        | Ada  | gold   |
        | Zed  |        |
        | Bob  | bronze |
        | Ada  | silver |

  Rule: each feature view keeps its own ttl

    Scenario: A session sees a week-old visit count but not a two-day-old purchase total
      Given the feature view "purchases" keeps each user's "spend" for 1 day
      And these "activity" values were recorded:
        | user | event time          | visits |
        | Ada  | 2024-03-01 09:00:00 | 3      |
      And these "purchases" values were recorded:
        | user | event time          | spend |
        | Ada  | 2024-03-06 09:00:00 | 25.5  |
      And these sessions:
        | user | time                |
        | Ada  | 2024-03-08 09:00:00 |
      When the sessions are enriched with "activity:visits, purchases:spend"
      Then the enriched sessions are:
        | user | visits | spend |
        | Ada  | 3      |       |

  Rule: times are compared in UTC, whatever zone they are written in

    Scenario Outline: A session at <session time> sees <visits> visits
      Given these "activity" values were recorded:
        | user | event time          | visits |
        | Ada  | 2024-03-01 09:00:00 | 3      |
        | Ada  | 2024-03-01 10:00:00 | 4      |
      And these sessions:
        | user | time           |
        | Ada  | <session time> |
      When the sessions are enriched with "activity:visits"
      Then the enriched sessions are:
        | user | visits   |
        | Ada  | <visits> |

      Examples: times without a zone are UTC
        | session time        | visits |
        | 2024-03-01 09:30:00 | 3      |
        | 2024-03-01 10:00:00 | 4      |

      Examples: UTC written out
        | session time            | visits |
        | 2024-03-01 09:30:00 UTC | 3      |
        | 2024-03-01T10:00:00Z    | 4      |

      Examples: other zones are converted to UTC first
        | session time                         | visits |
        | 2024-03-01 10:59:59 +01:00           | 3      |
        | 2024-03-01 05:30:00 -05:00           | 4      |
        | 2024-03-01 10:59:59 Europe/Paris     | 3      |
        | 2024-03-01 04:59:59 America/New_York | 3      |

  Rule: sessions that cannot be joined are refused, naming the row or the column

    Scenario Outline: A session with no <missing> is refused
      Given these sessions:
        | user   | time                |
        | Ada    | 2024-03-04 12:00:00 |
        | <user> | <time>              |
      When the sessions are enriched with "activity:visits"
      Then the enrichment is refused because "<reason>"

      Examples: the time or the user is missing
        | missing | user | time                | reason                                          |
        | time    | Bob  |                     | spine row 2 (user=Bob) has no 'event_timestamp' |
        | user    |      | 2024-03-04 12:00:00 | spine row 2 (user=None) has no 'user'           |

    Scenario: Sessions that do not say whose they are are refused naming the missing key
      Given these sessions:
        | time                |
        | 2024-03-04 12:00:00 |
      When the sessions are enriched with "activity:visits"
      Then the enrichment is refused because "the rows have no column 'user', the join key of feature view 'activity'"

    Scenario: Of several sessions without a time, the first is named
      Given these sessions:
        | user | time |
        | Ada  |      |
        | Bob  |      |
      When the sessions are enriched with "activity:visits"
      Then the enrichment is refused because "spine row 1 (user=Ada) has no 'event_timestamp'"

    Scenario: A session whose time is not a time is refused
      Given these sessions:
        | user | time         |
        | Ada  | next Tuesday |
      When the sessions are enriched with "activity:visits"
      Then the enrichment is refused because "column 'event_timestamp' does not hold times: Time data next Tuesday is not ISO8601 format, at position 0"

    Scenario: Sessions joined in memory with neither a user nor a time are refused naming the user first
      Given these "activity" values were recorded:
        | user | event time          | visits |
        | Ada  | 2024-03-01 09:00:00 | 3      |
      And these sessions:
        | page views |
        | 4          |
      When the sessions are enriched with "activity:visits" in memory
      Then the enrichment is refused because "the spine: no column 'user' (columns: page views)"

    Scenario Outline: Sessions that number their users are refused by a view that names them, with the reason <engine> gives
      Given these "activity" values were recorded:
        | user | event time          | visits |
        | Ada  | 2024-03-01 09:00:00 | 3      |
      And these sessions:
        | user number | time                |
        | 1           | 2024-03-04 12:00:00 |
      When the sessions are enriched with "activity:visits"
      Then the enrichment is refused because "<reason>"

      @use.with_env=local
      Examples: joined locally
        | engine | reason                                                                                                     |
        | DuckDB | the point-in-time join of feature view 'activity' failed: Conversion Error: Could not convert string 'Ada' |

      @use.with_env=dev
      Examples: joined in the warehouse
        | engine     | reason                                                                                 |
        | PostgreSQL | the rows' key 'user' holds numbers where its column holds text in the table 'activity' |

    Scenario: Sessions that already hold a column named like the feature are refused
      Given these sessions:
        | user | time                | visits |
        | Ada  | 2024-03-04 12:00:00 | 9      |
      When the sessions are enriched with "activity:visits"
      Then the enrichment is refused because "feature 'visits' of view 'activity' would overwrite a column of the same name"

    Scenario: Sessions that hold columns named like two features of one view are refused naming the first asked for
      Given the feature view "activity" keeps each user's "visits" and "clicks" for 7 days
      And these "activity" values were recorded:
        | user | event time          | visits | clicks |
        | Ada  | 2024-03-01 09:00:00 | 3      | 12     |
      And these sessions:
        | user | time                | clicks | visits |
        | Ada  | 2024-03-04 12:00:00 | 40     | 9      |
      When the sessions are enriched with "activity:visits and activity:clicks"
      Then the enrichment is refused because "feature 'visits' of view 'activity' would overwrite a column of the same name"

    Scenario: A view without a positive ttl is refused when joined in memory, as its definition would be
      Given the feature view "activity" keeps each user's "visits" for 0 seconds
      And these "activity" values were recorded:
        | user | event time          | visits |
        | Ada  | 2024-03-04 12:00:00 | 3      |
      And these sessions:
        | user | time                |
        | Ada  | 2024-03-04 12:00:00 |
      When the sessions are enriched with "activity:visits" in memory
      Then the enrichment is refused because "feature view 'activity' has a ttl of 0:00:00: the ttl must be longer than zero"

  Rule: a training set can be rebuilt exactly as it was known at a cutoff

    Scenario Outline: A value backfilled on 10 March is <seen> as known at <cutoff>
      Given these "activity" values were recorded:
        | user | event time          | created time        | visits |
        | Ada  | 2024-03-01 09:00:00 | 2024-03-01 09:05:00 | 3      |
        | Ada  | 2024-03-02 09:00:00 | 2024-03-10 00:00:00 | 9      |
      And these sessions:
        | user | time                |
        | Ada  | 2024-03-03 09:00:00 |
      When the sessions are enriched with "activity:visits" as known at <cutoff>
      Then the enriched sessions are:
        | user | visits   |
        | Ada  | <visits> |

      Examples: before the backfill, the old value
        | cutoff              | seen    | visits |
        | 2024-03-05 00:00:00 | ignored | 3      |

      Examples: after the backfill, the corrected value
        | cutoff              | seen | visits |
        | 2024-03-10 00:00:00 | used | 9      |

  Rule: mmp agrees with Feast wherever Feast is right, and never loses a session

    Scenario: Feast gives the same values for the sessions it returns; mmp returns them all
      Given these "activity" values were recorded:
        | user | event time          | visits |
        | Ada  | 2024-03-01 09:00:00 | 3      |
        | Ada  | 2024-03-05 09:00:00 | 4      |
        | Bob  | 2024-02-01 09:00:00 | 7      |
      And these sessions:
        | user | time                |
        | Bob  | 2024-03-06 10:00:00 |
        | Ada  | 2024-03-06 10:00:00 |
        | Zed  | 2024-03-06 10:00:00 |
        | Ada  | 2024-03-02 10:00:00 |
      When the sessions are enriched with "activity:visits" by mmp and by Feast
      Then mmp gives the same visits as Feast for every session Feast returns
      And mmp returns every session in the order given, even those Feast loses

  Rule: a value recorded after a session can never leak into training

    Scenario: An outcome copied into a feature an hour later teaches a point-in-time model nothing
      Given 1200 users whose session outcome is copied into "activity:visits" an hour later
      When one model learns from it joined point-in-time and another from it joined by latest value
      Then the point-in-time model scores near chance and the latest-value model near perfect

    Scenario: A retrieval backend that returns a value from after the session is refused
      Given these "activity" values were recorded:
        | user | event time          | visits |
        | Ada  | 2024-03-01 09:00:00 | 3      |
        | Ada  | 2024-03-01 09:00:01 | 4      |
      And these sessions:
        | user | time                |
        | Ada  | 2024-03-01 09:00:00 |
        | Ada  | 2024-03-01 08:00:00 |
      And a retrieval backend that ignores time and returns each user's latest value
      When the sessions are enriched with "activity:visits"
      Then the enrichment is refused because "spine row 1 (user=Ada, time 2024-03-01 09:00:00) got a feature value from after the row's time"

  Rule: the online store serves each user's latest value for real-time scoring

    Scenario: After materializing, a lookup gives each user's latest value and nothing for a stranger
      Given these "activity" values were recorded:
        | user | event time          | visits |
        | Ada  | 2024-03-01 09:00:00 | 3      |
        | Ada  | 2024-03-04 12:00:00 | 5      |
        | Bob  | 2024-03-02 10:00:00 | 7      |
      And the online store has been filled with the latest values
      When "activity:visits" is looked up for Ada, Bob and Zed
      Then the looked-up values are:
        | user | visits |
        | Ada  | 5      |
        | Bob  | 7      |
        | Zed  |        |

  Rule: the command line registers, fills and joins features the way training does

    @fixture.warehouse.240
    Scenario: The feature definitions are applied and materialized from the command line
      When the data scientist applies and materializes the feature definitions from the command line
      Then the commands report the feature views "user_activity, product_popularity" and fill the online store

    Scenario: Joining from the command line gives the features training would get
      Given these "activity" values were recorded:
        | user | event time          | visits |
        | Ada  | 2024-03-01 09:00:00 | 3      |
        | Ada  | 2024-03-04 12:00:01 | 5      |
      And these sessions:
        | user | time                |
        | Ada  | 2024-03-04 12:00:00 |
        | Zed  | 2024-03-04 12:00:00 |
      When the data scientist joins "activity:visits" to the sessions from the command line
      Then the enriched sessions are:
        | user | time                | visits |
        | Ada  | 2024-03-04 12:00:00 | 3      |
        | Zed  | 2024-03-04 12:00:00 |        |

  Rule: a recipe may only ask for features that are defined

    Scenario Outline: A recipe asking for <what> is refused before any data is touched
      Given the example recipe with the extra field "model.augmenter" set to {type: feature_store, features: [<ref>]}
      When the data scientist loads the recipe
      Then the recipe is refused naming "<field>" because "<reason>"

      Examples: references the definitions do not know
        | what               | ref                 | field                      | reason                                              |
        | an unknown view    | shopping:spend      | model.augmenter.features.0 | unknown feature view 'shopping'                     |
        | an unknown feature | user_activity:spend | model.augmenter.features.0 | feature view 'user_activity' has no feature 'spend' |

      Examples: references that are not view:feature, or repeated
        | what           | ref                                      | field           | reason                                          |
        | a bare name    | user_activity                            | model.augmenter | 'user_activity' is not of the form view:feature |
        | a repeated one | user_activity:price, user_activity:price | model.augmenter | 'user_activity:price' is listed twice           |

    @fixture.warehouse
    Scenario: Training with features before the feature store is applied is refused with the fix
      Given the example session-outcome recipe with point-in-time user and product features
      When the data scientist trains it on sessions from 2024-01-01 to 2024-01-04
      Then training is refused because "no feature registry at"
      And no training run was logged

  Rule: feature definitions are refused, naming the field, when they are wrong

    Scenario Outline: Feature definitions with <mistake> are refused
      Given the feature definitions with "<path>" set to <value>
      When the feature definitions are loaded
      Then the feature definitions are refused naming "<field>" because "<reason>"

      Examples: a ttl that is not a positive duration
        | mistake        | path                            | value    | field                           | reason                                                |
        | a ttl of typos | feature_views.user_activity.ttl | "7 dayz" | feature_views.user_activity.ttl | '7 dayz' is not a duration like 7d, 36h, 1d12h or 90s |
        | a zero ttl     | feature_views.user_activity.ttl | "0s"     | feature_views.user_activity.ttl | the ttl must be longer than zero                      |

      Examples: views that do not fit their entities
        | mistake                    | path                                                 | value     | field                             | reason                                                |
        | an unknown entity          | feature_views.user_activity.entities                 | [shopper] | definitions.yaml                  | names the entity 'shopper', which is not defined      |
        | a feature named like a key | feature_views.product_popularity.features.product_id | int64     | definitions.yaml                  | has a feature named 'product_id', which is also a key |
        | an unknown field           | feature_views.user_activity.owner                    | Ada       | feature_views.user_activity.owner | unknown field                                         |
