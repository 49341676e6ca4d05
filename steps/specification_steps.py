"""Steps about the specification itself: writing rules, defined steps, the step catalog."""

from __future__ import annotations

from behave import then, when
from behave.runner import the_step_registry as registry  # the one step modules fill

from steps.support import catalog


@when("the scenarios are read")
def step_read_scenarios(context):
    context.problems = catalog.hygiene_problems()


@when("the scenarios are matched against the step definitions")
def step_match_scenarios(context):
    context.undefined = [f"{feature.filename}:{step.line}: {step.keyword} {step.name}"
                         for feature in catalog.features() for step in catalog.steps_of(feature)
                         if registry.find_match(step) is None]
    context.unused = catalog.unused_steps()


@when("the step catalog is generated")
def step_generate_catalog(context):
    context.catalog = catalog.render()


@then("each has exactly one When, no Background is longer than 4 steps and no step names code")
def step_no_writing_problems(context):
    assert not context.problems, "writing rules broken:\n  " + "\n  ".join(context.problems)


@then("no step is undefined and no step definition is unused")
def step_all_defined_and_used(context):
    assert not context.undefined, "undefined steps:\n  " + "\n  ".join(context.undefined)
    assert not context.unused, "unused step definitions:\n  " + "\n  ".join(context.unused)


@then("it matches the published step catalog")
def step_catalog_current(context):
    published = catalog.CATALOG.read_text(encoding="utf-8") if catalog.CATALOG.is_file() else ""
    assert context.catalog == published, (
        f"{catalog.CATALOG.name} is stale: run `make catalog` and commit it")
