@hygiene
Feature: The specification stays readable and complete
  Product owners read and extend these scenarios, so the suite checks its own writing:
  one action per scenario, short backgrounds, business words, every step defined and
  used, and a published step catalog that matches what can be written.

  Rule: every scenario states one rule with one action, in the business's words

    Scenario: No scenario breaks the writing rules
      When the scenarios are read
      Then each has exactly one When, no Background is longer than 4 steps and no step names code

  Rule: every step can be written from the catalog

    Scenario: Every step of every scenario is defined and every definition is used
      When the scenarios are matched against the step definitions
      Then no step is undefined and no step definition is unused

    Scenario: The published step catalog lists exactly the steps that exist
      When the step catalog is generated
      Then it matches the published step catalog
