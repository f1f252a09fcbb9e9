"""The input layer: the photo, the model's input, and its red, green and blue channels.

CNN Explainer's overview starts with the input image split into its three
colour channels (Sect. 6.1), each a heatmap in its own colour. This view adds
the step before: the learner's photo, resized and centre-cropped (Sect. 6.6).

Python builds the skeleton (figures, glyphs, hover); ``fill.js`` draws the photo,
the model's input and the channels, for the first frame as after a new picture.
"""

from __future__ import annotations

import numpy as np
from bokeh.layouts import column, row
from bokeh.models import ColumnDataSource, CustomJSHover, Div, HoverTool, LinearColorMapper

from ...arithmetic.trace import Trace
from ..kit import INPUT_CHANNELS, refill_callback
from ..kit.pictures import canvas, picture_pair
from ..kit.refill import picture_source

CHANNEL_NAMES = ("red", "green", "blue")


def _channel_map(channel: int, channels: int, height: int, width: int, size: int):
    """One channel's heatmap (a placeholder until fill.js draws it), with its values on hover."""
    label = CHANNEL_NAMES[channel] if channels == 3 else f"channel {channel}"
    palette = INPUT_CHANNELS[channel] if channels == 3 else INPUT_CHANNELS[2]
    plot = canvas(f"{label} channel", height, width, size, f"input_channel_{channel}_plot")
    source = ColumnDataSource({"image": [np.zeros((1, 1), np.float32)]}, name=f"input_channel_{channel}")
    mapper = LinearColorMapper(palette=list(palette), low=0.0, high=1.0)
    renderer = plot.image(image="image", x=0, y=0, dw=width, dh=height, color_mapper=mapper, source=source)
    # Maps are stored bottom row first, so the row under the pointer is counted from the top here.
    row_of = CustomJSHover(code=f"return String({height} - 1 - Math.floor(value));")
    column_of = CustomJSHover(code="return String(Math.floor(value));")
    plot.add_tools(
        HoverTool(
            renderers=[renderer],
            tooltips=[("row, column", "$y{row}, $x{column}"), (f"{label} value", "@image{0.000}")],
            formatters={"$y": row_of, "$x": column_of},
        )
    )
    return plot, source


def input_view(trace: Trace, original: np.ndarray, size: int = 190) -> row:
    """The photo, the network's input and its channels, with pixel values on hover."""
    height, width, channels = trace.image.shape
    pair, pair_args = picture_pair(trace, size)
    maps, sources = zip(*(_channel_map(c, channels, height, width, size) for c in range(channels)), strict=True)
    note = Div(
        text="Hover over a channel to read the number the network receives at that pixel "
        "(0 is none of that colour, 1 is full intensity).",
        styles={"color": "#555", "font-size": "0.9em"},
    )
    layout = column(pair, row(list(maps)), note, sizing_mode="stretch_width")
    picture = picture_source(trace, original=original)
    layout.tags = [refill_callback("input_view", picture=picture, channels=list(sources), **pair_args)]
    return layout
