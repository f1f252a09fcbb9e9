"""The photo and the network's input side by side: shared by the input view and the picture changer.

Python builds the skeleton; ``views/input_view/fill.js`` computes every picture-dependent pixel.
"""

from __future__ import annotations

import math

import numpy as np
from bokeh.layouts import row
from bokeh.models import ColumnDataSource
from PIL import Image

from ...arithmetic.trace import Trace
from .palettes import bare_figure

#: The photo is shown at most this many pixels a side (input_view/fill.js does the same).
DISPLAY_SIDE = 256
#: What an image_rgba column holds before fill.js draws the picture: one packed pixel, of the right kind.
_RGBA_PLACEHOLDER = np.zeros((1, 1), np.uint32)


def rgba_image(pixels: np.ndarray) -> np.ndarray:
    """An (H, W, 3) uint8 picture as the packed uint32 RGBA image Bokeh's image_rgba draws, bottom row first."""
    height, width, _ = pixels.shape
    rgba = np.empty((height, width, 4), dtype=np.uint8)
    rgba[..., :3] = pixels
    rgba[..., 3] = 255
    return rgba.view(np.uint32).reshape(height, width)[::-1]


def display_copy(photo: np.ndarray, longest: int = DISPLAY_SIDE) -> np.ndarray:
    """The photo shrunk (Pillow bilinear) so its longer side is at most ``longest``: pages stay light."""
    height, width = photo.shape[:2]
    scale = min(1.0, longest / max(height, width))
    if scale == 1.0:
        return photo
    # Rounded half up, as JavaScript's Math.round in input_view/fill.js rounds.
    size = (max(1, math.floor(width * scale + 0.5)), max(1, math.floor(height * scale + 0.5)))
    return np.asarray(Image.fromarray(photo).resize(size, Image.Resampling.BILINEAR))


def canvas(title: str, height: int, width: int, size: int, name: str):
    """A plot whose drawing area is ``size`` pixels wide and as high as a ``width`` x ``height`` picture.

    The frame is sized, not the whole plot, so the title does not squash the picture:
    one data unit is as many pixels across as up.
    """
    return bare_figure(
        title=title,
        frame_width=size,
        frame_height=max(1, round(size * height / width)),
        x_range=(0, width),
        y_range=(0, height),
        toolbar_location=None,
        name=name,
    )


def _picture(title: str, source: ColumnDataSource, height: int, width: int, size: int, name: str):
    plot = canvas(title, height, width, size, name)
    plot.image_rgba(image="image", x=0, y=0, dw=width, dh=height, source=source)
    return plot


def picture_pair(trace: Trace, size: int = 190, prefix: str = "input"):
    """The photo as given and as the network reads it, side by side, and the refill args for both.

    A skeleton: both images are 1x1 placeholders and the photo's title names no size yet;
    ``input_view/fill.js`` draws them from the view's picture (:func:`~.refill.picture_source`
    made with ``original=``), for the first frame as after a new picture. Only the network's
    input shape is read from ``trace``. Used by the input view and by the picture changer's preview.
    """
    height, width = trace.image.shape[:2]
    # The photo sits centred in a square of side max(h, w) (fill.js sets it), so any aspect ratio fits.
    photo = canvas("your photo", 1, 1, size, f"{prefix}_photo_plot")
    photo_source = ColumnDataSource(
        {"image": [_RGBA_PLACEHOLDER.copy()], "x": [0.0], "y": [0.0], "dw": [0.0], "dh": [0.0]},
        name=f"{prefix}_photo",
    )
    photo.image_rgba(image="image", x="x", y="y", dw="dw", dh="dh", source=photo_source)
    photo.outline_line_color = None
    fitted_source = ColumnDataSource({"image": [_RGBA_PLACEHOLDER.copy()]}, name=f"{prefix}_fitted")
    fitted = _picture(f"model input ({width}×{height})", fitted_source, height, width, size, f"{prefix}_fitted_plot")
    if size < 160:  # small previews: keep both titles inside their plots
        photo.title.text_font_size = fitted.title.text_font_size = "10px"
    args = dict(photo=photo_source, fitted=fitted_source, photo_x=photo.x_range, photo_y=photo.y_range,
                photo_plot=photo)
    return row(photo, fitted), args
