"""Exercises: each chapter's questions, the library's own answers, and a check a learner runs.

A chapter ends with at least three exercises. The ones with a checkable answer are
registered here, one module per chapter (``ch05_hyperparameters.py`` for
``book/05_hyperparameters.md``), as a tuple ``EXERCISES`` of :class:`Exercise`. An
exercise's right answer is *computed* by the library when asked (never typed in), so a
retrained model or a changed picture keeps the exercises true.

In a notebook the learner writes an answer and runs ``check("05.1", answer)``: it prints
a pass, or a hint that says what is off without giving the answer away, and returns
whether it passed. The chapter's hidden solution cell ends in ``assert check(...)``, so a
wrong solution fails the book's build.
"""

from __future__ import annotations

import importlib
import math
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

__all__ = ["Exercise", "check", "exercise", "exercises", "is_right"]

#: A hint rule: (the learner's answer, the right one) -> a sentence, or None when it does not apply.
Hint = Callable[[Any, Any], "str | None"]


@dataclass(frozen=True)
class Exercise:
    """One checkable question of a chapter."""

    #: "<chapter file number>.<n>", e.g. "05.1".
    key: str
    #: What to compute, in one sentence (the chapter words it at length).
    question: str
    #: Computes the right answer with the library (called when a learner checks).
    answer: Callable[[], Any]
    #: Specific hints, tried in order before the generic ones.
    hints: tuple[Hint, ...] = field(default=())
    #: Two numbers closer than this are the same answer.
    tolerance: float = 1e-6


@cache
def exercises() -> dict[str, Exercise]:
    """Every registered exercise by key, from the chapter modules of this package."""
    found: dict[str, Exercise] = {}
    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith("ch"):
            for item in importlib.import_module(f"{__name__}.{module.name}").EXERCISES:
                if item.key in found:
                    raise ValueError(f"Two exercises are called {item.key}.")
                found[item.key] = item
    return found


def exercise(key: str) -> Exercise:
    """The exercise ``key``; an unknown key is a clear error naming the chapter's keys."""
    registry = exercises()
    if key not in registry:
        chapter = [k for k in registry if k.split(".")[0] == str(key).split(".")[0]]
        known = ", ".join(chapter) if chapter else ", ".join(sorted(registry))
        raise KeyError(f"There is no exercise {key!r}; the exercises are {known}.")
    return registry[key]


def same(given: Any, right: Any, tolerance: float = 1e-6) -> bool:
    """Whether two answers agree: numbers within ``tolerance``, words ignoring case, sequences item by item."""
    if isinstance(right, str):
        return isinstance(given, str) and given.strip().lower() == right.strip().lower()
    if isinstance(right, (bool,)) or right is None:
        return given == right
    if isinstance(right, (int, float)) and not isinstance(right, bool):
        try:
            return math.isclose(float(given), float(right), rel_tol=0, abs_tol=tolerance)
        except (TypeError, ValueError):
            return False
    if isinstance(right, Sequence) or hasattr(right, "__array__"):
        try:
            given_items, right_items = list(_flat(given)), list(_flat(right))
        except TypeError:
            return False
        return len(given_items) == len(right_items) and all(
            same(g, r, tolerance) for g, r in zip(given_items, right_items, strict=True)
        )
    return given == right


def _flat(value: Any) -> list:
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        return [value]
    return [item for part in value for item in _flat(part)]


def generic_hint(given: Any, right: Any) -> str:
    """What is off, in general terms: the kind of answer, its length, or its direction."""
    if given is None or given is Ellipsis:
        return "There is no answer yet: write yours in place of the placeholder."
    if isinstance(right, str):
        return "Not this one. Look again at the words the chapter uses for it."
    if isinstance(right, (int, float)) and not isinstance(right, bool):
        try:
            value = float(given)
        except (TypeError, ValueError):
            return f"The answer is a number, not {type(given).__name__}."
        if isinstance(right, int) and not float(value).is_integer():
            return "The answer is a whole number."
        return "Too large: check each term again." if value > right else "Too small: check each term again."
    if isinstance(right, Sequence) or hasattr(right, "__array__"):
        try:
            given_items, right_items = list(_flat(given)), list(_flat(right))
        except TypeError:
            return "The answer is a list of values."
        if len(given_items) != len(right_items):
            return f"The answer has {len(right_items)} values, not {len(given_items)}."
        wrong = sum(not same(g, r) for g, r in zip(given_items, right_items, strict=True))
        return f"{wrong} of the {len(right_items)} values are off."
    return "Not yet: read the question again."


def is_right(key: str, given: Any) -> bool:
    """Whether ``given`` answers exercise ``key``, silently: the homework's hidden tests ask this."""
    item = exercise(key)
    return same(given, item.answer(), item.tolerance)


def check(key: str, given: Any) -> bool:
    """Print whether ``given`` answers exercise ``key``, with a hint when it does not; return it."""
    item = exercise(key)
    right = item.answer()
    if same(given, right, item.tolerance):
        print(f"Exercise {key}: right.")
        return True
    for rule in item.hints:
        hint = rule(given, right)
        if hint:
            break
    else:
        hint = generic_hint(given, right)
    print(f"Exercise {key}: not yet. {hint}")
    return False
