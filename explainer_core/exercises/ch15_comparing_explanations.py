"""Exercises of "Comparing explanations" (book/15_comparing_explanations.md)."""

from __future__ import annotations

from functools import cache

import numpy as np

from ..compare import contour_levels, similarity_matrix
from . import Exercise


@cache
def _gradcam_maps() -> tuple[list[str], np.ndarray]:
    """The members and their Grad-CAM maps of the first gallery photo, in [0, 1]."""
    from ..precompute import load

    index, arrays = load()
    method = index["methods"].index("gradcam")
    return list(index["members"]), arrays["maps"][:, method, 0] / 255.0


def _levels():
    return list(contour_levels(0.4))


def _levels_from_zero(given, right):
    if isinstance(given, (list, tuple)) and given and given[0] == 0:
        return "The first contour line lies at the threshold itself, not at 0."


def _levels_spacing(given, right):
    if isinstance(given, (list, tuple)) and len(given) == 4 and given[0] == right[0]:
        return "The first level is right; the four bands split only the way from the threshold to 1."


def _closest_to_tiny_vgg():
    members, maps = _gradcam_maps()
    row = similarity_matrix(maps, "l1")[members.index("tiny_vgg")].copy()
    row[members.index("tiny_vgg")] = -np.inf
    return members[int(np.argmax(row))]


def _not_itself(given, right):
    if isinstance(given, str) and given.strip().lower() == "tiny_vgg":
        return "Every map is as similar as can be to itself: leave the diagonal out."


def _least_alike(given, right):
    if isinstance(given, str):
        members, maps = _gradcam_maps()
        row = similarity_matrix(maps, "l1")[members.index("tiny_vgg")]
        if given.strip() in members and given.strip() == members[int(np.argmin(row))]:
            return "That is the network least alike: look for the largest similarity, not the smallest."


def _kept_share():
    members, maps = _gradcam_maps()
    return float((maps[members.index("tiny_vgg")] >= 0.5).mean())


def _share_not_percent(given, right):
    try:
        value = float(given)
    except (TypeError, ValueError):
        return None
    if value > 1:
        return "Give a share between 0 and 1, not a percentage."


EXERCISES = (
    Exercise(
        "15.1",
        "The four contour levels of the comparison view at threshold 0.4, lowest first",
        _levels,
        hints=(_levels_from_zero, _levels_spacing),
    ),
    Exercise(
        "15.2",
        "The zoo member whose Grad-CAM map of the first gallery photo is most similar (L1) to tiny_vgg's",
        _closest_to_tiny_vgg,
        hints=(_not_itself, _least_alike),
    ),
    Exercise(
        "15.3",
        "The share of the first gallery photo that tiny_vgg's Grad-CAM map keeps at threshold 0.5",
        _kept_share,
        hints=(_share_not_percent,),
        tolerance=1e-3,
    ),
)
