"""behave switchboard for the mmp acceptance suite.

Select the environment with userdata: ``behave -D env=dev`` (default: local, from
pyproject.toml). Fixture tags (``@fixture.warehouse``, ``@fixture.trained_model``) may sit
on a feature or a scenario; they are set up per scenario, after its fresh workspace.
"""

from __future__ import annotations

from behave.fixture import use_fixture

from steps.support.fixtures import model_cache, use_fixture_tag, workspace
from steps.support.summary import ScenarioTally

# -- HOOKS --------------------------------------------------------------------------


def before_all(context):
    context.env_name = context.config.userdata.get("env", "local")
    context.tally = ScenarioTally()
    use_fixture(model_cache, context)


def before_scenario(context, scenario):
    use_fixture(workspace, context)
    for tag in scenario.effective_tags:
        if tag.startswith("fixture."):
            use_fixture_tag(context, tag)


def after_feature(context, feature):
    context.tally.count_feature(feature)


def after_all(context):
    context.tally.write()
