"""Rendering SQL templates: a Jinja sandbox where every parameter becomes a bind variable.

A template sees each parameter as a :class:`BindParam`. Printing one (``{{ start_date }}``)
writes a placeholder such as ``$start_date`` into the SQL text, never the value; the value
travels beside the SQL to the driver. Truth tests and comparisons (``{% if include_target %}``)
see the real value, so templates can still branch on parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from mmp.errors import UnsafeSQLError

PLACEHOLDERS: dict[str, Callable[[str], str]] = {
    "duckdb": lambda name: f"${name}",
    "postgres": lambda name: f"%({name})s",
}


@dataclass(frozen=True)
class Query:
    """Rendered SQL text plus the values of the bind variables it uses."""

    sql: str
    params: dict[str, Any] = field(default_factory=dict)
    dialect: str = "duckdb"


class BindParam:
    """A parameter as a template sees it: prints as a placeholder, tests as its value."""

    __slots__ = ("_name", "_placeholder", "_used", "_value")

    def __init__(self, name: str, value: Any, placeholder: str, used: set[str]) -> None:
        self._name = name
        self._value = value
        self._placeholder = placeholder
        self._used = used

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


def _finalize(value: Any) -> Any:
    return str(value) if isinstance(value, BindParam) else value


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, finalize=_finalize,
        keep_trailing_newline=True,
    )


def render_query(
    template_text: str,
    params: Mapping[str, Any],
    *,
    dialect: str = "duckdb",
    template_name: str | None = None,
) -> Query:
    """Render ``template_text`` in the sandbox; values only ever become bind variables."""
    if dialect not in PLACEHOLDERS:
        raise UnsafeSQLError(f"unsupported SQL dialect {dialect!r}", template=template_name)
    placeholder = PLACEHOLDERS[dialect]
    used: set[str] = set()
    context = {name: BindParam(name, value, placeholder(name), used)
               for name, value in params.items()}
    try:
        sql = _environment().from_string(template_text).render(context)
    except SecurityError as exc:
        raise UnsafeSQLError(f"the template tried something the sandbox forbids: {exc}",
                             template=template_name,
                             hint="templates may only print parameters and branch on them"
                             ) from None
    except UndefinedError as exc:
        raise UnsafeSQLError(f"the template uses something that is not defined: {exc.message}",
                             template=template_name,
                             hint="declare the parameter in the recipe's loader.params"
                             ) from None
    except TemplateSyntaxError as exc:
        raise UnsafeSQLError(f"template syntax error on line {exc.lineno}: {exc.message}",
                             template=template_name) from None
    except TemplateError as exc:
        raise UnsafeSQLError(f"the template could not be rendered: {exc}",
                             template=template_name) from None
    return Query(sql=sql, params={n: params[n] for n in sorted(used)}, dialect=dialect)
