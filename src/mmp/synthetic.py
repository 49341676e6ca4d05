"""Seeded synthetic data: session events with a learnable outcome, and feature tables.

The same ``(rows, seed, start)`` always gives identical tables. There is no mock mode:
these tables are written into the warehouse and queried like any other data.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

DEFAULT_START = dt.datetime(2024, 1, 1)
DEVICES = ("desktop", "mobile", "tablet")
_DEVICE_EFFECT = {"desktop": 0.35, "mobile": -0.25, "tablet": 0.0}
POSITIVE_RATE = 0.30
#: Sessions end before this (pandas' nanosecond times reach 2262).
LATEST = pd.Timestamp("2200-01-01")


def generate(
    rows: int, seed: int = 42, start: dt.datetime = DEFAULT_START, *, per_hour: int = 1,
    users: int | None = None,
) -> dict[str, pd.DataFrame]:
    """All warehouse tables: ``sessions``, ``user_features`` and ``product_features``.

    ``per_hour`` sessions start each hour (evenly spaced) among ``users`` users (default:
    one user per ten sessions); millions of sessions need more than one an hour to end
    within pandas' time range, and fewer users to keep the daily feature tables small.
    """
    if rows < 10:
        raise ValueError("generate at least 10 sessions")
    if per_hour < 1 or (users is not None and users < 1):
        raise ValueError("per_hour and users must be at least 1")
    if pd.Timestamp(start) + pd.Timedelta(days=rows / per_hour / 24) > LATEST:
        raise ValueError(f"{rows} sessions at {per_hour} an hour would end after {LATEST:%Y}: "
                         "generate more sessions an hour")
    rng = np.random.default_rng(seed)
    n_users = users or max(5, rows // 10)
    n_products = min(200, max(3, rows // 50))
    propensity = rng.normal(0.0, 0.6, n_users)
    sessions = _sessions(rng, rows, n_users, n_products, propensity, start, per_hour)
    return {
        "sessions": sessions,
        "user_features": _user_features(rng, sessions),
        "product_features": _product_features(rng, sessions, n_products),
    }


def _sessions(rng: np.random.Generator, rows: int, n_users: int, n_products: int,
              propensity: np.ndarray, start: dt.datetime, per_hour: int) -> pd.DataFrame:
    """Evenly spaced sessions: user, product, device, duration, page views, outcome."""
    user = rng.integers(0, n_users, rows)
    product = rng.integers(0, n_products, rows)
    device = rng.choice(np.array(DEVICES), rows, p=[0.45, 0.45, 0.10])
    duration = np.clip(rng.normal(300.0, 100.0, rows), 5.0, None).round(1)
    page_views = rng.poisson(5, rows)
    logit = (1.5 * (duration - 300.0) / 100.0 + 0.7 * (page_views - 5) / 2.2
             + propensity[user] + np.vectorize(_DEVICE_EFFECT.get)(device))
    logit = logit + _intercept_for_rate(logit, POSITIVE_RATE)
    outcome = (rng.random(rows) < 1.0 / (1.0 + np.exp(-logit))).astype("int64")
    spacing = np.arange(rows, dtype="int64") * (3_600_000_000 // per_hour)
    timestamps = pd.Timestamp(start) + pd.to_timedelta(spacing, unit="us")
    return pd.DataFrame({
        "session_id": np.arange(1, rows + 1, dtype="int64"),
        "user_id": pd.Series(user, dtype="int64") + 1,
        "product_id": pd.Series(product, dtype="int64") + 1,
        "event_timestamp": timestamps.astype("datetime64[us]"),
        "device": pd.Series(device, dtype="object"),
        "session_duration": duration,
        "page_views": page_views.astype("int64"),
        "outcome": outcome,
    })


def _intercept_for_rate(logit: np.ndarray, rate: float) -> float:
    """The shift that makes the mean predicted probability equal ``rate`` (bisection)."""
    low, high = -10.0, 10.0
    for _ in range(60):
        mid = (low + high) / 2
        if np.mean(1.0 / (1.0 + np.exp(-(logit + mid)))) < rate:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def _daily_window(sessions: pd.DataFrame, key: str, aggregations: dict) -> pd.DataFrame:
    """Per key and day D: aggregations over the sessions in the 7 days before D."""
    day = sessions["event_timestamp"].dt.floor("D")
    daily = sessions.assign(day=day).groupby([key, "day"]).agg(**aggregations).reset_index()
    frames = []
    for lag in range(1, 8):
        frames.append(daily.assign(day=daily["day"] + pd.Timedelta(days=lag)))
    shifted = pd.concat(frames, ignore_index=True)
    sums = shifted.groupby([key, "day"]).sum().reset_index()
    last_day = day.max() + pd.Timedelta(days=1)
    return sums[sums["day"] <= last_day].sort_values(["day", key], ignore_index=True)


def _user_features(rng: np.random.Generator, sessions: pd.DataFrame) -> pd.DataFrame:
    """Daily user snapshots computed only from earlier sessions (no leakage by design)."""
    window = _daily_window(sessions, "user_id", {
        "sessions_7d": ("session_id", "count"),
        "conversions_7d": ("outcome", "sum"),
        "duration_sum_7d": ("session_duration", "sum"),
    })
    delay = pd.to_timedelta(rng.integers(5, 120, len(window)), unit="m")
    return pd.DataFrame({
        "user_id": window["user_id"].astype("int64"),
        "event_timestamp": window["day"].astype("datetime64[us]"),
        "created_timestamp": (window["day"] + delay).astype("datetime64[us]"),
        "sessions_7d": window["sessions_7d"].astype("int64"),
        "conversion_rate_7d": (window["conversions_7d"] / window["sessions_7d"]).round(4),
        "avg_duration_7d": (window["duration_sum_7d"] / window["sessions_7d"]).round(1),
    })


def _product_features(rng: np.random.Generator, sessions: pd.DataFrame,
                      n_products: int) -> pd.DataFrame:
    """Daily product snapshots: popularity over the last 7 days and a list price."""
    window = _daily_window(sessions, "product_id", {"views_7d": ("session_id", "count")})
    price = rng.uniform(5.0, 200.0, n_products + 1).round(2)
    delay = pd.to_timedelta(rng.integers(5, 120, len(window)), unit="m")
    return pd.DataFrame({
        "product_id": window["product_id"].astype("int64"),
        "event_timestamp": window["day"].astype("datetime64[us]"),
        "created_timestamp": (window["day"] + delay).astype("datetime64[us]"),
        "popularity_7d": window["views_7d"].astype("int64"),
        "price": price[window["product_id"].to_numpy()],
    })
