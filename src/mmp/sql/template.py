"""Rendering SQL templates: a Jinja sandbox where every parameter becomes a bind variable.

A template sees each parameter as a :class:`BindParam`. Printing one (``{{ start_date }}``)
writes a placeholder such as ``$start_date`` into the SQL text, never the value; the value
travels beside the SQL to the driver. Truth tests and comparisons (``{% if include_target %}``)
see the real value, so templates can still branch on parameters. An enum parameter may name a
column or table through the ``identifier`` filter (``{{ sort_column | identifier }}``), which
writes one of its declared values, always quoted. A parameter written as an ANSI typed
literal, exactly ``DATE '{{ p }}'`` (also ``TIMESTAMP``, ``TIMESTAMPTZ`` and ``INTERVAL``
without a unit), becomes a typed bind variable, ``CAST({{ p }} AS DATE)``; any other text
inside quotes stays refused. The rendered SQL is then checked
(:func:`mmp.sql.guard.check_query`) before anyone can run it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from jinja2 import (
    StrictUndefined,
    Template,
    TemplateError,
    TemplateSyntaxError,
    Undefined,
    UndefinedError,
)
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from sqlglot import exp

from mmp.errors import UnsafeSQLError
from mmp.sql.guard import PLACEHOLDERS, check_query

__all__ = ["PLACEHOLDERS", "BindParam", "Query", "render_query", "typed_literals"]

#: Exactly ``KEYWORD '{{ name }}'``: one printed parameter, no filter, nothing else in the
#: quotes. ``INTERVAL '{{ n }}' DAY`` is left alone (and refused): its unit changes the meaning;
#: so is a literal followed by another quoted text, which SQL may join to it.
_TYPED_LITERAL = re.compile(
    r"\b(?P<type>DATE|TIMESTAMPTZ|TIMESTAMP|INTERVAL)\s*'\{\{\s*(?P<name>[A-Za-z_]\w*)\s*\}\}'"
    r"(?P<after>\s*(?:YEAR|MONTH|WEEK|DAY|HOUR|MINUTE|SECOND|MILLISECOND|MICROSECOND)S?\b|\s*')?",
    re.IGNORECASE)


def typed_literals(template_text: str) -> str:
    """``template_text`` with each typed literal of one parameter written as a typed bind
    variable: ``DATE '{{ p }}'`` becomes ``CAST({{ p }} AS DATE)``."""
    def cast(match: re.Match[str]) -> str:
        if match["after"]:
            return match[0]
        return f"CAST({{{{ {match['name']} }}}} AS {match['type'].upper()})"
    return _TYPED_LITERAL.sub(cast, template_text)


def _check_intervals(intervals: frozenset[str], values: Mapping[str, Any], used: set[str],
                     template_name: str | None) -> None:
    """Only text such as '3 days' reads as an interval; a number needs its unit."""
    for name in sorted(intervals & used):
        if not isinstance(values[name], str):
            raise UnsafeSQLError(
                f"parameter {name!r} is written as INTERVAL '{{{{ {name} }}}}' but its value "
                f"{values[name]!r} is not a length of time written as text, such as '3 days'",
                template=template_name,
                hint=f"multiply it by one unit instead: {{{{ {name} }}}} * INTERVAL '1' DAY")


@dataclass(frozen=True)
class Query:
    """Rendered SQL text plus the values of the bind variables it uses."""

    sql: str
    params: dict[str, Any] = field(default_factory=dict)
    dialect: str = "duckdb"


class BindParam:
    """A parameter as a template sees it: prints as a placeholder, tests as its value."""

    __slots__ = ("_identifier", "_name", "_placeholder", "_used", "_value")

    def __init__(self, name: str, value: Any, placeholder: str, used: set[str],
                 identifier: str | None = None) -> None:
        self._name = name
        self._value = value
        self._placeholder = placeholder
        self._used = used
        self._identifier = identifier

    def __str__(self) -> str:
        self._used.add(self._name)
        return self._placeholder

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        other_value = other._value if isinstance(other, BindParam) else other
        return bool(self._value == other_value)

    def __hash__(self) -> int:
        return hash(self._name)


class IdentifierError(Exception):
    """A value other than a declared enum parameter was used as a column or table name."""


def identifier(value: Any) -> str:
    """The ``identifier`` filter: an enum parameter's value as a quoted column or table name."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()  # an UndefinedError naming the missing parameter
    if not isinstance(value, BindParam):
        raise IdentifierError(f"{value!r} is not a parameter; only an enum parameter can be "
                              "used as a column or table name")
    if value._identifier is None:
        raise IdentifierError(f"parameter {value._name!r} is used as a column or table name "
                              "but is not an enum")
    return value._identifier


