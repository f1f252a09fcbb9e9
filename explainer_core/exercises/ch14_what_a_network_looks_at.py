"""Exercises of "What a network looks at" (book/14_what_a_network_looks_at.md).

Every answer reads what ``python -m explainer_core.precompute`` stored (the faithfulness
table and the gallery's maps), so no check runs a network or BBMP.
"""

from __future__ import annotations

from functools import cache

from . import Exercise


@cache
def _stored():
    from ..precompute import load

    return load()


def _methods() -> list[str]:
    return list(_stored()[0]["methods"])


def _tiny_table() -> dict:
    return _stored()[0]["faithfulness"]["table"]["tiny_vgg"]


def _best_insertion() -> str:
    table = _tiny_table()
    return max(_methods(), key=lambda method: table[method]["insertion"])


def _method_words(given, right):
    if not isinstance(given, str):
        return None
    if given.strip().lower() in ("random pixels", "random cells"):
        return "That is a baseline, not one of the five methods."
    if given.strip().lower() not in _methods():
        return "Give the method as the table writes it (one of index['methods'], e.g. gradcam)."


def _smaller_insertion(given, right):
    table = _tiny_table()
    if isinstance(given, str) and given.strip().lower() == min(_methods(), key=lambda m: table[m]["insertion"]):
        return "That method has the smallest insertion area: on insertion, larger is better."


def _beat_random_pixels() -> int:
    table = _tiny_table()
    baseline = table["random pixels"]["deletion"]
    return sum(table[method]["deletion"] < baseline for method in _methods())


def _deletion_direction(given, right):
    try:
        value = float(given)
    except (TypeError, ValueError):
        return None
    if value == len(_methods()) - right and value != right:
        return "Counted the other way round? On deletion a smaller area is better."


def _gradcam_distance() -> float:
    from ..compare import distance_matrix

    index, arrays = _stored()
    m, methods = index["members"].index("tiny_vgg"), index["methods"]
    maps = arrays["maps"][m, [methods.index("gradcam"), methods.index("gradcam++")], 0] / 255.0
    return float(distance_matrix(maps, "l1")[0, 1])


def _not_rescaled(given, right):
    try:
        value = float(given)
    except (TypeError, ValueError):
        return None
    if right > 0 and abs(value / 255.0 - right) < 1e-3:
        return "The stored maps are whole numbers from 0 to 255: divide them by 255 first."
    if value < 0:
        return "A distance is never negative."


EXERCISES = (
    Exercise(
        "14.1",
        "The method with the largest mean insertion area for Tiny VGG in the precomputed faithfulness table",
        _best_insertion,
        hints=(_method_words, _smaller_insertion),
    ),
    Exercise(
        "14.2",
        "How many of the five methods have a smaller mean deletion area than random pixels for Tiny VGG",
        _beat_random_pixels,
        hints=(_deletion_direction,),
    ),
    Exercise(
        "14.3",
        "The L1 distance between Tiny VGG's stored Grad-CAM and Grad-CAM++ maps of the first gallery photo",
        _gradcam_distance,
        hints=(_not_rescaled,),
        tolerance=1e-3,
    ),
)
