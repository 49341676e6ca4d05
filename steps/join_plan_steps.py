"""Steps about how the join does its work: the plan it takes for a shape of history."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from behave import given, register_type, then
from parse_type import TypeBuilder

from mmp.featurestore.join import (
    FEATURE_ROWS,
    ORDER,
    SPINE,
    RowSource,
    choose_plan,
    duckdb_connection,
    point_in_time_sql,
    prepare_spine,
)
from steps.support.feature_lab import lab_of, utc_time
from steps.support.outcomes import expect_equal

#: What DuckDB's plan of each one's query must show: (an ASOF join, a semi join first).
SHAPES = {"hash": (False, False), "asof": (True, True), "asof_all": (True, False)}


def _query_shape(con, sql: str) -> tuple[bool, bool]:
    """Whether DuckDB's physical plan of ``sql`` holds an ASOF join, and a semi join."""
    plan = "\n".join(row[1] for row in con.execute(f"EXPLAIN {sql}").fetchall())
    return "Asof Join" in plan, re.search(r"Join Type: \w*SEMI", plan) is not None


#: How a product owner says each plan of the in-memory join (src/mmp/featurestore/join.py).
PLANS = {
    "paired each session with its user's rows nearby": "hash",
    "merged in time order only the rows near some session": "asof",
    "merged every row in time order": "asof_all",
}
register_type(UtcTime=utc_time, JoinPlan=TypeBuilder.make_enum(PLANS))


@given('{count:d} "{view}" values of {user}, one a minute from {start:UtcTime}')
def step_values_a_minute_apart(context, count, view, user, start):
    feature = lab_of(context).feature(view)
    times = start + pd.to_timedelta(np.arange(count), unit="min")
    lab_of(context).record(view, pd.DataFrame({
        "user": [user] * count, "event_timestamp": times,
        feature: np.arange(1, count + 1, dtype="int64")}))


@given("{count:d} sessions of {user} spread evenly from {start:UtcTime} to {end:UtcTime}")
def step_sessions_spread(context, count, user, start, end):
    times = pd.date_range(start, end, periods=count) if count > 1 else pd.DatetimeIndex([start])
    lab_of(context).sessions = pd.DataFrame({"user": [user] * count,
                                             "event_timestamp": times})


@then("the join {plan:JoinPlan}")
def step_join_plan(context, plan):
    lab = lab_of(context)
    [view] = lab.rows
    feature, ttl = lab.feature(view), lab.views[view][1]
    spine = prepare_spine(lab.sessions, ["user"], "event_timestamp")
    rows = lab.rows[view].assign(**{ORDER: np.arange(len(lab.rows[view]))})
    source = RowSource(FEATURE_ROWS, ("user",), "event_timestamp", "created_timestamp", ORDER,
                       (feature,))
    with duckdb_connection() as con:
        con.register(SPINE, spine.frame)
        con.register(FEATURE_ROWS, rows)
        chosen = choose_plan(con, source, ttl, spine)
        shape = _query_shape(con, point_in_time_sql(source, ttl, False, plan=chosen))
    said = {code: words for words, code in PLANS.items()}
    expect_equal(f"how the join of {len(spine.frame)} sessions over {len(rows)} rows worked",
                 said[plan], said[chosen])
    expect_equal(f"(ASOF join, semi join first) in the query DuckDB runs to have {said[chosen]}",
                 SHAPES[chosen], shape)
