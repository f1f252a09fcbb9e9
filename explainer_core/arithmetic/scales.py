"""Colour-scale ranges for the activation heatmaps (CNN Explainer, Sect. 6 and 6.6).

CNN Explainer draws activation maps with a diverging red-white-blue scale,
white at zero, and lets the learner choose over which group of layers the scale
is shared. The choice decides what a colour means: with one range per layer
every layer uses its full colour range; with one global range the learner can
compare magnitudes across the whole network. The groups come from the
network's structure, never from layer names:

* ``"layer"``: every activation layer on its own;
* ``"unit"``: a convolution with the layers after it up to the next
  convolution (its ReLU, and a pooling layer that closes a module), CNN
  Explainer's "local" scale;
* ``"module"``: the layers up to and including a max pooling layer;
* ``"global"``: all activation layers together.

Only image-shaped steps (conv, relu, maxpool) are heatmaps and get a range. The
browser twin, used when the reader changes the picture, is
``ExplainerKit.colorRanges`` in ``explainer_core/page/page.js``.
Each range is symmetric, ``(-m, m)`` with ``m`` the largest absolute value in the
group, so that zero stays white; CNN Explainer pads ``m`` by 0.1 for its legend,
a view may do the same. An all-zero group gets (-1, 1) so no view divides by zero.
"""

from __future__ import annotations

import numpy as np

from .network import SPATIAL_KINDS, LayerSpec, Network
from .trace import Trace

__all__ = ["MODES", "color_ranges", "input_range", "scale_groups", "symmetric", "target_range", "weight_limit"]

MODES = ("layer", "unit", "module", "global")


def scale_groups(network: Network, mode: str = "unit") -> tuple[tuple[str, ...], ...]:
    """The image-shaped steps of ``network`` grouped so that each group shares one colour range."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}.")
    groups: list[list[str]] = []
    current: list[str] = []
    for step in network.layers:
        if step.kind not in SPATIAL_KINDS or len(step.output_shape) != 3:
            continue  # a ReLU after the flatten layer acts on a vector, not a heatmap
        starts = mode == "layer" or (mode == "unit" and step.kind == "conv")
        if starts and current:
            groups.append(current)
            current = []
        current.append(step.name)
        if mode == "module" and step.kind == "maxpool":
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    if mode == "global":
        groups = [[name for group in groups for name in group]]
    return tuple(tuple(group) for group in groups)


def color_ranges(trace: Trace, mode: str = "unit") -> dict[str, tuple[float, float]]:
    """For every heatmap layer of ``trace``, the symmetric (min, max) of its diverging colour scale."""
    ranges: dict[str, tuple[float, float]] = {}
    for group in scale_groups(trace.network, mode):
        largest = max(float(np.max(np.abs(trace.outputs[name]))) for name in group)
        if largest == 0.0:
            largest = 1.0
        for name in group:
            ranges[name] = (-largest, largest)
    return ranges


def symmetric(limit: float) -> tuple[float, float]:
    """(-limit, limit), never empty, so that zero sits in the middle of a diverging scale."""
    limit = float(abs(limit)) or 1e-6
    return -limit, limit


def input_range(trace: Trace) -> tuple[float, float]:
    """The colour range of the network's input: at least [0, 1] for a colour picture (each channel
    keeps its own colour), else symmetric around zero (``ExplainerKit.inputRange`` is the twin)."""
    image = trace.image
    if image.shape[-1] == 3:
        return min(0.0, float(image.min())), max(1.0, float(image.max()))
    return symmetric(float(np.abs(image).max()))


def weight_limit(spec: LayerSpec) -> float:
    """Largest absolute weight or bias of a layer: the half-range of its (shared) weight colour scale."""
    return max(float(np.abs(spec.kernel).max()), float(np.abs(spec.bias).max())) or 1e-6


def target_range(values, is_logit: bool) -> tuple[float, float]:
    """Colour range of a dense layer's units: logits from the smallest (light) to the largest (dark
    orange); a hidden layer's values on the diverging activation scale."""
    values = [float(v) for v in values]
    if not is_logit:
        return symmetric(max(abs(v) for v in values))
    low, high = min(values), max(values)
    return (low, high) if high > low else (low - 1.0, high + 1.0)
