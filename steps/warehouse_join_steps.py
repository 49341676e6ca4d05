"""Steps about the point-in-time join run inside the warehouse, beside the in-memory one."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator

from behave import given, register_type, then, when

from mmp.featurestore.join import prepare_spine
from mmp.featurestore.refs import parse_refs
from mmp.featurestore.retrieval import retrieval_backend
from steps.support.dense_history import dense_history, sessions_of
from steps.support.feature_lab import lab_of, names, table_differences, utc_time
from steps.support.outcomes import require_success
from steps.support.read_only import reading_login

register_type(UtcTime=utc_time)


@given('{users:d} users with {per_user:d} "{view}" values each over {days:d} days, '
       '{at_once:d} recorded at every moment')
def step_dense_history(context, users, per_user, view, days, at_once):
    feature = lab_of(context).feature(view)
    lab_of(context).record(view, dense_history(users, per_user, at_once, days, feature))
    context.history = (users, days)


@given("{count:d} sessions of those users and {strangers:d} strangers over the same days")
def step_sessions_of_those_users(context, count, strangers):
    users, days = context.history
    lab_of(context).sessions = sessions_of(users, strangers, count, days)


@given("the data scientist may only read the warehouse's feature tables")
def step_read_only_login(context):
    lab = lab_of(context)
    lab.reader = reading_login(context, lab.config)


@when('the sessions are enriched with "{refs}" as known at {cutoff:UtcTime} in the warehouse '
      'and in memory')
def step_enrich_in_warehouse_and_memory(context, refs, cutoff):
    lab = lab_of(context)
    with _warnings("mmp") as context.warnings:
        lab.repository()
    started = time.perf_counter()
    context.result = lab.enrich(refs, created_before=cutoff)
    seconds = time.perf_counter() - started
    context.in_memory = lab.enrich_in_memory(refs, created_before=cutoff)
    context.error, context.refs, context.cutoff = None, refs, cutoff
    print(f"{len(lab.sessions)} sessions x {sum(map(len, lab.rows.values()))} rows: "
          f"joined in the warehouse in {seconds:.2f} s")


@then("the warehouse and the in-memory join give every session the same {feature}")
def step_same_as_in_memory(context, feature):
    warehouse = require_success(context)
    joined = context.in_memory[feature].notna().sum()
    problems = table_differences(context.in_memory, warehouse)
    assert not problems, (f"the warehouse's join differs from the in-memory one on "
                          f"{len(problems)} cells:\n  " + "\n  ".join(problems[:20]))
    assert 0 < joined < len(warehouse), (
        f"{joined} of {len(warehouse)} sessions have a value: the shape should give some a "
        "value and some none")


@then('applying the feature views warned once that "{table}" has no index, with the statement '
      "its owner should run")
def step_warned_no_index(context, table):
    index = f"{table}_user_event_timestamp_pit_idx"
    about = [w for w in context.warnings if repr(table) in w]
    statement = f'CREATE INDEX IF NOT EXISTS "{index}" ON "{table}" ("user", "event_timestamp");'
    assert len(about) == 1 and about[0].endswith(statement), (
        f"expected one warning about {table!r} ending with {statement!r}; the warnings:\n  "
        + "\n  ".join(context.warnings))


@then("the warehouse found each session's value with one lookup of the {view} index on "
      "user and event time")
def step_one_index_lookup(context, view):
    lab = lab_of(context)
    backend = retrieval_backend(lab.config)
    [request] = lab.repository().view_requests(parse_refs(names(context.refs)))
    spine = prepare_spine(lab.sessions, request.join_keys, "event_timestamp")
    plan = backend.plan(spine, request, created_before=context.cutoff)
    index = f"{view}_user_event_timestamp_pit_idx"
    probes = [line.strip() for line in plan.splitlines() if f"using {index} on {view}" in line]
    latest = [p for p in probes if p.startswith("->  Index Scan Backward")]
    assert len(probes) == 2 and latest and "Limit" in plan and "Unique" not in plan, (
        f"expected per session a backward probe of {index} for the latest time and a probe "
        f"of its rows at that time, no DISTINCT ON over candidate pairs; the plan is:\n{plan}")


@contextlib.contextmanager
def _warnings(logger: str) -> Iterator[list[str]]:
    """The warnings ``logger`` (and its children) log inside the block."""
    caught: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: caught.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger(logger).addHandler(handler)
    try:
        yield caught
    finally:
        logging.getLogger(logger).removeHandler(handler)
