"""Deletion and insertion curves: is a map faithful to the model? (Petsiuk et al., RISE, BMVC 2018, Sect. 4.1.)

A map claims that some pixels matter more than others. Deletion takes the
claim at its word: remove the most important pixels first and watch the
probability of the target class; a faithful map makes it fall fast (small
area under the curve). Insertion starts from a picture with the information
taken out and puts the most important pixels back first; a faithful map makes
the probability rise fast (large area). VAC-CNN compares maps by eye; these
curves let the book say which method is more faithful, not only which looks
nicer.

Choices, as in RISE unless said:

* the target class is the caller's (RISE scores the class the model
  predicts for the whole picture, as the explanation methods do by default);
* pixels are ranked by map value, highest first; equal values keep raster
  order (row by row), so the result is the same on every run;
* ``steps`` equal steps from 0 to every pixel (fraction 0, 1/steps, ..., 1),
  all scored in one model call per picture;
* deletion replaces pixels with 0 (black), as RISE does. A black picture
  is not "no evidence" to every model: the shipped Tiny VGG calls it a
  ladybug with probability 0.58, so a curve for that class ends high;
* insertion starts from a Gaussian blur of the picture (all channels, edges
  reflected). RISE blurs 224-pixel pictures with an 11x11 kernel of sigma 5
  and calls the result "highly blurred"; our 64-pixel pictures get sigma =
  side / 16 (4 pixels), which leaves colour blobs but no object shape. On it
  the shipped Tiny VGG still names 26 % of the validation pictures right
  (82 % sharp, 10 % chance): colour alone carries some of the class, so
  insertion curves start above chance.

No TensorFlow library computes these curves (Captum and Quantus are PyTorch),
and the arithmetic is a ranking and a ``np.where``, so it is written here.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from skimage.filters import gaussian

from ..errors import ExplanationError
from ._checks import check_maps

__all__ = ["Curve", "area_under_curve", "deletion_curve", "insertion_curve"]

DEFAULT_STEPS = 32
#: The insertion start's blur, as a fraction of the picture's side (4 pixels on 64x64).
BLUR_FRACTION = 1 / 16


class Curve(NamedTuple):
    """The target's probability after each step: ``scores`` (steps + 1,), or (N, steps + 1) for N pictures."""

    fractions: np.ndarray
    scores: np.ndarray


def deletion_curve(model, pictures, maps, target, steps: int = DEFAULT_STEPS, batch_size: int = 256) -> Curve:
    """The target's probability as the top 0, 1/steps, ..., all of the pixels (by the map) turn black.

    ``model`` is a keras.Model (or a LoadedModel, or any callable) that maps a
    batch of (H, W, C) pictures in [0, 1] to class probabilities; ``pictures``
    one (H, W, C) picture or (N, H, W, C); ``maps`` its (H, W) map or (N, H, W);
    ``target`` a class index, or one per picture.
    """
    pixels, values, single = _check_pictures(pictures, maps)
    return _curves(model, pixels, np.zeros_like(pixels), values, target, steps, batch_size, single)


def insertion_curve(
    model, pictures, maps, target, steps: int = DEFAULT_STEPS, blur_sigma: float | None = None, batch_size: int = 256
) -> Curve:
    """The target's probability as the top 0, 1/steps, ..., all of the pixels are put back into a blurred copy.

    The blur is Gaussian with ``blur_sigma`` pixels, by default 1/16 of the
    picture's side (4 pixels on 64x64); arguments as for :func:`deletion_curve`.
    """
    pixels, values, single = _check_pictures(pictures, maps)
    sigma = BLUR_FRACTION * min(pixels.shape[1:3]) if blur_sigma is None else float(blur_sigma)
    if not sigma > 0:
        raise ExplanationError(f"blur_sigma must be a positive number of pixels, not {blur_sigma!r}.")
    blurred = np.stack([gaussian(p, sigma=sigma, channel_axis=-1, mode="reflect") for p in pixels])
    return _curves(model, blurred, pixels, values, target, steps, batch_size, single)


def area_under_curve(curve: Curve) -> float | np.ndarray:
    """The trapezoid area under the curve over fractions 0..1: one number per picture."""
    area = np.trapezoid(curve.scores, curve.fractions, axis=-1)
    return float(area) if np.ndim(area) == 0 else area


