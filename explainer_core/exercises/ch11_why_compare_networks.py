"""Exercises of "Why compare networks" (book/11_why_compare_networks.md)."""

from __future__ import annotations

import json
from functools import cache

from . import Exercise


@cache
def _zoo() -> tuple[dict, dict]:
    """The trained members' model cards and accuracy rows, by the zoo's names (``tiny_vgg``, ...)."""
    from ..compare import accuracy_overview
    from ..models.loading import card_path
    from ..models.zoo import ZOO

    cards = {e.name: json.loads(card_path(e.path).read_text()) for e in ZOO.values() if e.path.exists()}
    rows = dict(zip(cards, accuracy_overview(list(cards.values())), strict=True))
    return cards, rows


def _tiny_right() -> int:
    cards, rows = _zoo()
    return round(rows["tiny_vgg"].top1 * cards["tiny_vgg"]["data"]["val_images"])


def _a_fraction_or_percentage(given, right):
    try:
        value = float(given)
    except (TypeError, ValueError):
        return None
    if 0 < value <= 1:
        return "That looks like the accuracy as a fraction: the question asks how many pictures."
    if not value.is_integer():
        return "That looks like a percentage: the question asks how many pictures, a whole number."


def _tiny_worst_class() -> str:
    _, rows = _zoo()
    per_class = rows["tiny_vgg"].per_class
    return min(per_class, key=per_class.get)


def _the_best_class(given, right):
    _, rows = _zoo()
    per_class = rows["tiny_vgg"].per_class
    if isinstance(given, str) and given.strip().lower() == max(per_class, key=per_class.get):
        return "That is the class Tiny VGG gets right most often: look at the other end."
    if isinstance(given, str) and given.strip().lower() not in per_class:
        return "Give one of the ten class names, as the model card writes them."


def _half_width_points() -> float:
    import math

    cards, rows = _zoo()
    top1, pictures = rows["tiny_vgg"].top1, cards["tiny_vgg"]["data"]["val_images"]
    return 100 * 1.96 * math.sqrt(top1 * (1 - top1) / pictures)


def _not_in_points(given, right):
    try:
        value = float(given)
    except (TypeError, ValueError):
        return None
    if 0 < value < 0.2:
        return "Give it in points of accuracy (percent), not as a fraction."
    if value > 0 and abs(value - right / 1.96) < 0.05:
        return "That is one standard error: a 95 % interval reaches 1.96 of them each way."


EXERCISES = (
    Exercise(
        "11.1",
        "How many of the validation pictures Tiny VGG answers correctly",
        _tiny_right,
        hints=(_a_fraction_or_percentage,),
    ),
    Exercise(
        "11.2",
        "The class on which Tiny VGG's validation accuracy is lowest",
        _tiny_worst_class,
        hints=(_the_best_class,),
    ),
    Exercise(
        "11.3",
        "The half-width of the 95 % interval of Tiny VGG's accuracy, in points of accuracy",
        _half_width_points,
        hints=(_not_in_points,),
        tolerance=0.05,
    ),
)
