"""Exercises of "The zoo at a glance" (book/12_the_zoo_at_a_glance.md)."""

from __future__ import annotations

import json
from functools import cache

from . import Exercise


@cache
def _rows() -> dict:
    """The trained members' accuracy rows, by the zoo's names (``tiny_vgg``, ...)."""
    from ..compare import accuracy_overview
    from ..models.loading import card_path
    from ..models.zoo import ZOO

    cards = {e.name: json.loads(card_path(e.path).read_text()) for e in ZOO.values() if e.path.exists()}
    return dict(zip(cards, accuracy_overview(list(cards.values())), strict=True))


def _front() -> list[str]:
    rows = _rows()
    front = [
        name for name, row in rows.items()
        if not any(o.multiply_adds <= row.multiply_adds and o.top1 > row.top1 for o in rows.values())
    ]
    return sorted(front, key=lambda name: rows[name].multiply_adds)


def _front_order(given, right):
    if isinstance(given, (list, tuple)) and sorted(map(str, given)) == sorted(right) and list(given) != right:
        return "The right networks, in the wrong order: list them from the cheapest up."


def _front_members(given, right):
    if isinstance(given, (list, tuple)) and any(name not in _rows() for name in map(str, given)):
        return "Use the zoo's names, as in explainer_core.models.zoo.ZOO (for example tiny_vgg)."
    if isinstance(given, (list, tuple)) and len(given) < len(right):
        return "Some are missing: the cheapest network is on the front whatever its accuracy."


def _widest_class() -> str:
    from ..compare import disagreement

    return disagreement(tuple(_rows().values())).disagree[0].class_name


def _hardest_instead(given, right):
    from ..compare import disagreement

    spread = disagreement(tuple(_rows().values()))
    if isinstance(given, str) and given.strip().lower() == spread.agree[-1].class_name:
        return "That class is the hardest on average; the question is about the range from lowest to highest."
    if isinstance(given, str) and given.strip().lower() == spread.disagree[-1].class_name:
        return "That is where the networks agree most: look at the other end of the ranking."


def _tiny_group_gap() -> float:
    per_group = _rows()["tiny_vgg"].per_group
    return 100 * (max(per_group.values()) - min(per_group.values()))


def _a_fraction(given, right):
    try:
        value = float(given)
    except (TypeError, ValueError):
        return None
    if 0 < value < 1 and right >= 1:
        return "Give the gap in points of accuracy (percent), not as a fraction."


EXERCISES = (
    Exercise(
        "12.1",
        "The networks no other network beats on both cost and accuracy, cheapest first",
        _front,
        hints=(_front_order, _front_members),
    ),
    Exercise(
        "12.2",
        "The class on which the networks' accuracies span the widest range",
        _widest_class,
        hints=(_hardest_instead,),
    ),
    Exercise(
        "12.3",
        "Points of accuracy between Tiny VGG's best and worst group of classes",
        _tiny_group_gap,
        hints=(_a_fraction,),
        tolerance=0.05,
    ),
)
