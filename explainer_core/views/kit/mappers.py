"""Colour mappers of the views' heatmaps; the ranges themselves come from ``arithmetic.scales``."""

from __future__ import annotations

from bokeh.models import LinearColorMapper

from ...arithmetic.scales import color_ranges, input_range
from ...arithmetic.trace import Trace
from .numbers import is_image_input
from .palettes import ACTIVATION, INPUT_CHANNELS


def map_mapper(trace: Trace, name: str, channel: int, *, of_input: bool = False) -> LinearColorMapper:
    """The colour mapper of channel ``channel`` of the output (with ``of_input``: the input) of step ``name``.

    The input image's red, green and blue channels keep their own colours (0 to 1);
    everything else is an activation map on the red-white-blue scale, with the
    range :func:`explainer_core.arithmetic.scales.color_ranges` gives its layer (CNN Explainer's
    "unit" scale, so that the views and the overview agree).
    """
    if of_input and is_image_input(trace, name):
        low, high = input_range(trace)
        palette = INPUT_CHANNELS[channel] if trace.image.shape[-1] == 3 else ACTIVATION
        return LinearColorMapper(palette=list(palette), low=low, high=high)
    if of_input:
        name = trace.network.previous(name)
    low, high = color_ranges(trace)[name]
    return LinearColorMapper(palette=list(ACTIVATION), low=low, high=high)
