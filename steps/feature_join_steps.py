"""Steps about point-in-time features: views, recorded values, sessions and their join."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import parse
from behave import given, register_type, then, when

from mmp.featurestore.definitions import parse_duration
from mmp.featurestore.join import join_latest_value
from mmp.featurestore.refs import parse_refs
from steps.support.cli import run_cli
from steps.support.feature_lab import (
    LatestValueRetrieval,
    lab_of,
    names,
    rows_at_one_moment,
    table_differences,
    table_frame,
    utc_time,
)
from steps.support.leakage import canary_tables, holdout_roc_auc
from steps.support.outcomes import attempt, require_refusal, require_success


@parse.with_pattern(r"\d+ ?[a-z][a-z0-9 ,]*")
def _ttl(text: str) -> dt.timedelta:
    return parse_duration(text)


@parse.with_pattern(r'"[^"]+"(?: and "[^"]+")*')
def _quoted_names(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r'"([^"]+)"', text))


register_type(UtcTime=utc_time, Ttl=_ttl, QuotedNames=_quoted_names)


@given('the feature view "{view}" keeps each user\'s {features:QuotedNames} for {ttl:Ttl}')
def step_feature_view(context, view, features, ttl):
    lab_of(context).define(view, features, ttl)


@given('these "{view}" values were recorded:')
def step_values_recorded(context, view):
    lab_of(context).record(view, table_frame(context.table))


@given("these sessions:")
def step_sessions(context):
    lab_of(context).sessions = table_frame(context.table)


@given('{count:d} "{view}" values of {user} for {time:UtcTime} were recorded in shuffled '
       'order, created a minute apart, the n-th created holding n "{feature}"')
def step_many_corrections(context, count, view, user, time, feature):
    lab_of(context).record(view, rows_at_one_moment(count, user, time, feature,
                                                    created_apart=True))


@given('{count:d} "{view}" values of {user} for {time:UtcTime} were recorded, all created '
       'at that moment, the n-th stored holding n "{feature}"')
def step_many_full_ties(context, count, view, user, time, feature):
    lab_of(context).record(view, rows_at_one_moment(count, user, time, feature,
                                                    created_apart=False))


@given("a retrieval backend that ignores time and returns each user's latest value")
def step_broken_backend(context):
    lab = lab_of(context)
    lab.backend = LatestValueRetrieval(lab.rows)


@given('{users:d} users whose session outcome is copied into "{ref}" an hour later')
def step_canary(context, users, ref):
    [parsed] = parse_refs([ref])
    sessions, rows = canary_tables(users, parsed.feature)
    lab = lab_of(context)
    lab.sessions = sessions
    lab.record(parsed.view, rows)
    context.canary = parsed


@when('the sessions are enriched with "{refs}"')
def step_enrich(context, refs):
    attempt(context, lambda: lab_of(context).enrich(refs))


@when('the sessions are enriched with "{refs}" as known at {cutoff:UtcTime}')
def step_enrich_as_of(context, refs, cutoff):
    attempt(context, lambda: lab_of(context).enrich(refs, created_before=cutoff))


@when('the sessions are enriched with "{refs}" by mmp and by Feast')
def step_enrich_mmp_and_feast(context, refs):
    lab = lab_of(context)
    context.result = lab.enrich(refs)
    context.feast = lab.repository().feast_reference(lab.sessions, parse_refs(names(refs)))


@when("one model learns from it joined point-in-time and another from it joined by latest value")
def step_canary_models(context):
    lab, feature = lab_of(context), context.canary.feature
    point_in_time = lab.enrich(str(context.canary))
    latest = join_latest_value(lab.sessions, lab.rows[context.canary.view], keys=["user"],
                               features=[feature])
    context.scores = {"point-in-time": holdout_roc_auc(point_in_time, feature),
                      "latest-value": holdout_roc_auc(latest, feature)}


@when('the sessions are enriched with "{refs}" in memory')
def step_enrich_in_memory(context, refs):
    lab = lab_of(context)
    context.inputs = [lab.sessions.copy(), *(rows.copy() for rows in lab.rows.values())]
    attempt(context, lambda: lab.enrich_in_memory(refs))


@when('the data scientist joins "{refs}" to the sessions from the command line')
def step_cli_retrieve(context, refs):
    spine, out = context.workspace / "sessions.parquet", context.workspace / "joined.parquet"
    lab_of(context).repository()
    lab_of(context).sessions.to_parquet(spine)
    features = [arg for ref in names(refs) for arg in ("--feature", ref)]
    cli = run_cli(["features", "retrieve", "--spine", str(spine), *features, "--out", str(out)],
                  context.environ)
    assert cli.exit_code == 0, f"mmp features retrieve exited {cli.exit_code}:\n{cli.stderr}"
    context.result, context.error = pd.read_parquet(out), None


@then("the enriched sessions are:")
@then("the looked-up values are:")
def step_enriched_sessions_are(context):
    actual = require_success(context)
    problems = table_differences(table_frame(context.table), actual)
    assert not problems, "the features differ from the expected ones:\n  " + "\n  ".join(
        problems) + f"\nall rows:\n{actual.to_string()}"


@then('the sessions gained only "{feature}", holding decimal numbers')
def step_gained_only(context, feature):
    actual = require_success(context)
    gained = [c for c in actual.columns if c not in lab_of(context).sessions.columns]
    assert gained == [feature], f"the sessions gained {gained}, not only {feature!r}"
    assert actual[feature].dtype.kind == "f", (
        f"{feature!r} holds {actual[feature].dtype}, not decimal numbers: a session without "
        "a value later would change its type")


@then('the enrichment is refused because "{reason}"')
def step_enrichment_refused(context, reason):
    require_refusal(context, reason)


@then("mmp gives the same visits as Feast for every session Feast returns")
def step_agrees_with_feast(context):
    keys = ["user", "event_timestamp"]
    feast = context.feast.assign(event_timestamp=_naive_utc(context.feast["event_timestamp"]))
    mmp = context.result.assign(event_timestamp=_naive_utc(context.result["event_timestamp"]))
    both = feast.merge(mmp, on=keys, how="left", suffixes=(" (Feast)", " (mmp)"),
                       validate="one_to_one", indicator=True)
    same = (both["visits (Feast)"] == both["visits (mmp)"]) | (
        both["visits (Feast)"].isna() & both["visits (mmp)"].isna())
    differ = both[~same | (both["_merge"] != "both")]
    assert len(both) > 0 and differ.empty, (
        f"mmp and Feast disagree on {len(differ)} of {len(both)} sessions:\n{differ.to_string()}")


@then("mmp returns every session in the order given, even those Feast loses")
def step_returns_every_session(context):
    sessions, result = lab_of(context).sessions, context.result
    lost = len(sessions) - len(context.feast)
    problems = table_differences(sessions, result[list(sessions.columns)])
    assert not problems, (f"mmp did not return the sessions as given (Feast lost {lost}):\n  "
                          + "\n  ".join(problems))


@then("the point-in-time model scores near chance and the latest-value model near perfect")
def step_canary_scores(context):
    scores = context.scores
    shown = ", ".join(f"{name} model ROC AUC {value:.3f}" for name, value in scores.items())
    print(f"leakage canary: {shown}")
    assert scores["point-in-time"] < 0.6 and scores["latest-value"] > 0.95, (
        f"expected point-in-time < 0.6 (chance) and latest-value > 0.95 (leak): {shown}")


@then("the sessions and the recorded values are unchanged")
def step_inputs_unchanged(context):
    lab = lab_of(context)
    for before, after in zip(context.inputs, [lab.sessions, *lab.rows.values()], strict=True):
        pd.testing.assert_frame_equal(before, after, obj="a table given to the join")


def _naive_utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True).dt.tz_localize(None)
