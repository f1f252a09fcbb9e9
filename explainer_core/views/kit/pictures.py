"""The photo and the network's input side by side: shared by the input view and the picture changer."""

from __future__ import annotations

import math

import numpy as np
from bokeh.layouts import row
from bokeh.models import ColumnDataSource
from PIL import Image

from ...arithmetic.trace import Trace
from .palettes import bare_figure

#: The photo is shown at most this many pixels a side (the browser refill does the same).
DISPLAY_SIDE = 256


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
    # Rounded half up, as JavaScript's Math.round in js/refill_input.js rounds.
    size = (max(1, math.floor(width * scale + 0.5)), max(1, math.floor(height * scale + 0.5)))
    return np.asarray(Image.fromarray(photo).resize(size, Image.Resampling.BILINEAR))


def input_data(trace: Trace, original: np.ndarray) -> dict[str, dict]:
    """The data of every source in the view: the picture, the model input, one map per channel.

    Heatmaps are stored bottom row first (Bokeh's image origin is the lower left),
    so ``data["channel_<i>"]["image"][0][::-1]`` is channel ``i`` of ``trace.image``.
    """
    image = trace.image
    model_pixels = np.clip(np.rint(image[..., :3] * 255), 0, 255).astype(np.uint8)
    photo = display_copy(np.asarray(original, dtype=np.uint8)[..., :3])
    photo_h, photo_w = photo.shape[:2]
    side = max(photo_h, photo_w)
    data = {
        # The photo sits centred in a square of side max(h, w), so any aspect ratio fits one plot.
        "photo": {
            "image": [rgba_image(photo)],
            "x": [(side - photo_w) / 2],
            "y": [(side - photo_h) / 2],
            "dw": [photo_w],
            "dh": [photo_h],
        },
        "model_input": {"image": [rgba_image(model_pixels)]},
    }
    for channel in range(image.shape[2]):
        data[f"channel_{channel}"] = {"image": [np.ascontiguousarray(image[::-1, :, channel])]}
    return data


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


def picture_pair(trace: Trace, original: np.ndarray, size: int = 190, prefix: str = "input"):
    """The photo as given and as the network reads it, side by side, and the refill args for both.

    Used by the input view and by the picture changer's preview.
    """
    data = input_data(trace, original)
    height, width, _ = trace.image.shape
    photo_h, photo_w = np.asarray(original).shape[:2]
    # The square the (display-sized) photo is centred in: its longer side fills the frame.
    side = max(data["photo"]["dw"][0], data["photo"]["dh"][0])
    photo = canvas(f"your photo ({photo_w}×{photo_h})", side, side, size, f"{prefix}_photo_plot")
    photo_source = ColumnDataSource(data["photo"], name=f"{prefix}_photo")
    photo.image_rgba(image="image", x="x", y="y", dw="dw", dh="dh", source=photo_source)
    photo.outline_line_color = None
    fitted_source = ColumnDataSource(data["model_input"], name=f"{prefix}_fitted")
    fitted = _picture(f"model input ({width}×{height})", fitted_source, height, width, size, f"{prefix}_fitted_plot")
    if size < 160:  # small previews: keep both titles inside their plots
        photo.title.text_font_size = fitted.title.text_font_size = "10px"
    args = dict(
        photo=photo_source, fitted=fitted_source, photo_x=photo.x_range, photo_y=photo.y_range, photo_plot=photo
    )
    return row(photo, fitted), args
