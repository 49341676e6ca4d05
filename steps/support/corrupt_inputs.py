"""Corrupt inputs, by the names scenarios give them: each writes its broken files into a
folder and returns the ``mmp`` arguments that would use them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from steps.support.fixtures import EXAMPLE_RECIPE

RECIPE_TEXT = EXAMPLE_RECIPE.read_text(encoding="utf-8")
TEMPLATE = "sql/sessions.sql.j2"
FEATURE = "user_activity:sessions_7d"


def _recipe(folder: Path, text: str) -> list[str]:
    path = folder / "recipe.yaml"
    path.write_text(text, encoding="utf-8")
    return ["train", "--recipe", str(path)]


def _retrieve(folder: Path, spine: Path, feature: str = FEATURE) -> list[str]:
    return ["features", "retrieve", "--spine", str(spine), "--feature", feature,
            "--out", str(folder / "features.parquet")]


def _spine(folder: Path, columns: dict[str, list]) -> Path:
    path = folder / "spine.parquet"
    pd.DataFrame(columns).to_parquet(path)
    return path


def not_yaml(folder: Path) -> list[str]:
    return _recipe(folder, "name: broken\nmodel: [class_path: unclosed\n")


def missing_template(folder: Path) -> list[str]:
    return _recipe(folder, RECIPE_TEXT.replace(TEMPLATE, "sql/no_such_template.sql.j2"))


def unknown_table(folder: Path) -> list[str]:
    (folder / "sql").mkdir()
    text = (EXAMPLE_RECIPE.parent / TEMPLATE).read_text(encoding="utf-8")
    (folder / "sql" / "typo.sql.j2").write_text(text.replace("FROM sessions", "FROM sesions"))
    return _recipe(folder, RECIPE_TEXT.replace(TEMPLATE, "sql/typo.sql.j2"))


def empty_window(_folder: Path) -> list[str]:
    return ["train", "--recipe", str(EXAMPLE_RECIPE),
            "--param", "start_date=2031-01-01", "--param", "end_date=2031-02-01"]


def not_parquet(folder: Path) -> list[str]:
    spine = folder / "spine.parquet"
    spine.write_text("user_id,product_id,event_timestamp\n1,2,2024-01-02\n")
    return _retrieve(folder, spine)


def spine_without_entities(folder: Path) -> list[str]:
    return _retrieve(folder, _spine(folder, {
        "event_timestamp": pd.to_datetime(["2024-01-02 10:00"]), "device": ["mobile"]}))


def unknown_feature_view(folder: Path) -> list[str]:
    return _retrieve(folder, _spine(folder, {
        "user_id": [1], "product_id": [2],
        "event_timestamp": pd.to_datetime(["2024-01-02 10:00"])}), "no_such_view:sessions_7d")


CORRUPT_INPUTS: dict[str, Callable[[Path], list[str]]] = {
    "a recipe with broken syntax": not_yaml,
    "a recipe naming a missing SQL template": missing_template,
    "a template that reads an unknown table": unknown_table,
    "a window with no sessions": empty_window,
    "a spine file that is not parquet": not_parquet,
    "a spine without the entity columns": spine_without_entities,
    "a feature view the registry lacks": unknown_feature_view,
}


def corrupt_input_command(name: str, folder: Path) -> list[str]:
    """Write the corrupt input ``name`` into ``folder``; the ``mmp`` arguments that use it."""
    folder.mkdir(parents=True, exist_ok=True)
    return CORRUPT_INPUTS[name](folder)
