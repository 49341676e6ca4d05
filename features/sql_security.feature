@security @phase3
Feature: SQL templates cannot be injected
  A data scientist writes a loader's SQL template and declares its parameters, with
  their types, in the recipe; whoever runs the pipeline supplies the values. A value
  only ever travels beside the SQL as a bind variable, the template renders in a
  sandbox, and what it renders must be exactly one read-only query before the
  warehouse, itself opened read-only, sees it. The standard parameters start_date,
  end_date, target_date, period (text) and include_target need no declaration.

  The session loader below selects each session of a window under a caller's label,
  filtered by device, page views and duration, sorted by a column the caller chooses.

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

  @fixture.warehouse
  Rule: a value is data: it never becomes part of the SQL, whatever it says

    Scenario Outline: Whatever a label says, it reaches the warehouse only as data
      When the sessions are loaded with label set to "<label>"
      Then the label reaches the warehouse only as a bind variable
      And exactly the matching sessions come back
      And each comes back labelled exactly "<label>"

      Examples: honest names and notes that look like SQL
        | label                                  |
        | O'Brien                                |
        | Zoë Ünsal, 東京 — café                   |
        | a -- b ; c                             |
        | DROP, DELETE and UPDATE are just words |
        | created_at / updated_at / is_deleted   |

      Examples: tautologies
        | label         |
        | ' OR 'a'='a   |
        | ' OR 1=1 --   |
        | admin' --     |
        | " OR ""="     |
        | ') OR ('1'='1 |

      Examples: UNION
        | label                                           |
        | ' UNION SELECT username, password FROM users -- |
        | ' UNION ALL SELECT NULL, version() --           |

      Examples: stacked queries
        | label                                |
        | '; DROP TABLE sessions; --           |
        | '; DELETE FROM sessions WHERE '1'='1 |
        | 1; UPDATE sessions SET outcome = 1   |

      Examples: comment tricks
        | label                |
        | '/**/OR/**/1=1/**/-- |
        | */ OR 1=1 /*         |
        | ' #                  |

      Examples: time-based
        | label                                  |
        | '; SELECT pg_sleep(10); --             |
        | ' AND 1=(SELECT 1 FROM pg_sleep(5)) -- |
        | ' OR sleep(5) #                        |

      Examples: encoded
        | label                       |
        | %27%20OR%201%3D1%20--       |
        | ＇ OR ＇1＇=＇1                 |
        | \\x27 OR 1=1                |
        | &#39; OR &#39;1&#39;=&#39;1 |
        | CHAR(39) + ' OR 1=1         |

      Examples: PostgreSQL and DuckDB specific
        | label                                            |
        | '; COPY sessions TO '/tmp/leak.csv'; --          |
        | '; COPY (SELECT 1) TO PROGRAM 'id'; --           |
        | ' UNION SELECT * FROM read_csv('/etc/passwd') -- |
        | '; ATTACH '/tmp/evil.db' AS evil; --             |
        | '; INSTALL httpfs; LOAD httpfs; --               |
        | $$; DROP TABLE sessions; $$                      |

      Examples: template code hidden in a value
        | label                                |
        | {{ ''.__class__.__mro__ }}           |
        | {{ 7*7 }}                            |
        | {% for x in range(9) %}x{% endfor %} |

    Scenario Outline: Unusual but honest values select exactly the sessions they describe
      When the sessions are loaded with <parameter> set to "<value>"
      Then exactly the matching sessions come back

      Examples: negative and fractional numbers
        | parameter    | value  |
        | min_views    | -3     |
        | min_views    | 7      |
        | min_duration | -0.5   |
        | min_duration | 250.75 |

      Examples: choices and dates at the edges of the data
        | parameter  | value      |
        | device     | tablet     |
        | start_date | 2024-01-03 |
        | end_date   | 2024-01-02 |

  Rule: a value of the wrong type is refused before any SQL is written

    Scenario Outline: An attacker's <attack> in <parameter> is refused as the wrong type
      When the session query is prepared with <parameter> set to "<value>"
      Then the <parameter> parameter is refused because "<reason>"

      Examples: tautologies
        | attack    | parameter      | value                 | reason              |
        | tautology | start_date     | 2024-01-01' OR '1'='1 | is not a valid date |
        | tautology | min_views      | 1 OR 1=1              | is not a valid int  |
        | tautology | device         | desktop' OR 'a'='a    | is not a valid enum |
        | tautology | include_target | true OR 1=1           | is not a valid bool |

      Examples: UNION
        | attack | parameter    | value                                    | reason               |
        | UNION  | end_date     | 2024-02-01' UNION SELECT * FROM users -- | is not a valid date  |
        | UNION  | min_duration | 0 UNION SELECT password FROM users       | is not a valid float |

      Examples: stacked queries
        | attack        | parameter   | value                                | reason              |
        | stacked query | min_views   | 5; DROP TABLE sessions               | is not a valid int  |
        | stacked query | sort_column | event_timestamp; DROP TABLE sessions | is not a valid enum |
        | stacked query | target_date | 2024-01-01'; DROP TABLE sessions; -- | is not a valid date |

      Examples: comment tricks
        | attack        | parameter | value          | reason              |
        | comment trick | min_views | 5/**/OR/**/1=1 | is not a valid int  |
        | comment trick | end_date  | 2024-01-01'--  | is not a valid date |

      Examples: time-based
        | attack     | parameter    | value                 | reason               |
        | time delay | min_duration | 1 AND pg_sleep(10)    | is not a valid float |
        | time delay | device       | mobile' AND sleep(5)# | is not a valid enum  |

      Examples: encoded
        | attack  | parameter    | value          | reason                   |
        | encoded | min_views    | 0x1F           | is not a valid int       |
        | encoded | start_date   | 2024%2D01%2D01 | is not a valid date      |
        | encoded | device       | ｄｅｓｋｔｏｐ        | is not a valid enum      |
        | encoded | min_duration | 1e309          | expected a finite number |
        | encoded | sort_column  | "device"       | is not a valid enum      |

      Examples: text longer than declared
        | attack    | parameter | value                                                         | reason                    |
        | long text | label     | ' UNION SELECT username, password, email, phone FROM users -- | longer than 60 characters |
        | long text | period    | 2024'; DROP TABLE sessions; DROP TABLE users; --              | longer than 32 characters |

    Scenario Outline: A value of the wrong type is refused, saying what was expected
      When the session query is prepared with <parameter> set to "<value>"
      Then the <parameter> parameter is refused because "<reason>"

      Examples: impossible or ambiguous dates
        | parameter  | value            | reason                        |
        | start_date | 2024-13-01       | month must be in 1..12        |
        | start_date | 2024-02-30       | day is out of range for month |
        | end_date   | 01/02/2024       | expected YYYY-MM-DD           |
        | end_date   | 2024-01-01T10:00 | expected YYYY-MM-DD           |

      Examples: numbers, flags and choices
        | parameter      | value  | reason                                        |
        | min_views      | 3.5    | expected a whole number                       |
        | min_duration   | ten    | expected a number                             |
        | include_target | maybe  | expected true or false                        |
        | device         | laptop | expected one of 'desktop', 'mobile', 'tablet' |

  Rule: only declared parameters are accepted

    Scenario Outline: An undeclared parameter is refused, listing the ones that are allowed
      When the session query is prepared with <parameter> set to "<value>"
      Then the <parameter> parameter is refused because "is not declared for this loader"
      And the refusal lists the allowed parameters "device, end_date, include_target, label, min_duration, min_views, period, sort_column, start_date, target_date"

      Examples: names an attacker might try
        | parameter                       | value               |
        | table                           | users               |
        | sql                             | DROP TABLE sessions |
        | __class__                       | anything            |
        | start_date; DROP TABLE sessions | 2024-01-01          |
        | START_DATE                      | 2024-01-01          |

  Rule: a template can only print parameters and branch on them

    Scenario Outline: A template that reaches into Python is refused
      Given the session loader's template is "<template>"
      When the session query is prepared
      Then the query is refused because "<reason>"

      Examples: attribute and dunder tricks
        | template                                                                 | reason                                            |
        | SELECT {{ ''.__class__.__mro__ }}                                        | access to attribute '__class__'                   |
        | SELECT {{ label.__class__.__init__.__globals__ }}                        | the sandbox forbids                               |
        | SELECT {{ label._value }}                                                | access to attribute '_value'                      |
        | SELECT {{ ''\|attr('__class__') }}                                       | access to attribute '__class__'                   |
        | {% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %} | access to attribute '__class__'                   |
        | SELECT {{ self._TemplateReference__context }}                            | access to attribute '_TemplateReference__context' |

      Examples: helpers, files and Python operations a template cannot use
        | template                                     | reason                   |
        | SELECT {{ cycler.__init__.__globals__.os }}  | the sandbox forbids      |
        | SELECT {{ lipsum }}                          | 'lipsum' is undefined    |
        | SELECT {{ config.items() }}                  | 'config' is undefined    |
        | {% include '/etc/passwd' %}                  | could not be rendered    |
        | {% import 'os' as os %}{{ os.system('id') }} | could not be rendered    |
        | SELECT {{ label.upper() }}                   | has no attribute 'upper' |
        | SELECT {{ label + 1 }}                       | could not be rendered    |

      Examples: a template that does not parse
        | template        | reason                          |
        | SELECT {{ label | template syntax error on line 1 |

    Scenario Outline: A template that would write a value or a name into the SQL text unchecked is refused
      Given the session loader's template is "<template>"
      When the session query is prepared
      Then the query is refused because "<reason>"

      Examples: a value smuggled into the SQL text
        | template                                                   | reason                                           |
        | SELECT '{{ label }}' AS label                              | parameter 'label' is printed inside quotes       |
        | SELECT '{{ start_date }}' AS since, '{{ label }}' AS label | parameter 'label' is printed inside quotes       |
        | SELECT {{ label \| upper }} AS label                       | bind placeholder 'LABEL' that is not a parameter |
        | SELECT $1 AS label                                         | bind placeholder '1' that is not a parameter     |
        | SELECT $2 AS b, $1 AS a                                    | bind placeholder '1' that is not a parameter     |

      Examples: column names that are not declared choices
        | template                                                          | reason                                                                 |
        | SELECT 1 AS x FROM sessions ORDER BY {{ label \| identifier }}    | parameter 'label' is used as a column or table name but is not an enum |
        | SELECT 1 AS x FROM sessions ORDER BY {{ 'device' \| identifier }} | only an enum parameter can be used as a column or table name           |
        | SELECT 1 AS x FROM sessions ORDER BY {{ device \| identifier }}   | 'device' is undefined                                                  |

    @fixture.warehouse
    Scenario: A template that branches on a choice runs the branch the chosen value selects
      Given the session loader's template is "SELECT session_id FROM sessions{% if device == 'tablet' %} WHERE device = {{ device }}{% endif %}"
      When the sessions are loaded with device set to "tablet"
      Then exactly the matching sessions come back

  Rule: a value may be written as a standard typed literal, and still reaches the warehouse only as data
    A date or timestamp written the standard way, DATE '{{ start_date }}', is a typed bind
    variable: nothing but the one parameter may stand inside its quotes. On every warehouse
    it selects what the same literal written out by hand selects.

    @dev @fixture.warehouse
    Scenario Outline: A window written with <kind> literals selects exactly the sessions the window written out by hand selects
      Given the session loader's template is "SELECT session_id FROM sessions WHERE event_timestamp >= <kind> '{{ start_date }}' AND event_timestamp < <kind> '{{ end_date }}'"
      When the sessions are loaded with start_date set to "2024-01-03"
      Then the start_date reaches the warehouse only as a bind variable
      And exactly the matching sessions come back
      And the same sessions come back as from the hand-written "SELECT session_id FROM sessions WHERE event_timestamp >= <kind> '2024-01-03' AND event_timestamp < <kind> '2025-01-01'"

      Examples: the standard typed literals
        | kind        |
        | DATE        |
        | TIMESTAMP   |
        | TIMESTAMPTZ |
        | timestamp   |

    @dev @fixture.warehouse
    Scenario: A window whose length is written as an interval literal selects exactly the sessions the window written out by hand selects
      Given the session loader's template is "SELECT session_id FROM sessions WHERE event_timestamp >= DATE '{{ start_date }}' AND event_timestamp < DATE '{{ start_date }}' + INTERVAL '{{ period }}'"
      When the sessions are loaded with period set to "366 days"
      Then the period reaches the warehouse only as a bind variable
      And exactly the matching sessions come back
      And the same sessions come back as from the hand-written "SELECT session_id FROM sessions WHERE event_timestamp >= DATE '2024-01-01' AND event_timestamp < DATE '2024-01-01' + INTERVAL '366 days'"

    Scenario Outline: Anything more than the one parameter inside a typed literal's quotes is refused
      Given the session loader's template is "<template>"
      When the session query is prepared
      Then the query is refused because "<reason>"

      Examples: text beside the parameter, a filter, or a unit that changes its meaning
        | template                                                                                        | reason                                          |
        | SELECT session_id FROM sessions WHERE event_timestamp >= TIMESTAMP '{{ start_date }} 06:00'     | parameter 'start_date' is printed inside quotes |
        | SELECT session_id FROM sessions WHERE event_timestamp >= DATE '{{ start_date }}' ' '            | could not be read as one query                  |
        | SELECT session_id FROM sessions WHERE device = DATE '{{ label \| lower }}'                      | parameter 'label' is printed inside quotes      |
        | SELECT session_id FROM sessions WHERE event_timestamp >= now() - INTERVAL '{{ min_views }}' DAY | parameter 'min_views' is printed inside quotes  |

  Rule: a refusal of a value printed inside quotes, a comment or a name suggests what to write instead, and the suggestion works
    A suggestion is template text: written in place of what was refused, it renders and runs,
    on every warehouse. A column or table name can only be one an enum parameter declares.

    @dev @fixture.warehouse
    Scenario Outline: Following the suggestion for a value written inside quotes, a comment or a name gives a query that runs
      Given the session loader's template is "<template>"
      When the session query is prepared
      Then the query is refused because "printed inside quotes, a comment or a name"
      And the refusal suggests "<suggestion>" in place of "<written>", which runs

      Examples: a value in quotes, in a longer text, in a typed literal with more in it, and in an interval with a unit
        | template                                                                                         | written                            | suggestion                                             |
        | SELECT '{{ label }}' AS label, session_id FROM sessions                                          | '{{ label }}'                      | {{ label }}                                            |
        | SELECT session_id FROM sessions WHERE device LIKE '%{{ label }}%'                                | '%{{ label }}%'                    | '%' \|\| {{ label }} \|\| '%'                          |
        | SELECT 'O''Brien: {{ label }}' AS label, session_id FROM sessions                                | 'O''Brien: {{ label }}'            | 'O''Brien: ' \|\| {{ label }}                          |
        | SELECT session_id FROM sessions WHERE event_timestamp >= TIMESTAMP '{{ start_date }} 06:00'      | TIMESTAMP '{{ start_date }} 06:00' | CAST({{ start_date }} \|\| ' 06:00' AS TIMESTAMP)      |
        | SELECT session_id FROM sessions WHERE event_timestamp >= now() - INTERVAL '{{ min_views }}' DAY  | INTERVAL '{{ min_views }}' DAY     | {{ min_views }} * INTERVAL '1' DAY                     |
        | SELECT session_id FROM sessions WHERE event_timestamp >= now() - INTERVAL '{{ min_views }} days' | INTERVAL '{{ min_views }} days'    | CAST({{ min_views }} \|\| ' days' AS INTERVAL)         |
        | SELECT session_id FROM sessions WHERE event_timestamp <= now() + INTERVAL '-{{ min_views }}' DAY | INTERVAL '-{{ min_views }}' DAY    | CAST('-' \|\| {{ min_views }} \|\| ' day' AS INTERVAL) |

      Examples: a value run into the text after it, and in dollar quotes
        | template                                                           | written          | suggestion           |
        | SELECT '{{ label }}s' AS label, session_id FROM sessions           | '{{ label }}s'   | {{ label }} \|\| 's' |
        | SELECT session_id FROM sessions WHERE device LIKE $${{ label }}%$$ | $${{ label }}%$$ | {{ label }} \|\| '%' |

      Examples: a value in a comment, in quotes beside a comment, and a choice of column written as a quoted name
        | template                                                                           | written                                       | suggestion                        |
        | /* any device */ SELECT session_id FROM sessions WHERE device LIKE '%{{ label }}%' | '%{{ label }}%'                               | '%' \|\| {{ label }} \|\| '%'     |
        | SELECT session_id FROM sessions -- the sessions labelled {{ label }}               | -- the sessions labelled {{ label }}          | -- the sessions labelled label    |
        | SELECT session_id /* from {{ start_date }} to {{ end_date }} */ FROM sessions      | /* from {{ start_date }} to {{ end_date }} */ | /* from start_date to end_date */ |
        | /* sessions for {{ label }} */ SELECT session_id FROM sessions                     | /* sessions for {{ label }} */                | /* sessions for label */          |
        | SELECT session_id FROM sessions -- one row per {{ label }}s session                | -- one row per {{ label }}s session           | -- one row per labels session     |
        | SELECT session_id FROM sessions ORDER BY "{{ sort_column }}"                       | "{{ sort_column }}"                           | {{ sort_column \| identifier }}   |

    @fixture.warehouse
    Scenario: Two values printed inside quotes are refused one at a time, each with the suggestion for its own name
      Given the session loader also declares the text parameter label_column
      And the session loader's template is "SELECT '{{ label_column }}' AS kind, '{{ label }}' AS label, session_id FROM sessions"
      When the session query is prepared with label_column set to "device"
      Then the query is refused because "parameter 'label' is printed inside quotes"
      And writing "{{ label }}" in place of "'{{ label }}'", as the refusal suggests, leaves "parameter 'label_column' is printed inside quotes"
      And the refusal suggests "{{ label_column }}" in place of "'{{ label_column }}'", which runs

    @dev @fixture.warehouse
    Scenario: A text printed as a quoted column name is refused, and declaring it as a choice of columns runs
      Given the session loader's template is "SELECT session_id, "{{ label }}" FROM sessions"
      When the session query is prepared with label set to "device"
      Then the query is refused because "parameter 'label' is printed inside quotes, a comment or a name"
      And declaring label as one of "device, page_views" and writing "{{ label | identifier }}" in place of ""{{ label }}"", as the refusal suggests, runs

    @dev @fixture.warehouse
    Scenario: The suggestion for a quoted name names its parameter, even when another parameter's name begins the same way
      Given the session loader also declares the text parameter label_column
      And the session loader's template is "SELECT {{ label }} AS label, "{{ label_column }}" FROM sessions"
      When the session query is prepared with label_column set to "device"
      Then the query is refused because "parameter 'label_column' is printed inside quotes, a comment or a name"
      And declaring label_column as one of "device, page_views" and writing "{{ label_column | identifier }}" in place of ""{{ label_column }}"", as the refusal suggests, runs

    @fixture.warehouse
    Scenario: A number written as an interval literal is refused, and multiplying it by one day runs
      Given the session loader's template is "SELECT session_id FROM sessions WHERE event_timestamp >= DATE '{{ end_date }}' - INTERVAL '{{ min_views }}'"
      When the session query is prepared
      Then the query is refused because "is not a length of time written as text"
      And the refusal suggests "{{ min_views }} * INTERVAL '1' DAY" in place of "INTERVAL '{{ min_views }}'", which runs

    @fixture.warehouse
    Scenario: A placeholder written by hand is refused, and printing the parameter instead runs
      Given the session loader's template is "SELECT session_id FROM sessions WHERE event_timestamp >= $1"
      When the session query is prepared
      Then the query is refused because "bind placeholder '1' that is not a parameter"
      And the refusal suggests "{{ start_date }}" in place of "$1", which runs

    @fixture.warehouse
    Scenario Outline: A typed literal written without its quotes is refused where it stands, and adding them runs
      Given the session loader's template is "SELECT session_id FROM sessions WHERE event_timestamp >= <written>"
      When the session query is prepared
      Then the query is refused because "Unexpected token at line 1, column <column>"
      And the refusal suggests "<suggestion>" in place of "<written>", which runs

      Examples: a date and a timestamp
        | written                  | column | suggestion                 |
        | DATE {{ start_date }}    | 63     | DATE '{{ start_date }}'    |
        | TIMESTAMP {{ end_date }} | 68     | TIMESTAMP '{{ end_date }}' |

  Rule: the rendered SQL must be exactly one query that only reads

    Scenario Outline: A template that would do more than read is refused, naming what it would do
      Given the session loader's template is "<template>"
      When the session query is prepared
      Then the query is refused because "<reason>"

      Examples: changing data or structure
        | template                                                                 | reason                                      |
        | DROP TABLE sessions                                                      | would drop a table or another object (DROP) |
        | DELETE FROM sessions                                                     | would delete rows (DELETE)                  |
        | UPDATE sessions SET outcome = 1                                          | would change rows (UPDATE)                  |
        | INSERT INTO sessions SELECT * FROM sessions                              | would insert rows (INSERT)                  |
        | CREATE TABLE stolen AS SELECT * FROM sessions                            | would create a table or another object      |
        | ALTER TABLE sessions ADD COLUMN flag INT                                 | would change the structure of a table       |
        | TRUNCATE sessions                                                        | would empty a table (TRUNCATE)              |
        | MERGE INTO sessions USING sessions AS s ON true WHEN MATCHED THEN DELETE | would merge rows into a table (MERGE)       |
        | SELECT * INTO stolen FROM sessions                                       | would store its result in a new table       |
        | WITH gone AS (DELETE FROM sessions RETURNING *) SELECT * FROM gone       | would delete rows (DELETE)                  |
        | SELECT * FROM sessions FOR UPDATE                                        | would lock rows                             |

      Examples: stacked queries
        | template                                               | reason                              |
        | SELECT * FROM sessions; DROP TABLE sessions            | holds 2 statements (SELECT, DROP)   |
        | SELECT 1; SELECT 2                                     | holds 2 statements (SELECT, SELECT) |
        | SELECT '; ' AS a; DELETE FROM sessions; --             | holds 2 statements (SELECT, DELETE) |
        | SELECT 1; WITH gone AS (SELECT 1) DELETE FROM sessions | holds 2 statements (SELECT, DELETE) |

      Examples: reaching outside the warehouse
        | template                                                                   | reason                                                                       |
        | COPY sessions TO '/tmp/leak.csv'                                           | would copy data to or from a file (COPY)                                     |
        | COPY (SELECT * FROM sessions) TO '/tmp/leak.parquet'                       | would copy data to or from a file (COPY)                                     |
        | SELECT * FROM read_csv('/etc/passwd')                                      | reads the file or URL '/etc/passwd' with read_csv()                          |
        | SELECT * FROM read_csv('/etc/passwd', header = true)                       | reads the file or URL '/etc/passwd' with read_csv()                          |
        | SELECT * FROM read_parquet('s3://bucket/x.parquet')                        | reads the file or URL 's3://bucket/x.parquet'                                |
        | SELECT * FROM glob('/home/*')                                              | reads the file or URL '/home/*' with glob()                                  |
        | SELECT * FROM '/etc/passwd'                                                | reads the file or URL '/etc/passwd' as a file name in FROM                   |
        | SELECT read_text('/etc/hostname') AS secret                                | reads the file or URL '/etc/hostname' with read_text()                       |
        | SELECT pg_read_file('/etc/passwd') AS secret                               | reads the file or URL '/etc/passwd' with pg_read_file()                      |
        | SELECT * FROM read_text()                                                  | calls read_text() without a path                                             |
        | SELECT * FROM read_csv(42)                                                 | reads a file or URL with read_csv() whose path is computed                   |
        | ATTACH '/tmp/evil.db' AS evil                                              | would attach another database (ATTACH)                                       |
        | DETACH evil                                                                | would detach a database (DETACH)                                             |
        | INSTALL httpfs                                                             | would install a database extension (INSTALL)                                 |
        | LOAD httpfs                                                                | would load a database extension (LOAD)                                       |
        | SELECT * FROM query('DROP TABLE sessions')                                 | calls query(), which would run SQL written as text                           |
        | SELECT * FROM duckdb_secrets()                                             | calls duckdb_secrets(), which would read the server's environment or secrets |
        | SELECT * FROM duckdb_settings()                                            | reads from the table function duckdb_settings()                              |
        | SELECT getenv('HOME') AS home                                              | calls getenv()                                                               |
        | SELECT try_reflect('java.lang.System', 'getProperty', 'user.home') AS home | calls try_reflect(), which would call a Java method on the servers           |

      Examples: changing the session or the server
        | template                                       | reason                                                      |
        | PRAGMA enable_profiling                        | would change or inspect the database's settings (PRAGMA)    |
        | SET threads = 1                                | would change a setting (SET)                                |
        | RESET threads                                  | would change a setting (RESET)                              |
        | CALL dbgen(sf = 1)                             | would call a procedure (CALL)                               |
        | EXPORT DATABASE '/tmp/dump'                    | would export the database to files (EXPORT)                 |
        | BEGIN TRANSACTION                              | would control transactions (BEGIN)                          |
        | USE other_database                             | would switch to another database (USE)                      |
        | CHECKPOINT                                     | would write the database to disk (CHECKPOINT)               |
        | SELECT pg_sleep(10) AS pause                   | calls pg_sleep(), which would make the database wait        |
        | SELECT set_config('role', 'admin', false) AS x | calls set_config(), which would change the database's state |

      Examples: statements that are not queries
        | template                 | reason                               |
        | DESCRIBE sessions        | is a DESCRIBE statement, not a query |
        | SHOW TABLES              | is a SHOW statement, not a query     |
        | VALUES (1), (2)          | is a VALUES statement, not a query   |
        | -- nothing but a comment | the SQL is empty                     |

      Examples: SQL too broken or tangled to check
        | template                                               | reason                                                              |
        | SELECT 'unfinished                                     | could not be read as one query                                      |
        | SELECT session_id, 'unfinished AS note                 | a text in quotes that is never closed at line 1, column 20          |
        | SELECT 'a' AS kind, 'unfinished AS note FROM sessions  | a text in quotes that is never closed at line 1, column 21          |
        | SELECT session_id, 'unfinished, "device" FROM sessions | a text in quotes that is never closed at line 1, column 20          |
        | SELECT FROM WHERE                                      | Expected table name but got 'WHERE'                                 |
        | SELECT session_id FROM                                 | Expected table name but got the end of the SQL at line 1, column 19 |
        | SELECT session_id FROM sessions WHERE session_id = 1 1 | Unexpected token at line 1, column 54                               |
        | SELECT {{ '(' * 500 }}1{{ ')' * 500 }} AS deep         | the SQL is nested too deeply to be checked                          |

    Scenario: SQL broken on its fifth line is refused naming that line, the column and the line's text
      Given the session loader's template is:
        """
        {# sessions that viewed pages on one device #}
        SELECT session_id
        FROM sessions
        WHERE page_views >
          AND device = 'mobile'
        """
      When the session query is prepared
      Then the query is refused because "at line 5, column 3, in "AND device = 'mobile'""

  @fixture.warehouse
  Rule: honest queries pass, whatever words their names, comments and texts contain

    Scenario Outline: A legitimate query that a keyword filter would block runs and returns every session
      Given the session loader's template is "<template>"
      When the sessions are loaded
      Then every session comes back exactly once

      Examples: columns named like SQL keywords
        | template                                                                                                                      |
        | SELECT session_id, event_timestamp AS created_at, event_timestamp AS updated_at, false AS is_deleted FROM sessions            |
        | WITH flagged AS (SELECT session_id, page_views < 0 AS deleted FROM sessions) SELECT session_id FROM flagged WHERE NOT deleted |

      Examples: comments and texts holding --, ; and keywords
        | template                                                                       |
        | SELECT session_id FROM sessions -- created_at; updated_at; DROP is only a word |
        | SELECT session_id, 'a -- b; c' AS note FROM sessions /* DELETE; UPDATE */      |
        | SELECT session_id, 'DROP TABLE sessions;' AS quoted_text FROM sessions         |

      Examples: CTEs, window functions, set operations and branches
        | template                                                                                                                            |
        | WITH windowed AS (SELECT * FROM sessions WHERE event_timestamp >= {{ start_date }}) SELECT session_id FROM windowed                 |
        | SELECT session_id, row_number() OVER (PARTITION BY user_id ORDER BY event_timestamp) AS nth_visit FROM sessions                     |
        | SELECT session_id, sum(page_views) OVER (ORDER BY event_timestamp ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS recent FROM sessions |
        | SELECT session_id FROM sessions WHERE page_views < 5 UNION ALL SELECT session_id FROM sessions WHERE page_views >= 5                |
        | SELECT session_id FROM sessions EXCEPT SELECT session_id FROM sessions WHERE session_id < 0                                         |
        | SELECT session_id FROM sessions INTERSECT SELECT session_id FROM sessions                                                           |
        | SELECT s.session_id FROM sessions AS s JOIN (SELECT DISTINCT user_id FROM sessions) AS u USING (user_id)                            |
        | SELECT session_id FROM sessions, range(1) AS once                                                                                   |
        | {% if include_target %}SELECT session_id, outcome FROM sessions{% else %}SELECT session_id FROM sessions{% endif %}                 |
        | SELECT session_id FROM sessions{% if sort_column == 'session_duration' %} ORDER BY session_duration{% endif %}                      |

  @fixture.warehouse
  Rule: a column the caller chooses must be one of its declared names, and is always quoted

    Scenario Outline: Sessions come back sorted by the chosen column
      When the sessions are loaded with sort_column set to "<column>"
      Then the sessions come back sorted by <column>, named in the SQL only in quotes

      Examples: declared choices
        | column           |
        | event_timestamp  |
        | session_duration |

  Rule: files and URLs are read only where the recipe allows their path

    Scenario Outline: A template may read a file whose path the recipe allows
      Given the recipe allows the session loader to read "exports/*.parquet"
      And the session loader's template is "<template>"
      When the session query is prepared
      Then the query is accepted

      Examples: allowed files
        | template                                                               |
        | SELECT * FROM read_parquet('exports/sessions.parquet')                 |
        | SELECT * FROM read_parquet(['exports/a.parquet', 'exports/b.parquet']) |
        | SELECT * FROM 'exports/sessions.parquet'                               |

    Scenario Outline: A path outside the allowed ones is refused
      Given the recipe allows the session loader to read "exports/*.parquet"
      And the session loader's template is "<template>"
      When the session query is prepared
      Then the query is refused because "<reason>"

      Examples: paths that escape the allowed folder
        | template                                                         | reason                                 |
        | SELECT * FROM read_parquet('exports/../secrets/keys.parquet')    | not among the paths this recipe allows |
        | SELECT * FROM read_parquet('exports/2024/sessions.parquet')      | not among the paths this recipe allows |
        | SELECT * FROM read_parquet(['exports/a.parquet', '/etc/passwd']) | reads the file or URL '/etc/passwd'    |
        | SELECT * FROM read_parquet('https://evil.example/x.parquet')     | not among the paths this recipe allows |
        | SELECT * FROM read_parquet({{ label }})                          | reads the file or URL 'all sessions'   |
        | SELECT * FROM read_parquet(concat('exports/', 'x.parquet'))      | whose path is computed                 |
        | SELECT * FROM read_parquet(label) WHERE label = {{ label }}      | whose path is computed                 |

    Scenario: A path that climbs out of its folder is refused even where a wildcard would match it
      Given the recipe allows the session loader to read "*/*.parquet"
      And the session loader's template is "SELECT * FROM read_parquet('../secrets.parquet')"
      When the session query is prepared
      Then the query is refused because "not among the paths this recipe allows"

    Scenario: A recipe may not allow a path that climbs out of its folder
      Given the example recipe with the extra field "model.loader.allowed_paths" set to ["exports/../../secrets/*"]
      When the data scientist loads the recipe
      Then the recipe is refused naming "model.loader.allowed_paths" because "must be a non-empty path without '..'"

  @fixture.warehouse
  Rule: the warehouse connection itself only reads

    Scenario Outline: Even SQL that slipped past every check cannot change the warehouse
      When "<statement>" is sent straight to the warehouse, skipping every check
      Then the query is refused because "read-only mode"
      And every session is still in the warehouse

      Examples: writes
        | statement                                     |
        | DROP TABLE sessions                           |
        | DELETE FROM sessions                          |
        | UPDATE sessions SET outcome = 1               |
        | CREATE TABLE stolen AS SELECT * FROM sessions |

  Rule: a recipe may only name model classes from the allowlist

    Scenario Outline: A model class outside the allowlist is refused before its module is imported
      Given the example recipe names the model class "<model class>"
      When the data scientist trains it on sessions from 2024-01-01 to 2024-01-21
      Then training is refused because "is not in the allowlist"
      And nothing from "<module>" was imported

      Examples: modules that act as soon as they are imported
        | model class         | module      |
        | antigravity.geohash | antigravity |
        | this.s              | this        |

  Rule: auditors can see exactly what a template sends, from the command line

    Scenario Outline: render-sql shows the SQL and its bind variables, never a value inside the SQL
      When an auditor renders the session template as <format> with label set to "<label>"
      Then the command exits with 0
      And it shows the bind variable label = "<label>", which is not in the SQL

      Examples: both output formats
        | format | label                      |
        | JSON   | ' OR 'a'='a                |
        | text   | '; DROP TABLE sessions; -- |

    Scenario Outline: render-sql refuses an attack with the reason and exit code 2
      When an auditor renders the session template as <format> with <parameter> set to "<value>"
      Then the command exits with 2
      And it gives the reason "<reason>"
      And no traceback is shown

      Examples: refused values and names
        | format | parameter  | value                 | reason                          |
        | JSON   | start_date | 2024-01-01' OR '1'='1 | is not a valid date             |
        | JSON   | table      | users                 | is not declared for this loader |
        | text   | end_date   | 2024-13-01            | month must be in 1..12          |

    Scenario Outline: render-sql refuses a template that would do more than read
      Given the session loader's template is "<template>"
      When an auditor renders the session template as <format>
      Then the command exits with 2
      And it gives the reason "<reason>"

      Examples: stacked and file-reading templates
        | format | template                                    | reason                              |
        | JSON   | SELECT * FROM sessions; DROP TABLE sessions | holds 2 statements (SELECT, DROP)   |
        | text   | SELECT * FROM read_csv('/etc/passwd')       | reads the file or URL '/etc/passwd' |
