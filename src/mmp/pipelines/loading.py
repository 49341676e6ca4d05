"""Loading a recipe's rows: resolve params, render safely, query, check the columns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mmp.errors import DataError
from mmp.settings.recipe import DataInterface, Loader
from mmp.sql.params import declared_params, resolve_params
from mmp.sql.template import Query, render_query

if TYPE_CHECKING:  # pandas and DuckDB load with the first query, not with render-sql
    import pandas as pd

    from mmp.sql.warehouse import Warehouse


def build_query(loader: Loader | None, template_text: str, supplied: Mapping[str, Any], *,
                dialect: str, template_name: str) -> tuple[Query, dict[str, Any]]:
    """The rendered, checked query and the typed parameter values it was rendered with.

    The one path from a template to SQL, for training, batch inference and ``mmp
    render-sql``. Without a loader only the standard parameters exist and no file may be read.
    """
    declared = loader.params if loader else {}
    values = resolve_params(declared, supplied)
    enums = [name for name, spec in declared_params(declared).items() if spec.type == "enum"]
    return render_query(template_text, values, dialect=dialect, template_name=template_name,
                        identifiers=enums,
                        allowed_paths=loader.allowed_paths if loader else ()), values


def load_frame(warehouse: Warehouse, query: Query, interface: DataInterface, *,
               with_target: bool, template_name: str) -> pd.DataFrame:
    """Run the query and check that the data interface's columns came back."""
    frame = check_rows(warehouse.fetch(query), interface, with_target=with_target,
                       template_name=template_name)
    if frame.empty:
        raise no_rows(query, template_name)
    return frame


def check_rows(frame: pd.DataFrame, interface: DataInterface, *, with_target: bool,
               template_name: str) -> pd.DataFrame:
    """``frame`` with UTC times, once the data interface's columns are known to be there."""
    required = list(interface.key_columns)
    if with_target:
        required.append(interface.target_column)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataError(
            f"the query of {template_name} returned no column {missing[0]!r} "
            f"(returned: {', '.join(map(str, frame.columns))})",
            hint="select every column named in model.loader.data_interface",
        )
    ts = interface.timestamp_column
    if frame[ts].dtype.kind == "M":
        frame = frame.assign(**{ts: _as_utc(frame[ts])})
    return frame


def no_rows(query: Query, template_name: str) -> DataError:
    """The error for a query that selected nothing."""
    return DataError(f"the query of {template_name} returned no rows "
                     f"for {_describe(query.params)}",
                     hint="check the date window and that the warehouse is seeded")


def _as_utc(series: pd.Series) -> pd.Series:
    """Timestamps as naive UTC (naive means UTC; aware values are converted)."""
    if getattr(series.dtype, "tz", None) is not None:
        return series.dt.tz_convert("UTC").dt.tz_localize(None)
    return series


def _describe(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(params.items())) or "no parameters"