def quote_identifier(name: Any, dialect: str) -> str:
    """``name`` as one quoted identifier of ``dialect`` (embedded quotes are doubled)."""
    return exp.to_identifier(str(name), quoted=True).sql(dialect=dialect)


def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True,
    )
    env.globals.clear()  # no lipsum, cycler, joiner, namespace, range: only the parameters
    env.filters["identifier"] = identifier
    return env


_ENVIRONMENT = _environment()


class _Compiled(NamedTuple):
    """A template ready to render, and the parameters it writes as ``INTERVAL '{{ p }}'``."""

    template: Template
    intervals: frozenset[str]


@lru_cache(maxsize=128)
def _compile(template_text: str) -> _Compiled:
    intervals = frozenset(m["name"] for m in _TYPED_LITERAL.finditer(template_text)
                          if m["type"].upper() == "INTERVAL" and not m["after"])
    return _Compiled(_ENVIRONMENT.from_string(typed_literals(template_text)), intervals)


def render_query(
    template_text: str,
    params: Mapping[str, Any],
    *,
    dialect: str = "duckdb",
    template_name: str | None = None,
    identifiers: Collection[str] = (),
    allowed_paths: Sequence[str] = (),
) -> Query:
    """Render ``template_text`` in the sandbox and check the result; values only ever become
    bind variables. ``identifiers`` are the enum parameters that may name columns or tables;
    ``allowed_paths`` the files or URLs the SQL may read (see :mod:`mmp.sql.guard`)."""
    if dialect not in PLACEHOLDERS:
        raise UnsafeSQLError(f"unsupported SQL dialect {dialect!r}", template=template_name)
    placeholder = PLACEHOLDERS[dialect]
    used: set[str] = set()
    context = {name: BindParam(name, value, placeholder(name), used,
                               quote_identifier(value, dialect) if name in identifiers else None)
               for name, value in params.items()}
    try:
        compiled = _compile(template_text)
        sql = compiled.template.render(context)
    except IdentifierError as exc:
        raise UnsafeSQLError(str(exc), template=template_name,
                             hint="declare the parameter with type: enum and the column or "
                                  "table names it may take") from None
    except SecurityError as exc:
        raise UnsafeSQLError(f"the template tried something the sandbox forbids: {exc}",
                             template=template_name,
                             hint="templates may only print parameters and branch on them"
                             ) from None
    except UndefinedError as exc:
        raise UnsafeSQLError(f"the template uses something that is not defined: {exc.message}",
                             template=template_name,
                             hint="declare it in the recipe's loader.params and give it "
                                  "a default or a value (--param name=value)"
                             ) from None
    except TemplateSyntaxError as exc:
        raise UnsafeSQLError(f"template syntax error on line {exc.lineno}: {exc.message}",
                             template=template_name) from None
    except (TemplateError, TypeError, ValueError, ArithmeticError, LookupError) as exc:
        raise UnsafeSQLError(f"the template could not be rendered: {exc}",
                             template=template_name,
                             hint="templates may only print parameters and branch on them"
                             ) from None
    _check_intervals(compiled.intervals, params, used, template_name)
    query = Query(sql=sql, params={n: params[n] for n in sorted(used)}, dialect=dialect)
    check_query(query.sql, query.params, dialect=dialect, allowed_paths=allowed_paths,
                template=template_name)
    return query
