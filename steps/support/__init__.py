"""Helpers shared by the step modules: fixtures, typed tables, CLI runs, assertions."""
