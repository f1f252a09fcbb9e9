"""Contours of a map and the picture with low attention removed (VAC-CNN, Sect. 4.2, Fig. 3c).

VAC-CNN draws four contour lines over each map, starting at the reader's
threshold and splitting the rest of [0, 1] into four equal bands; the top band
(everything above the highest line) is filled. Below the threshold nothing is
highlighted, and :func:`remove_below` blacks that region out of the picture.

scikit-image's marching squares traces the lines. The map is padded with a
value below every level first, so a region that touches the picture's edge
gets a closed path (along the edge) that a view can fill; scikit-image alone
would leave it open there.
"""

from __future__ import annotations

import numpy as np
from skimage import measure

from ..errors import ExplanationError
from ._checks import check_map, check_same_size, check_threshold

__all__ = ["CONTOUR_BANDS", "contour_levels", "contours", "remove_below"]

#: VAC-CNN's number of contour lines between the threshold and 1.
CONTOUR_BANDS = 4


def contour_levels(threshold: float) -> tuple[float, ...]:
    """The four levels th + k (1 - th) / 4, k = 0..3: 0, .25, .5, .75 for th = 0."""
    th = check_threshold(threshold)
    return tuple(th + k * (1.0 - th) / CONTOUR_BANDS for k in range(CONTOUR_BANDS))


def contours(explanation_map: np.ndarray, threshold: float) -> dict[float, list[np.ndarray]]:
    """Per contour level, the closed (row, col) paths around the map's regions at or above it.

    Each path is a (K, 2) float array in pixel coordinates (row 0 at the top),
    with its first point repeated at the end.
    """
    values = check_map(explanation_map)
    padded = np.pad(values, 1, constant_values=-1.0)
    limit = np.array(values.shape, dtype=np.float64) - 1
    return {
        level: [np.clip(path - 1.0, 0.0, limit) for path in measure.find_contours(padded, level)]
        for level in contour_levels(threshold)
    }


def remove_below(picture: np.ndarray, explanation_map: np.ndarray, threshold: float) -> np.ndarray:
    """A copy of ``picture`` ((H, W) or (H, W, C), any dtype) with the pixels whose map is below threshold at 0."""
    pixels = np.asarray(picture)
    if pixels.ndim not in (2, 3):
        raise ExplanationError(
            f"The picture must be (height, width) or (height, width, channels), not of shape {pixels.shape}."
        )
    values = check_map(explanation_map)
    check_same_size(pixels, values)
    th = check_threshold(threshold)
    kept = pixels.copy()
    kept[values < th] = 0
    return kept
