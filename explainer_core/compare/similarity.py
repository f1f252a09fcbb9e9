"""How alike the maps of several models (or methods) on one picture are (VAC-CNN, Sect. 4.2, Algorithm 2).

VAC-CNN measures a distance D between every pair of maps and shows the
similarity 1 - 2 D / max(D): 1 on the diagonal, -1 for the most different
pair, the other pairs in between on a straight scale. We keep that scale so
our matrices read like the paper's, with two differences:

* we compare the maps themselves (values in [0, 1]); the original compared
  the coloured heatmap pictures, whose colour scale adds its own distances;
* when all maps are identical (or there is only one) max(D) is 0, and every
  similarity is 1 instead of a division by zero.

The rules, each a distance that grows as the maps differ:

* ``"l1"`` (VAC-CNN's default): mean absolute difference;
* ``"mse"``: mean squared difference (scikit-image);
* ``"ssim"``: D = 1 - SSIM, the structural similarity of Wang et al. (2004)
  by scikit-image with ``data_range=1`` and its 7x7 window; D runs from 0
  (equal) to 2 (opposite structure);
* ``"hash"``: the Hamming distance (0 to 64 bits) between the 8x8 average
  hashes (imagehash) of the maps drawn as 8-bit greyscale pictures.

Only the rescaling and the loop over pairs are written here; every distance is
a library's.
"""

from __future__ import annotations

from collections.abc import Callable

import imagehash
import numpy as np
from PIL import Image
from skimage.metrics import mean_squared_error, structural_similarity

from ..errors import ExplanationError
from ._checks import check_maps

__all__ = ["RULES", "distance_matrix", "similarity_matrix", "to_similarity"]

RULES = ("l1", "mse", "ssim", "hash")

#: scikit-image's default SSIM window; smaller maps cannot be compared by SSIM.
SSIM_WINDOW = 7
HASH_SIZE = 8


def _l1(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.abs(a - b)))


def _mse(a: np.ndarray, b: np.ndarray) -> float:
    return float(mean_squared_error(a, b))


def _ssim(a: np.ndarray, b: np.ndarray) -> float:
    return max(0.0, 1.0 - float(structural_similarity(a, b, data_range=1.0, win_size=SSIM_WINDOW)))


def _average_hash(explanation_map: np.ndarray) -> imagehash.ImageHash:
    grey = Image.fromarray(np.round(explanation_map * 255).astype(np.uint8), mode="L")
    return imagehash.average_hash(grey, hash_size=HASH_SIZE)


def _hamming(a: imagehash.ImageHash, b: imagehash.ImageHash) -> float:
    return float(a - b)  # imagehash's difference is the number of differing bits


#: Per rule: what to compute once per map, and the distance between two of those.
_MEASURES: dict[str, tuple[Callable, Callable[..., float]]] = {
    "l1": (np.asarray, _l1),
    "mse": (np.asarray, _mse),
    "ssim": (np.asarray, _ssim),
    "hash": (_average_hash, _hamming),
}


def distance_matrix(maps: np.ndarray, rule: str = "l1") -> np.ndarray:
    """The (L, L) distances between L maps (a (L, H, W) array or a list of (H, W) maps) by ``rule``."""
    if rule not in RULES:
        raise ExplanationError(f"Unknown similarity rule {rule!r}; the rules are {', '.join(RULES)}.")
    values = check_maps(maps)
    count = len(values)
    if rule == "ssim" and min(values.shape[1:]) < SSIM_WINDOW:
        raise ExplanationError(
            f"SSIM compares {SSIM_WINDOW}x{SSIM_WINDOW} windows, so maps of {values.shape[1]}x{values.shape[2]} "
            "pixels are too small for it; use the maps at the picture's resolution or another rule."
        )
    prepare, distance = _MEASURES[rule]
    items = [prepare(m) for m in values]
    distances = np.zeros((count, count))
    for i in range(count):
        for j in range(i + 1, count):
            distances[i, j] = distances[j, i] = distance(items[i], items[j])
    return distances


def to_similarity(distances: np.ndarray) -> np.ndarray:
    """VAC-CNN's 1 - 2 D / max(D), or all ones when no two maps differ."""
    largest = float(np.max(distances, initial=0.0))
    if largest <= 0.0:
        return np.ones_like(distances, dtype=np.float64)
    return 1.0 - 2.0 * distances / largest


def similarity_matrix(maps: np.ndarray, rule: str = "l1") -> np.ndarray:
    """The (L, L) similarities in [-1, 1] of L maps: 1 for a map with itself, -1 for the most different pair."""
    return to_similarity(distance_matrix(maps, rule))
