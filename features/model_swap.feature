@serving @deployment @fixture.trained_model
Feature: Swapping the served model without downtime
  The service serves whichever version the champion alias names. When the alias moves,
  the new version takes over without a restart and without a single failed request;
  a version that cannot be loaded never replaces the one that works.

  Background:
    Given two versions of the session-outcome model, with the champion alias on version 1

  Rule: a moved alias is served without a failed request

    Scenario: An operator's reload swaps versions while clients keep asking
      Given the champion is served by a running service
      When the champion alias moves to version 2 and an operator reloads during steady traffic
      Then no request failed while the model was swapped
      And the service now answers from version 2

    Scenario: The service follows the champion alias on its own
      Given the champion is served by a running service that watches its alias
      When the champion alias moves to version 2
      Then the service soon answers from version 2

  Rule: only an authorised, loadable model replaces the served one

    Scenario: A model that cannot be loaded leaves the working one serving
      Given the champion is served by a running service
      When an operator reloads the service with a model that does not exist
      Then the reload is refused saying why
      And the service still answers from version 1

    Scenario: A reload without the operator's token is refused
      Given the champion is served by a running service
      When someone without the operator's token asks the service to reload
      Then the reload is refused as unauthorised
