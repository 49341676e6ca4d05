"""The leakage canary: a feature that copies each session's outcome, written after it.

Each user has one session. Two days before it the feature holds a coin flip; one hour
after it the feature holds the session's outcome. Joined as of the session, the model
sees only the coin flip; joined by latest value, it sees the answer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mmp.training.evaluation import evaluate
from mmp.training.factory import build_estimator
from mmp.training.preprocessing import build_pipeline
from mmp.training.split import split_frame

MODEL = "sklearn.linear_model.LogisticRegression"


def canary_tables(users: int, feature: str, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(sessions with an ``outcome``, feature rows) for ``users`` users."""
    rng = np.random.default_rng(seed)
    names = [f"user{i:05d}" for i in range(users)]
    times = pd.Timestamp("2024-03-01") + pd.to_timedelta(rng.integers(0, 20 * 1440, users),
                                                         unit="min")
    outcome = rng.integers(0, 2, users)
    sessions = pd.DataFrame({"user": names, "event_timestamp": times, "outcome": outcome})
    before = pd.DataFrame({"user": names, "event_timestamp": times - pd.Timedelta(days=2),
                           feature: rng.integers(0, 2, users)})
    after = pd.DataFrame({"user": names, "event_timestamp": times + pd.Timedelta(hours=1),
                          feature: outcome})
    rows = pd.concat([before, after], ignore_index=True)
    return sessions, rows.assign(created_timestamp=rows["event_timestamp"])


def holdout_roc_auc(frame: pd.DataFrame, feature: str, target: str = "outcome",
                    seed: int = 7) -> float:
    """ROC AUC on held-out sessions of a small model trained on ``feature`` alone."""
    estimator = build_estimator(MODEL, {}, [MODEL], seed=seed)
    train, test = split_frame(frame, method="random", test_size=0.3,
                              timestamp_column="event_timestamp", seed=seed, stratify=target)
    pipeline = build_pipeline(train, [feature], estimator).fit(train[[feature]], train[target])
    metrics = evaluate("classification", test[target], pipeline.predict(test[[feature]]),
                       pipeline.predict_proba(test[[feature]]), train[target])
    return metrics["roc_auc"]