def _curves(model, start, end, maps, target, steps, batch_size, single) -> Curve:
    """At fraction f the top f of each picture's pixels come from ``end``, the rest from ``start``."""
    if not isinstance(steps, int | np.integer) or isinstance(steps, bool) or steps < 1:
        raise ExplanationError(f"steps must be a whole number of at least 1, not {steps!r}.")
    if not isinstance(batch_size, int | np.integer) or batch_size < 1:
        raise ExplanationError(f"batch_size must be a whole number of at least 1, not {batch_size!r}.")
    count, height, width = maps.shape
    targets = _check_targets(target, count)
    fractions = np.linspace(0.0, 1.0, steps + 1)
    shown = np.round(fractions * height * width).astype(int)  # pixels taken from `end` at each step
    per_call = max(1, batch_size // (steps + 1))
    scores = np.empty((count, steps + 1))
    for first in range(0, count, per_call):
        chunk = range(first, min(first + per_call, count))
        batch = np.concatenate([_steps(start[i], end[i], maps[i], shown) for i in chunk])
        probabilities = _predict(model, batch).reshape(len(chunk), steps + 1, -1)
        classes = probabilities.shape[-1]
        for row, i in enumerate(chunk):
            if not 0 <= targets[i] < classes:
                raise ExplanationError(f"The target class must be from 0 to {classes - 1}, not {targets[i]}.")
            scores[i] = probabilities[row, :, targets[i]]
    return Curve(fractions, scores[0] if single else scores)


def _steps(start: np.ndarray, end: np.ndarray, explanation_map: np.ndarray, shown: np.ndarray) -> np.ndarray:
    """(steps + 1, H, W, C) pictures: the ``shown[s]`` highest-ranked pixels from ``end``, the rest from ``start``."""
    order = np.argsort(-explanation_map.ravel(), kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    take_end = rank.reshape(explanation_map.shape)[None] < shown[:, None, None]
    return np.where(take_end[..., None], end[None], start[None]).astype(np.float32)


def _predict(model, batch: np.ndarray) -> np.ndarray:
    import keras  # here, so that the other measures load without TensorFlow

    network = getattr(model, "keras_model", model)
    if isinstance(network, keras.Model):
        outputs = network.predict_on_batch(batch)
    elif callable(network):
        outputs = network(batch)
    else:
        raise ExplanationError(f"The model must be a keras.Model or a callable, not {type(model).__name__}.")
    outputs = np.asarray(keras.ops.convert_to_numpy(outputs), dtype=np.float64)
    if outputs.ndim != 2 or len(outputs) != len(batch):
        raise ExplanationError(f"The model must return one row of class scores per picture, not shape {outputs.shape}.")
    return outputs


def _check_pictures(pictures, maps) -> tuple[np.ndarray, np.ndarray, bool]:
    """(N, H, W, C) float pictures in [0, 1] and their (N, H, W) maps, and whether one picture was given."""
    pixels = np.asarray(pictures)
    single = pixels.ndim == 3
    if pixels.ndim not in (3, 4) or 0 in pixels.shape:
        raise ExplanationError(
            f"The pictures must be one (height, width, channels) picture or a (number, height, width, channels) "
            f"batch, not an array of shape {pixels.shape}."
        )
    if pixels.dtype.kind != "f":
        raise ExplanationError(
            f"The pictures must be floats in [0, 1] as the model reads them, not {pixels.dtype}; divide 8-bit "
            "pictures by 255."
        )
    pixels = pixels[None] if single else pixels
    if not np.isfinite(pixels).all() or pixels.min() < 0 or pixels.max() > 1:
        raise ExplanationError("The pictures must be floats in [0, 1] as the model reads them.")
    values = np.asarray(maps)
    values = check_maps(values[None] if values.ndim == 2 else values)
    if values.shape != pixels.shape[:3]:
        raise ExplanationError(
            f"Each picture needs one map of its own size: {len(pixels)} picture(s) of {pixels.shape[1]}x"
            f"{pixels.shape[2]} but maps of shape {values.shape}."
        )
    return pixels.astype(np.float32), values, single


def _check_targets(target, count: int) -> np.ndarray:
    """One whole class index per picture (a single index is shared by all)."""
    targets = np.asarray(target)
    if targets.ndim == 0:
        targets = np.full(count, targets)
    if targets.shape != (count,) or targets.dtype.kind not in "iu":
        raise ExplanationError(
            f"The target must be a class index, or one class index per picture ({count}), not {target!r}."
        )
    return targets.astype(int)
