"""Online lookup: the latest materialized feature values for entity keys, for serving."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from mmp.errors import DataError
from mmp.featurestore.refs import parse_refs
from mmp.featurestore.registry import FeatureRepository


class OnlineFeatures:
    """Reads a repository's online store (SQLite locally) through Feast."""

    def __init__(self, repository: FeatureRepository) -> None:
        self.repository = repository

    def lookup(self, rows: pd.DataFrame, refs: Sequence[str]) -> pd.DataFrame:
        """Feature values for each row's entity keys, in row order; unknown keys give nulls."""
        parsed = parse_refs(refs)
        views = self.repository.view_requests(parsed)
        keys = list(dict.fromkeys(k for view in views for k in view.join_keys))
        missing = [k for k in keys if k not in rows.columns]
        if missing:
            raise DataError(f"the rows have no entity key {missing[0]!r}",
                            hint=f"send every key the model's features need: {', '.join(keys)}")
        entity_rows = rows[keys].to_dict(orient="records")
        response = self.repository.store().get_online_features(
            features=[str(r) for r in parsed], entity_rows=entity_rows).to_df()
        return response[[r.feature for r in parsed]].reset_index(drop=True)
