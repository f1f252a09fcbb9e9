"""Exercises of "How each network sees the classes" (book/13_how_networks_see_the_classes.md)."""

from __future__ import annotations

from functools import cache

import numpy as np

from . import Exercise


@cache
def _distances() -> tuple[dict[str, np.ndarray], list[str]]:
    """Algorithm 1's class distances of every member, from the stored softmax outputs, and the class names."""
    from ..compare import class_distances
    from ..precompute import load

    index, arrays = load()
    names = list(index["class_names"])
    probabilities, labels = arrays["val_probabilities"], arrays["val_labels"]
    return {
        member: class_distances(probabilities[m], labels, len(names)) for m, member in enumerate(index["members"])
    }, names


def _nearest_pair(member: str = "tiny_vgg") -> list[str]:
    distances, names = _distances()
    d = distances[member] + np.diag(np.full(len(names), np.inf))
    i, j = np.unravel_index(np.argmin(d), d.shape)
    return sorted([names[i], names[j]])


def _pair_order(given, right):
    if isinstance(given, (list, tuple)) and sorted(map(str, given)) == right and list(given) != right:
        return "The right two classes: write them in alphabetical order."
    if isinstance(given, (list, tuple)) and len(given) == 2 and any(str(g) in right for g in given):
        return "One of the two is right; check the other against the hover's distances."


def _koala_red_panda() -> float:
    distances, names = _distances()
    return float(distances["tiny_vgg"][names.index("koala"), names.index("red panda")])


def _one_way(given, right):
    from ..precompute import load

    try:
        value = float(given)
    except (TypeError, ValueError):
        return None
    index, arrays = load()
    names = list(index["class_names"])
    koala, panda = names.index("koala"), names.index("red panda")
    scores = arrays["val_probabilities"][0].astype(np.float64)
    labels = arrays["val_labels"]
    one_way = (1 - scores[labels == koala, panda].mean(), 1 - scores[labels == panda, koala].mean())
    if any(abs(value - w) < 1e-3 for w in one_way):
        return "That is one direction only: Algorithm 1 averages the distance from c to j with the one from j to c."
    if abs(value - (1 - right)) < 1e-3:
        return "That is an average probability: the distance is one minus it."


def _closest_koala_panda() -> str:
    distances, names = _distances()
    koala, panda = names.index("koala"), names.index("red panda")
    return min(distances, key=lambda member: distances[member][koala, panda])


def _not_the_member(given, right):
    distances, names = _distances()
    if not isinstance(given, str):
        return None
    if given.strip().lower() not in distances:
        return "Give a member's name as the stored outputs list it (index['members'], e.g. tiny_vgg)."
    koala, panda = names.index("koala"), names.index("red panda")
    if given.strip().lower() == max(distances, key=lambda member: distances[member][koala, panda]):
        return "That network puts the two furthest apart: closest means the smallest distance."


EXERCISES = (
    Exercise(
        "13.1",
        "The two classes Tiny VGG's class distances put nearest to each other, in alphabetical order",
        _nearest_pair,
        hints=(_pair_order,),
    ),
    Exercise(
        "13.2",
        "Algorithm 1's distance between koala and red panda for Tiny VGG",
        _koala_red_panda,
        hints=(_one_way,),
        tolerance=1e-3,
    ),
    Exercise(
        "13.3",
        "The member of the zoo whose class distances put koala and red panda closest",
        _closest_koala_panda,
        hints=(_not_the_member,),
    ),
)
