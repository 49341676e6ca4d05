"""Checking rendered SQL before any warehouse sees it: exactly one read-only query.

The SQL is parsed with sqlglot in the warehouse's dialect and its whole tree is walked,
so keywords inside comments and string literals are harmless while a ``DELETE`` hidden
in a ``WITH`` clause is not. What passes:

* exactly one statement, shaped as a query: ``SELECT``, ``WITH … SELECT``, or a
  ``UNION`` / ``INTERSECT`` / ``EXCEPT`` of queries;
* no clause that writes or locks (``SELECT … INTO``, ``FOR UPDATE``), no function that
  reaches outside the warehouse (sleeping, running SQL text, other databases, settings);
* table functions only from a short safe list; files and URLs (``read_csv``,
  ``read_parquet``, ``glob``, ``FROM 'file.csv'`` …) only where the recipe's
  ``model.loader.allowed_paths`` lists the path;
* every bind placeholder is a parameter, and every printed parameter is a placeholder.

Every refusal is an :class:`UnsafeSQLError` naming the construct in plain words.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError, TokenError
from sqlglot.tokens import TokenType

from mmp.errors import UnsafeSQLError

# sqlglot warns on every statement it keeps as a raw command; the refusal says it better.
logging.getLogger("sqlglot").setLevel(logging.ERROR)

#: How each dialect writes a bind variable into the SQL text.
PLACEHOLDERS: dict[str, Callable[[str], str]] = {
    "duckdb": lambda name: f"${name}",
    "postgres": lambda name: f"%({name})s",
    "spark": lambda name: f":{name}",
}

PARSE_HINT = ("fix the SQL at the quoted place; a parameter prints bare where a value "
              "belongs ({{ p }}), or as a typed literal (DATE '{{ p }}')")
READ_ONLY_HINT = ("a loader template must be exactly one SELECT query "
                  "(WITH, UNION, INTERSECT and EXCEPT are fine)")
PATHS_HINT = ("list the file or URL pattern under model.loader.allowed_paths in the recipe "
              "if the template really must read it")

#: What a statement would do, by its leading keyword, in the words a refusal uses.
ACTIONS: dict[str, str] = {
    "DROP": "drop a table or another object", "CREATE": "create a table or another object",
    "ALTER": "change the structure of a table", "TRUNCATE": "empty a table",
    "INSERT": "insert rows", "UPDATE": "change rows", "DELETE": "delete rows",
    "MERGE": "merge rows into a table", "COPY": "copy data to or from a file",
    "ATTACH": "attach another database", "DETACH": "detach a database",
    "INSTALL": "install a database extension", "LOAD": "load a database extension",
    "PRAGMA": "change or inspect the database's settings", "SET": "change a setting",
    "RESET": "change a setting", "CALL": "call a procedure",
    "EXPORT": "export the database to files", "IMPORT": "import files into the database",
    "USE": "switch to another database", "BEGIN": "control transactions",
    "START": "control transactions", "COMMIT": "control transactions",
    "ROLLBACK": "control transactions", "VACUUM": "rewrite the database's storage",
    "CHECKPOINT": "write the database to disk", "GRANT": "change permissions",
    "REVOKE": "change permissions", "DO": "run a block of procedural code",
}

#: Statements the parser knows by class, where the leading keyword would mislead.
_KEYWORDS: dict[type[exp.Expression], str] = {
    exp.Insert: "INSERT", exp.Update: "UPDATE", exp.Delete: "DELETE", exp.Merge: "MERGE",
    exp.Create: "CREATE", exp.Drop: "DROP", exp.Alter: "ALTER", exp.TruncateTable: "TRUNCATE",
    exp.Copy: "COPY", exp.Attach: "ATTACH", exp.Detach: "DETACH", exp.Install: "INSTALL",
    exp.Pragma: "PRAGMA", exp.Set: "SET", exp.Use: "USE", exp.Transaction: "BEGIN",
    exp.Commit: "COMMIT", exp.Rollback: "ROLLBACK",
}

#: Clauses that turn a query into something that writes or locks.
_CLAUSES: dict[type[exp.Expression], str] = {
    exp.Into: "store its result in a new table (SELECT … INTO)",
    exp.Lock: "lock rows (FOR UPDATE / FOR SHARE)",
    exp.QueryTransform: "run a program on the servers (SELECT TRANSFORM ... USING)",
}

#: Functions a loader may never call, whatever the recipe says, and why.
FORBIDDEN_FUNCTIONS: dict[str, str] = {
    **dict.fromkeys(("pg_sleep", "pg_sleep_for", "pg_sleep_until", "sleep"),
                    "make the database wait"),
    **dict.fromkeys(("query", "query_table", "dblink", "dblink_exec", "postgres_query",
                     "postgres_execute", "mysql_query", "mysql_execute"),
                    "run SQL written as text, unchecked"),
    **dict.fromkeys(("postgres_scan", "postgres_scan_pushdown", "postgres_attach",
                     "mysql_scan", "sqlite_attach"), "read another database"),
    **dict.fromkeys(("set_config", "setval", "nextval", "pg_terminate_backend",
                     "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile",
                     "pg_promote", "lo_import", "lo_export", "lo_unlink", "txid_current"),
                    "change the database's state"),
    **dict.fromkeys(("getenv", "duckdb_secrets", "which_secret"),
                    "read the server's environment or secrets"),
    **dict.fromkeys(("reflect", "java_method", "try_reflect"),
                    "call a Java method on the servers"),
}

#: Functions whose first argument is a file path, a glob or a URL they read.
PATH_READERS = frozenset((
    "read_csv", "read_csv_auto", "read_parquet", "parquet_scan", "parquet_metadata",
    "parquet_schema", "parquet_file_metadata", "parquet_kv_metadata", "read_json",
    "read_json_auto", "read_json_objects", "read_json_objects_auto", "read_ndjson",
    "read_ndjson_auto", "read_ndjson_objects", "read_text", "read_blob", "read_xlsx",
    "sniff_csv", "glob", "st_read", "delta_scan", "iceberg_scan", "iceberg_metadata",
    "iceberg_snapshots", "sqlite_scan", "pg_read_file", "pg_read_binary_file", "pg_ls_dir",
    "pg_stat_file",
))

#: Table functions that only generate rows.
SAFE_TABLE_FUNCTIONS = frozenset((
    "range", "generate_series", "exploding_generate_series", "unnest", "generate_subscripts",
))

_QUERY_SHAPES = (exp.Select, exp.SetOperation, exp.Subquery)
_TOKEN = re.compile(r"<Token token_type: [^,]*, text: (.*?), line: .*?>")
_CLASS = re.compile(r"<class '[\w.]*?(\w+)'>")


def check_query(
    sql: str,
    params: Mapping[str, Any],
    *,
    dialect: str,
    allowed_paths: Sequence[str] = (),
    template: str | None = None,
) -> None:
    """Refuse ``sql`` unless it is exactly one read-only query binding exactly ``params``."""

    def refuse(message: str, hint: str = READ_ONLY_HINT) -> UnsafeSQLError:
        return UnsafeSQLError(message, template=template, hint=hint)

    statements = _statements(sql, dialect, refuse, params)
    if not statements:
        raise refuse("the SQL is empty")
    if len(statements) > 1:
        words = ", ".join(_keyword(s, dialect) for s in statements)
        raise refuse(f"the SQL holds {len(statements)} statements ({words}); "
                     "a loader may run exactly one query")
    root = statements[0]
    placeholders: set[str] = set()
    for node in root.walk():
        if isinstance(node, exp.Placeholder | exp.Parameter):
            placeholders.add(node.name)
        elif reason := _forbidden(node, params, dialect, allowed_paths):
            raise refuse(*reason)
    if not isinstance(root, _QUERY_SHAPES):
        raise refuse(_statement_refusal(_keyword(root, dialect)))
    _check_placeholders(placeholders, params, refuse, sql, dialect)


def _statements(sql: str, dialect: str, refuse: Any,
                params: Mapping[str, Any]) -> list[exp.Expression]:
    try:
        parsed = sqlglot.parse(sql, read=dialect)
    except SqlglotError as exc:
        raise refuse(_unreadable(sql, dialect, exc), _parse_hint(sql, dialect, params)) from None
    except RecursionError:
        raise refuse("the SQL is nested too deeply to be checked") from None
    return [s for s in parsed if s is not None and not isinstance(s, exp.Semicolon)]


def _unreadable(sql: str, dialect: str, exc: SqlglotError) -> str:
    """Why unparseable SQL is refused, naming its statement where the keyword is known."""
    word = _first_word(sql, dialect)
    if word in ACTIONS:
        return _statement_refusal(word)
    return f"the SQL could not be read as one query: {_parse_problem(sql, dialect, exc)}"


def _parse_problem(sql: str, dialect: str, exc: SqlglotError) -> str:
    errors = getattr(exc, "errors", None)
    if isinstance(exc, TokenError):
        description, where = _unclosed(sql, dialect)
    elif errors:
        first = errors[0]
        description = _CLASS.sub(r"\1", _TOKEN.sub(_token_text, first["description"]))
        where = _error_offset(sql, first)
    else:
        return str(exc).splitlines()[0]
    if where is None:
        return description
    line_start = sql.rfind("\n", 0, where) + 1
    line_end = sql.find("\n", where)
    fragment = sql[line_start:len(sql) if line_end < 0 else line_end].strip()
    return (f"{description} at line {sql.count(chr(10), 0, where) + 1}, "
            f"column {where - line_start + 1}, in {fragment!r}")


def _token_text(found: re.Match[str]) -> str:
    """A token sqlglot names in an error, as the user wrote it (its end marker as words)."""
    return "the end of the SQL" if found[1] == "SENTINEL" else f"'{found[1]}'"


def _parse_hint(sql: str, dialect: str, params: Mapping[str, Any]) -> str:
    """What to write instead, naming the parameter when one follows a type word bare
    (``DATE {{ start_date }}``, a typed literal without its quotes)."""
    for name in sorted(params):
        placeholder = re.escape(PLACEHOLDERS[dialect](name))
        found = re.search(rf"\b(DATE|TIMESTAMPTZ|TIMESTAMP|INTERVAL)\s+{placeholder}(?!\w)", sql,
                          re.IGNORECASE)
        if found:
            word = found[1].upper()
            return (f"write {name} as a typed literal, {word} '{{{{ {name} }}}}', "
                    f"or as CAST({{{{ {name} }}}} AS {word})")
    return PARSE_HINT


_OPENERS = {"'": "a text in quotes that is never closed",
            '"': "a quoted name that is never closed",
            "/*": "a comment that is never closed", "$": "a $-quoted text that is never closed"}


def _unclosed(sql: str, dialect: str) -> tuple[str, int | None]:
    """What the tokenizer could not read, and where: the last quote or comment opener before
    which the SQL still reads (sqlglot only says where it gave up, at the end)."""
    tokenizer = sqlglot.Dialect.get_or_raise(dialect).tokenizer_class()
    openers = sorted(((m.start(), m.group()) for m in re.finditer(r"'|\"|/\*|\$", sql)),
                     reverse=True)
    for where, opener in openers:
        try:
            tokenizer.tokenize(sql[:where])
        except SqlglotError:
            continue
        return _OPENERS[opener], where
    return "a character or sequence the SQL cannot contain", None


def _error_offset(sql: str, error: Mapping[str, Any]) -> int | None:
    """Where in ``sql`` the parser stopped, from the text around it (sqlglot's own line and
    column can be off, even negative, after comments and line breaks)."""
    before = error.get("start_context") or ""
    around = before + (error.get("highlight") or "") + (error.get("end_context") or "")
    if not around:
        return None
    found = sql.find(around)
    return None if found < 0 else found + len(before)


def _first_word(sql: str, dialect: str) -> str:
    try:
        tokens = sqlglot.Dialect.get_or_raise(dialect).tokenize(sql)
    except SqlglotError:
        return ""
    return tokens[0].text.upper() if tokens else ""


def _keyword(statement: exp.Expression, dialect: str) -> str:
    if isinstance(statement, exp.Command):
        return str(statement.this).upper()
    for kind, word in _KEYWORDS.items():
        if isinstance(statement, kind):
            return word
    return _first_word(statement.sql(dialect=dialect), dialect) or type(statement).__name__


def _statement_refusal(word: str) -> str:
    if word in ACTIONS:
        return f"the SQL would {ACTIONS[word]} ({word}); a loader may only read"
    return f"the SQL is a {word} statement, not a query"


def _forbidden(node: exp.Expression, params: Mapping[str, Any], dialect: str,
               allowed_paths: Sequence[str]) -> tuple[str, ...] | None:
    """Why ``node`` may not appear in a loader's query, or None when it may."""
    for kind, word in _KEYWORDS.items():
        if isinstance(node, kind):
            return (_statement_refusal(word),)
    for kind, action in _CLAUSES.items():
        if isinstance(node, kind):
            return (f"the SQL would {action}; a loader may only read",)
    if isinstance(node, exp.Command):
        return (_statement_refusal(_keyword(node, dialect)),)
    if isinstance(node, exp.Table):
        return _table_source(node, params, allowed_paths)
    if isinstance(node, exp.Func):
        return _function(node, params, allowed_paths)
    return None


