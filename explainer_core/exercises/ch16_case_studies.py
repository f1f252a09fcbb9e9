"""Exercises of "Two case studies" (book/16_case_studies.md)."""

from __future__ import annotations

import json
from functools import cache

from ..compare import accuracy_overview, disagreement, method_ranking, photo_misses
from . import Exercise


@cache
def _zoo() -> tuple[dict, dict, dict]:
    """The precomputed index and arrays, and the members' model cards by zoo name."""
    from ..models.loading import card_path
    from ..models.zoo import ZOO
    from ..precompute import load

    index, arrays = load()
    cards = {name: json.loads(card_path(ZOO[name].path).read_text()) for name in index["members"]}
    return index, arrays, cards


@cache
def _spread():
    _, _, cards = _zoo()
    return disagreement(accuracy_overview(list(cards.values())))


def _most_agreed_class():
    return _spread().agree[0].class_name


def _is_hardest(given, right):
    if isinstance(given, str) and given.strip().lower() == _spread().agree[-1].class_name:
        return "That is the class the zoo finds hardest: look at the other end of the ranking by mean."


def _is_widest(given, right):
    if isinstance(given, str) and given.strip().lower() == _spread().disagree[0].class_name:
        return "That is where the accuracies lie furthest apart; the question asks for the highest mean."


def _case_photos():
    index, arrays, _ = _zoo()
    return photo_misses(
        arrays["val_probabilities"].astype("float64"), arrays["val_labels"], index["members"],
        index["class_names"], _spread().disagree[0].class_name,
    )


def _counts() -> tuple[int, int, int]:
    """Photos of the class missed by at least one network, by more than half, and by none to half of them."""
    members = _zoo()[0]["members"]
    missed = [len(photo.missed_by) for photo in _case_photos()]
    some = sum(0 < n for n in missed)
    majority = sum(n > len(members) / 2 for n in missed)
    return some, majority, some - majority


def _missed_by_a_minority():
    return _counts()[2]


def _counted_wrong_group(given, right):
    some, majority, _ = _counts()
    if given == majority and majority != right:
        return "That counts the photos missed by more than half of the networks; the question asks for the others."
    if given == some and some != right:
        return "That counts every photo missed at least once: leave out those missed by more than half."


def _best_by_deletion():
    return method_ranking(_zoo()[0]["faithfulness"]["table"], "resnet_mini").deletion[0][0]


def _deletion_direction(given, right):
    ranking = method_ranking(_zoo()[0]["faithfulness"]["table"], "resnet_mini")
    if isinstance(given, str) and given.strip().lower() == ranking.deletion[-1][0]:
        return "That method has the largest area: by deletion, a faithful map makes the probability fall fast."


def _baseline(given, right):
    if isinstance(given, str) and given.strip().lower() in ("random pixels", "random cells"):
        return "The random maps are the baselines a method must beat; name one of the five methods."


EXERCISES = (
    Exercise(
        "16.1",
        "The class on which the zoo's networks agree most: the highest mean validation accuracy over the members",
        _most_agreed_class,
        hints=(_is_hardest, _is_widest),
    ),
    Exercise(
        "16.2",
        "How many validation photos of Case 1's class are missed by at least one network but by at most half",
        _missed_by_a_minority,
        hints=(_counted_wrong_group,),
    ),
    Exercise(
        "16.3",
        "The explanation method with the best (lowest) deletion score for resnet_mini",
        _best_by_deletion,
        hints=(_deletion_direction, _baseline),
    ),
)
