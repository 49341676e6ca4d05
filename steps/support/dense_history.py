"""Dense feature histories: many users, each with many rows, several at every moment.

The shape that separates a join which probes an index per session from one that pairs
every session with every row of its user inside the ttl. Rows are stored in a shuffled
order; at each moment some rows share their creation time (full ties, decided by the
order stored), some are created later (corrections), a few have no creation time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

START = pd.Timestamp("2024-03-01")


def user_names(users: int) -> list[str]:
    return [f"user {n}" for n in range(1, users + 1)]


def dense_history(users: int, per_user: int, at_once: int, days: int,
                  feature: str) -> pd.DataFrame:
    """``per_user`` rows for each of ``users`` users over ``days`` days from 1 March 2024,
    ``at_once`` of them at each moment; row n holds the value n (every value distinct)."""
    rng = np.random.default_rng(16)
    moments = per_user // at_once
    who = np.repeat(user_names(users), moments * at_once)
    seconds = rng.integers(0, days * 86_400, users * moments)
    event = START + pd.to_timedelta(np.repeat(seconds, at_once), unit="s")
    late = pd.to_timedelta(rng.choice([0, 0, 60, 3_600, 86_400], len(event)), unit="s")
    created = pd.Series(event + late)
    created[rng.random(len(event)) < 0.02] = pd.NaT
    frame = pd.DataFrame({"user": who, "event_timestamp": event,
                          "created_timestamp": created.to_numpy(),
                          feature: np.arange(1, len(event) + 1, dtype="int64")})
    return frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)


def sessions_of(users: int, strangers: int, sessions: int, days: int) -> pd.DataFrame:
    """``sessions`` sessions of the users and of ``strangers`` unknown ones, at random times
    from a day before the history to a day after it."""
    rng = np.random.default_rng(61)
    who = rng.choice(user_names(users) + [f"stranger {n}" for n in range(strangers)], sessions)
    seconds = rng.integers(-86_400, (days + 1) * 86_400, sessions)
    return pd.DataFrame({"user": who,
                         "event_timestamp": START + pd.to_timedelta(seconds, unit="s")})
