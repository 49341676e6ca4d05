"""Turning Gherkin tables into checked rows."""

from __future__ import annotations


def require_table(context, *columns: str) -> list[dict[str, str]]:
    """The step's table as dicts; fails naming the headings if any column is missing."""
    table = context.table
    assert table is not None, f"this step needs a table with the columns {list(columns)}"
    table.require_columns(list(columns))
    return [{h: row[h] for h in table.headings} for row in table]
