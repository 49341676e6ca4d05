"""Reading YAML config files: safe_load, ``${VAR:default}`` substitution, clear errors."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from mmp.errors import ConfigError

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}")


def read_yaml(path: Path, environ: Mapping[str, str]) -> dict[str, Any]:
    """Parse ``path`` as a YAML mapping and substitute ``${VAR:default}`` in its strings."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", path=str(path),
                          hint="check the path, relative to the current folder") from None
    except OSError as exc:
        raise ConfigError(f"cannot be read: {exc.strerror}", path=str(path)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ConfigError(f"not valid YAML: {problem}", path=str(path), field=where,
                          hint="fix the YAML syntax at the position shown") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"expected a mapping at the top level, found {type(data).__name__}",
                          path=str(path))
    return substitute(data, environ, path=str(path))


def substitute(value: Any, environ: Mapping[str, str], *, path: str, field: str = "") -> Any:
    """Replace ``${VAR}`` / ``${VAR:default}`` in every string of a parsed YAML tree."""
    if isinstance(value, dict):
        return {k: substitute(v, environ, path=path, field=_join(field, k))
                for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, environ, path=path, field=_join(field, i))
                for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in environ:
            return environ[name]
        if default is None:
            raise ConfigError(
                f"environment variable {name} is not set and has no default",
                path=path, field=field or None,
                hint=f"export {name}=... or write ${{{name}:default}}",
            )
        return default

    return _VAR.sub(replace, value)


def validation_error(exc: ValidationError, path: str, prefix: str = "") -> ConfigError:
    """Turn a pydantic error into one ConfigError listing every field path and reason."""
    problems = []
    for err in exc.errors():
        field = _join(prefix, ".".join(str(p) for p in err["loc"]))
        reason = err["msg"]
        if err["type"] == "extra_forbidden":
            reason = "unknown field (not allowed here)"
        elif err["type"] == "missing":
            reason = "required field is missing"
        problems.append((field, reason))
    first_field, first_reason = problems[0]
    message = first_reason
    if len(problems) > 1:
        message += "; also " + "; ".join(f"{f}: {r}" for f, r in problems[1:])
    return ConfigError(message, path=path, field=first_field,
                       hint="see recipes/classification.yaml for a complete example")


def _join(prefix: str, key: object) -> str:
    return f"{prefix}.{key}" if prefix else str(key)
