"""The input view's pictures computed in Python: an independent Python reference of what the page
must show, used by the browser tests.

The product computes these numbers only in ``explainer_core/views/input_view/fill.js`` (for the
first frame too); Python builds the view's skeleton. ``input_data`` gives, for a trace and the
photo it was made from, the data of every source of the input view and of the picture changer's
preview: the photo's display copy centred in its square, the model's input, one map per channel.
"""

from __future__ import annotations

import numpy as np

from explainer_core.arithmetic.trace import Trace
from explainer_core.views.kit.pictures import display_copy, rgba_image

__all__ = ["input_data"]


def input_data(trace: Trace, original: np.ndarray) -> dict[str, dict]:
    """The data of every source in the view: the picture, the model input, one map per channel.

    Heatmaps are stored bottom row first (Bokeh's image origin is the lower left),
    so ``data["channel_<i>"]["image"][0][::-1]`` is channel ``i`` of ``trace.image``.
    ``data["photo"]["title"]`` is the photo plot's title.
    """
    image = trace.image
    model_pixels = np.clip(np.rint(image[..., :3] * 255), 0, 255).astype(np.uint8)
    given = np.asarray(original, dtype=np.uint8)[..., :3]
    photo = display_copy(given)
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
            "side": side,
            "title": f"your photo ({given.shape[1]}×{given.shape[0]})",
        },
        "model_input": {"image": [rgba_image(model_pixels)]},
    }
    for channel in range(image.shape[2]):
        data[f"channel_{channel}"] = {"image": [np.ascontiguousarray(image[::-1, :, channel])]}
    return data
