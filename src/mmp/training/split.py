"""Train/test splits: by time (default) or random with a seed."""

from __future__ import annotations

import pandas as pd
from sklearn.model_selection import train_test_split

from mmp.errors import DataError


def split_frame(
    frame: pd.DataFrame, *, method: str, test_size: float, timestamp_column: str,
    seed: int, stratify: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (train, test). A time split keeps the latest rows for testing."""
    if len(frame) < 4:
        raise DataError(f"only {len(frame)} rows loaded; at least 4 are needed to train and test",
                        hint="widen the date window (start_date / end_date)")
    if method == "time":
        ordered = frame.sort_values(timestamp_column, kind="stable")
        cut = len(ordered) - max(1, round(len(ordered) * test_size))
        return ordered.iloc[:cut], ordered.iloc[cut:]
    labels = frame[stratify] if stratify and frame[stratify].value_counts().min() >= 2 else None
    train, test = train_test_split(frame, test_size=test_size, random_state=seed,
                                   stratify=labels)
    return train, test
