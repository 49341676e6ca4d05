"""behave switchboard for the mmp acceptance suite.

Select the environment with userdata: ``behave -D env=dev`` (default: local, from
pyproject.toml). Fixture tags (``@fixture.warehouse``, ``@fixture.trained_model``) may sit
on a feature, a rule or a scenario; they are set up per scenario, after its fresh workspace.
"""

from __future__ import annotations

import gc

from behave.fixture import fixture, use_fixture
from behave.tag_matcher import ActiveTagMatcher

from steps.support.dev import dev_services
from steps.support.fixtures import model_cache, use_fixture_tag, workspace
from steps.support.summary import ScenarioTally

# -- ACTIVE TAGS: @use.with_env=dev runs a scenario only in that environment ----------


def _skip_reason(context, scenario) -> str | None:
    if context.active_tags.should_skip_with_tags(scenario.effective_tags):
        return f"not for the {context.env_name} environment"
    if context.env_name == "dev" and getattr(context, "dev_unavailable", None):
        return f"dev services unreachable: {context.dev_unavailable}"
    return None


# -- FIXTURES -------------------------------------------------------------------------


@fixture
def spark_runtime(context):
    """One local Spark for the whole ``spark`` pass (its start-up is measured and shown),
    stopped at the end; every scenario's warehouse registers its own tables in it."""
    import shutil
    import tempfile

    from mmp.settings import load_config
    from mmp.spark_session import spark_session, startup_seconds, stop_spark

    folder = tempfile.mkdtemp(prefix="mmp-spark-")
    session = spark_session(load_config("spark", environ={"MMP_WORKSPACE": folder}))
    print(f"spark: {session.sparkContext.master} started in {startup_seconds(session):.1f} s")
    yield session
    stop_spark()
    shutil.rmtree(folder, ignore_errors=True)


# -- HOOKS ----------------------------------------------------------------------------


def before_all(context):
    gc.set_threshold(50_000)  # as `mmp`'s entry point runs its commands (src/mmp/cli.py)
    context.env_name = context.config.userdata.get("env", "local")
    context.active_tags = ActiveTagMatcher({"env": context.env_name})
    context.tally = ScenarioTally(context.env_name)
    if context.env_name == "dev":
        use_fixture(dev_services, context)
    if context.env_name == "spark":
        use_fixture(spark_runtime, context)
    use_fixture(model_cache, context)


def before_scenario(context, scenario):
    reason = _skip_reason(context, scenario)
    if reason:
        scenario.skip(reason=reason)
        return
    use_fixture(workspace, context)
    for tag in scenario.effective_tags:
        if tag.startswith("fixture."):
            use_fixture_tag(context, tag)


def after_feature(context, feature):
    context.tally.count_feature(feature)


def after_all(context):
    context.tally.write()
    # The pass ends: spare its shutdown the full collections over everything it imported
    # and kept (as `mmp`'s own entry point does, src/mmp/cli.py main()).
    gc.freeze()
