"""Capturing what an action produced or why it was refused, and explaining mismatches."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mmp.errors import MmpError


def attempt(context, action: Callable[[], Any]) -> Any:
    """Run ``action``; keep its result on ``context.result`` or its refusal on ``context.error``."""
    context.result, context.error = None, None
    try:
        context.result = action()
    except MmpError as exc:
        context.error = exc
    return context.result


def require_success(context) -> Any:
    """The last action's result; fails with the refusal message if it was refused."""
    error = getattr(context, "error", None)
    assert error is None, f"expected success, but it was refused: {error}\n  hint: {error.hint}"
    return context.result


def require_refusal(context, *fragments: str) -> MmpError:
    """The last action's refusal; fails unless it happened and names every fragment."""
    error = getattr(context, "error", None)
    assert error is not None, f"expected a refusal, but it succeeded with: {context.result!r}"
    text = str(error)
    missing = [f for f in fragments if f not in text]
    assert not missing, (
        f"the refusal does not mention {missing}\n  refusal: {text}\n  hint: {error.hint}")
    return error


def expect_equal(what: str, expected: Any, actual: Any) -> None:
    assert expected == actual, f"{what}:\n  expected: {expected!r}\n  actual:   {actual!r}"