def _function_name(node: exp.Func) -> str:
    return (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()


def _function(node: exp.Func, params: Mapping[str, Any],
              allowed_paths: Sequence[str]) -> tuple[str, ...] | None:
    name = _function_name(node)
    if name in FORBIDDEN_FUNCTIONS:
        return (f"the SQL calls {name}(), which would {FORBIDDEN_FUNCTIONS[name]}",)
    if name not in PATH_READERS:
        return None
    arguments = [a for a in (node.args.get("this"), *node.expressions)
                 if isinstance(a, exp.Expression)]
    if not arguments:
        return (f"the SQL calls {name}() without a path",)
    return _paths(name, arguments[0], params, allowed_paths)


def _table_source(node: exp.Table, params: Mapping[str, Any],
                  allowed_paths: Sequence[str]) -> tuple[str, ...] | None:
    """Refuse table functions outside the safe list and table names that are file paths."""
    source = node.this
    if isinstance(source, exp.Func):
        name = _function_name(source)
        if name in SAFE_TABLE_FUNCTIONS or name in PATH_READERS or name in FORBIDDEN_FUNCTIONS:
            return None  # judged when the walk reaches the function itself
        return (f"the SQL reads from the table function {name}(), "
                "not from the warehouse's tables",)
    name = node.name
    if any(mark in name for mark in "/\\:.") or name.startswith("~"):
        return _paths("a file name in FROM", exp.Literal.string(name), params, allowed_paths)
    return None


def _paths(reader: str, argument: exp.Expression, params: Mapping[str, Any],
           allowed_paths: Sequence[str]) -> tuple[str, ...] | None:
    """Refuse unless every path ``argument`` names matches one of ``allowed_paths``."""
    how = f"with {reader}()" if reader.isidentifier() else f"as {reader}"
    for path in _path_values(argument, params):
        if path is None:
            return (f"the SQL reads a file or URL {how} whose path is computed; "
                    "write the path out, or pass it as a parameter", PATHS_HINT)
        if not any(path_matches(path, pattern) for pattern in allowed_paths):
            allowed = ("this recipe allows no file paths" if not allowed_paths else
                       "it is not among the paths this recipe allows ("
                       + ", ".join(allowed_paths) + ")")
            return (f"the SQL reads the file or URL {path!r} {how}; {allowed}", PATHS_HINT)
    return None


def _path_values(argument: exp.Expression, params: Mapping[str, Any]) -> Iterator[str | None]:
    """The paths an argument names: literal text, bound parameter values, or lists of them."""
    if isinstance(argument, exp.Array | exp.Tuple):
        for item in argument.expressions:
            yield from _path_values(item, params)
    elif isinstance(argument, exp.Literal) and argument.is_string:
        yield argument.this
    elif isinstance(argument, exp.Placeholder) and isinstance(params.get(argument.name), str):
        yield params[argument.name]
    else:
        yield None


def path_matches(path: str, pattern: str) -> bool:
    """``pattern`` matches ``path`` segment by segment (``*`` never crosses ``/``; no ``..``)."""
    parts, wanted = path.split("/"), pattern.split("/")
    if ".." in parts or len(parts) != len(wanted):
        return False
    return all(fnmatchcase(part, want) for part, want in zip(parts, wanted, strict=True))


def _check_placeholders(placeholders: set[str], params: Mapping[str, Any], refuse: Any,
                        sql: str, dialect: str) -> None:
    unknown = sorted(placeholders - set(params))
    if unknown:
        raise refuse(f"the SQL has a bind placeholder {unknown[0]!r} that is not a parameter",
                     hint="print parameters bare, e.g. {{ start_date }}; never write "
                          "placeholders by hand or change them with filters")
    hidden = sorted(set(params) - placeholders)
    if hidden:
        raise refuse(f"parameter {hidden[0]!r} is printed inside quotes, a comment or a name, "
                     "where it cannot be a bind variable",
                     hint=_unquoting_hint(hidden[0], sql, dialect, params))


#: Typed-literal keywords a quoted parameter may follow (``INTERVAL '…' DAY`` has a unit).
_TYPE_WORDS = frozenset(("DATE", "TIME", "TIMESTAMP", "TIMESTAMPTZ", "DATETIME", "INTERVAL"))
_UNITS = frozenset(("YEAR", "MONTH", "WEEK", "DAY", "HOUR", "MINUTE", "SECOND", "MILLISECOND",
                    "MICROSECOND"))
#: Quoted texts whose content is the text itself, with no escapes: '…', N'…', $$…$$.
_PLAIN_TEXTS = frozenset((TokenType.STRING, TokenType.NATIONAL_STRING,
                          TokenType.HEREDOC_STRING, TokenType.RAW_STRING))


def _unquoting_hint(name: str, sql: str, dialect: str, params: Collection[str]) -> str:
    """How to write parameter ``name`` where it is printed inside quotes, a comment or a
    name, as template text that renders and runs: the quoted text around it concatenated,
    a cast to the typed literal, the comment with the parameter's name, or an enum name.
    ``sql`` has been parsed in ``dialect`` already, so its words can be read."""
    tokens = sqlglot.Dialect.get_or_raise(dialect).tokenize(sql)
    # the placeholder on its own first; then run into the word after it ("{{ p }}_total")
    for placeholder in (_placeholder(name, dialect, glued=False),
                        _placeholder(name, dialect, glued=True)):
        for i, token in enumerate(tokens):
            for comment in token.comments:
                if placeholder.search(comment):
                    return _comment_hint(name, comment, sql, dialect, params)
            if not placeholder.search(token.text):
                continue
            if token.token_type in _PLAIN_TEXTS:
                return _text_hint(name, token.text, placeholder, tokens[i - 1] if i else None,
                                  tokens[i + 1] if i + 1 < len(tokens) else None)
            if token.token_type is TokenType.IDENTIFIER:
                return _name_hint(name, token.text, dialect, params)
    return (f"print it bare where its value belongs, {_bare(name)}: outside quotes and "
            "comments, apart from any word, and joined to a text with ||; the database "
            "receives the value separately")


def _bare(name: str) -> str:
    return f"{{{{ {name} }}}}"


def _placeholder(name: str, dialect: str, *, glued: bool) -> re.Pattern[str]:
    """Where ``name`` is printed; ``glued`` also finds it run into the word after it."""
    return re.compile(re.escape(PLACEHOLDERS[dialect](name)) + ("" if glued else r"(?!\w)"))


def _as_template(text: str, dialect: str, params: Collection[str], write: Any) -> str:
    """``text`` with each parameter's placeholder written back as ``write(name)`` (longest
    names first, so ``$label_total`` is label_total's where both are parameters)."""
    for other in sorted(params, key=len, reverse=True):
        text = _placeholder(other, dialect, glued=True).sub(lambda _, n=other: write(n), text)
    return text


def _text_hint(name: str, text: str, placeholder: re.Pattern[str], before: Any,
               after: Any) -> str:
    """A parameter inside a quoted text: the pieces joined with ||, or a typed cast."""
    bare = _bare(name)
    texts = placeholder.split(text)
    pieces = [bare if n % 2 else "'" + texts[n // 2].replace("'", "''") + "'"
              for n in range(2 * len(texts) - 1)]
    written = " || ".join(p for p in pieces if p != "''")
    word = before.text.upper() if before else ""
    unit = after.text.upper().removesuffix("S") if after else ""
    if word == "INTERVAL" and unit in _UNITS:
        if written == bare:
            return (f"multiply it by one {unit.lower()}: {bare} * INTERVAL '1' {unit}; "
                    "the database receives the value separately")
        return (f"write it as a typed bind variable with its unit in the text: "
                f"CAST({written} || ' {unit.lower()}' AS INTERVAL); the database receives "
                "the value separately and needs no quotes around it")
    if word in _TYPE_WORDS:
        return (f"write it as a typed bind variable: CAST({written} AS {word}); the "
                "database receives the value separately and needs no quotes around it")
    return (f"print it bare: {written}; the database receives the value separately "
            "and needs no quotes around it")


def _comment_hint(name: str, comment: str, sql: str, dialect: str,
                  params: Collection[str]) -> str:
    """A parameter inside a comment: the same comment naming the parameter instead."""
    opener, closer = ("/*", "*/") if f"/*{comment}*/" in sql else ("--", "")
    named = _as_template(comment, dialect, params, lambda n: n)
    return (f"a comment never reaches the database as a value: name the parameter there "
            f"instead, {opener}{named}{closer}, and print it bare, {_bare(name)}, outside "
            "the comment where its value belongs (render-sql lists the values sent)")


def _name_hint(name: str, text: str, dialect: str, params: Collection[str]) -> str:
    """A parameter inside a quoted name: only an enum's declared names may be one."""
    written = '"' + _as_template(text, dialect, params, _bare).replace('"', '""') + '"'
    return (f"a column or table name can only be one an enum parameter declares, and mmp "
            f"quotes it: write {{{{ {name} | identifier }}}} in place of {written}, and "
            f"declare {name} in the recipe with type: enum and, as its values, the whole "
            "names it may take (if it is not an enum already)")
