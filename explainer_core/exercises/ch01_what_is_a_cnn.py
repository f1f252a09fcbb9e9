"""Exercises of "What a CNN is" (book/01_what_is_a_cnn.md)."""

from __future__ import annotations

import json
from functools import cache

from . import Exercise

#: The class whose mistakes exercise 01.3 asks about.
CONFUSED = "red panda"


@cache
def _card() -> dict:
    """The shipped model's card, read as JSON (no Keras needed)."""
    from ..models.loading import SHIPPED_MODEL, card_path

    return json.loads(card_path(SHIPPED_MODEL).read_text(encoding="utf-8"))


def _parameters() -> int:
    return int(_card()["parameters"])


def _forgot_biases(given, right):
    if isinstance(given, (int, float)) and right - 100 <= given < right:
        return "Close: every neuron of a convolutional or dense layer also has one bias."


def _only_convolutions(given, right):
    if isinstance(given, (int, float)) and given < right / 2:
        return "Far too few: did you count the output layer? It reads every number of the flattened maps."


def _weakest_class() -> str:
    card = _card()
    per_class = card["validation"]["per_class"]
    return card["class_names"][min(range(len(per_class)), key=per_class.__getitem__)]


def _best_not_worst(given, right):
    card = _card()
    per_class = card["validation"]["per_class"]
    best = card["class_names"][max(range(len(per_class)), key=per_class.__getitem__)]
    if isinstance(given, str) and given.strip().lower() == best.lower():
        return "That is the class it gets right most often; the question asks for the opposite."


def _confusion_row(label: str) -> list[int]:
    card = _card()
    return card["validation"]["confusion"][card["class_names"].index(label)]


def _red_panda_taken_for() -> str:
    card = _card()
    row = list(_confusion_row(CONFUSED))
    row[card["class_names"].index(CONFUSED)] = -1  # the right answers are not a confusion
    return card["class_names"][max(range(len(row)), key=row.__getitem__)]


def _read_a_column(given, right):
    card = _card()
    names = card["class_names"]
    column = [row[names.index(CONFUSED)] for row in card["validation"]["confusion"]]
    column[names.index(CONFUSED)] = -1
    taken_for_it = names[max(range(len(column)), key=column.__getitem__)]
    if isinstance(given, str) and given.strip().lower() == taken_for_it.lower() != right.lower():
        return "That class is most often taken *for* this one: a row holds the photos of one true class."
    if isinstance(given, str) and given.strip().lower() == CONFUSED:
        return "Leave out the diagonal: those are the photos it got right."


EXERCISES = (
    Exercise(
        "01.1",
        "The number of weights and biases of Tiny VGG, all layers together",
        _parameters,
        hints=(_forgot_biases, _only_convolutions),
    ),
    Exercise(
        "01.2",
        "The class Tiny VGG gets right least often on the validation images (its model card)",
        _weakest_class,
        hints=(_best_not_worst,),
    ),
    Exercise(
        "01.3",
        "The class Tiny VGG most often takes a validation photo of a red panda for",
        _red_panda_taken_for,
        hints=(_read_a_column,),
    ),
)
