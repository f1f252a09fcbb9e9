"""The input checks every comparison measure shares, so each refuses bad input in the same words."""

from __future__ import annotations

import numpy as np

from ..errors import ExplanationError

#: Maps come out of the explanation methods min-max normalised; float32 rounding may stray this far.
MAP_TOLERANCE = 1e-5


def check_threshold(threshold: float) -> float:
    """A threshold in [0, 1): every map value at or above it counts as attention."""
    try:
        value = float(threshold)
    except (TypeError, ValueError):
        raise ExplanationError(f"The threshold must be a number in [0, 1), not {threshold!r}.") from None
    if not 0.0 <= value < 1.0:
        raise ExplanationError(
            f"The threshold must be at least 0 and below 1 (maps are in [0, 1]), not {threshold!r}; "
            "0.5 keeps the upper half of the attention."
        )
    return value


def check_map(explanation_map: np.ndarray, name: str = "map") -> np.ndarray:
    """One (H, W) map of finite values in [0, 1], as float64."""
    values = np.asarray(explanation_map)
    if values.ndim != 2 or 0 in values.shape:
        raise ExplanationError(
            f"The {name} must be one (height, width) array, not an array of shape {values.shape}; "
            "take one map out of a batch with maps[i]."
        )
    return _in_unit_range(values, name)


def check_maps(maps: np.ndarray) -> np.ndarray:
    """A (N, H, W) stack of maps (or a list of equal-sized (H, W) maps), as float64."""
    try:
        values = np.asarray(maps)
    except ValueError:
        raise ExplanationError("The maps must all have the same height and width.") from None
    if values.ndim != 3 or 0 in values.shape:
        raise ExplanationError(
            f"The maps must be a (number of maps, height, width) array or a list of equal (height, width) maps, "
            f"not an array of shape {values.shape}."
        )
    return _in_unit_range(values, "maps")


def check_same_size(picture: np.ndarray, explanation_map: np.ndarray) -> None:
    """The map must cover the picture pixel for pixel (maps come at the input's resolution)."""
    if picture.shape[:2] != explanation_map.shape:
        raise ExplanationError(
            f"The map has {explanation_map.shape[0]}x{explanation_map.shape[1]} pixels but the picture "
            f"{picture.shape[0]}x{picture.shape[1]}: explain the picture the model read, or resize the map first."
        )


def _in_unit_range(values: np.ndarray, name: str) -> np.ndarray:
    if values.dtype.kind not in "biuf":
        raise ExplanationError(f"The {name} must hold numbers, not values of type {values.dtype}.")
    values = values.astype(np.float64)
    if not np.isfinite(values).all():
        raise ExplanationError(f"The {name} holds NaN or infinite values; an explanation map is finite.")
    low, high = float(values.min()), float(values.max())
    if low < -MAP_TOLERANCE or high > 1 + MAP_TOLERANCE:
        raise ExplanationError(
            f"The {name} must be in [0, 1] as the explanation methods return them, but runs from {low:.4g} "
            f"to {high:.4g}; normalise it first."
        )
    return np.clip(values, 0.0, 1.0)
