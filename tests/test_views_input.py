"""The input view shows the model's real input, channel by channel.

Its pictures are computed only by ``views/input_view/fill.js``; the numbers are checked here on
the Python reference (tests/view_oracles/input_view.py), and the page against that reference in
tests/test_browser_picture_preview.py.
"""

from __future__ import annotations

import base64

import numpy as np
import pytest
from bokeh.models import ColumnDataSource, CustomJS

from explainer_core.arithmetic.trace import trace
from explainer_core.data.preprocess import fit_rgb
from explainer_core.page import protocol
from explainer_core.page.examples import default_example, shipped_network
from explainer_core.views.image_picker import GalleryImage, image_picker
from explainer_core.views.input_view import input_view
from explainer_core.views.kit.refill import picture_payload

from .view_oracles.input_view import input_data


def test_channels_are_the_traced_input_and_the_fitted_photo():
    example = default_example()
    t = trace(shipped_network(), example.image)
    data = input_data(t, example.original)
    for channel in range(3):
        np.testing.assert_array_equal(data[f"channel_{channel}"]["image"][0][::-1], t.image[..., channel])
    packed = data["model_input"]["image"][0][::-1]
    rgb = packed.view(np.uint8).reshape(*packed.shape, 4)[..., :3]
    np.testing.assert_array_equal(rgb, fit_rgb(example.original, t.image.shape[:2]))
    photo = data["photo"]["image"][0]
    assert max(photo.shape) == min(256, max(example.original.shape[:2]))
    aspect = example.original.shape[0] / example.original.shape[1]
    assert photo.shape[0] / photo.shape[1] == pytest.approx(aspect, rel=0.02)


def test_view_builds_for_a_one_channel_network(cnn_model):
    from explainer_core.arithmetic.network import Network

    network = Network.from_keras(cnn_model)
    image = np.random.default_rng(0).random(network.input_shape, dtype=np.float32)
    original = (image[..., :1].repeat(3, axis=2) * 255).astype(np.uint8)
    layout = input_view(trace(network, image), original)
    names = {model.name for model in layout.references() if model.name}
    assert {f"input_channel_{c}" for c in range(network.input_shape[2])} <= names


def _refill(layout) -> CustomJS:
    (callback,) = [tag for tag in layout.tags if getattr(tag, "name", None) == protocol.REFILL]
    return callback


def _placeholders_only(layout, prefix: str) -> None:
    """Every picture-dependent column holds a placeholder: fill.js computes the first frame."""
    sources = {m.name: m for m in layout.references() if isinstance(m, ColumnDataSource) and m.name}
    for name in (f"{prefix}_photo", f"{prefix}_fitted"):
        image = sources[name].data["image"][0]
        assert image.shape == (1, 1) and image.dtype == np.uint32 and not image.any(), name
    assert sources[f"{prefix}_photo"].data["dw"] == [0.0]
    plot = next(m for m in layout.references() if getattr(m, "name", None) == f"{prefix}_photo_plot")
    assert plot.title.text == "your photo"  # the size is the picture's: fill.js writes it


def _carries_its_picture(layout, t, original) -> None:
    """The fill gets the view's own picture (kit/refill.py picture_source with the photo)."""
    picture = _refill(layout).args["view_picture"]
    assert picture.name == protocol.PICTURE
    held = {key: np.frombuffer(base64.b64decode(value), np.uint8) if key in ("pixels", "photo") else value
            for key, value in picture_payload(picture).items()}
    np.testing.assert_array_equal(held["pixels"], fit_rgb(original, t.image.shape[:2]).reshape(-1))
    shown = input_data(t, original)["photo"]["image"][0][::-1].view(np.uint8)
    photo_h, photo_w = held["photo_shape"][:2]
    rgb = shown.reshape(photo_h, photo_w, 4)[..., :3]
    # a photo already the model's size is held once, as the pixels (an empty photo column)
    np.testing.assert_array_equal(held.get("photo", held["pixels"]), rgb.reshape(-1))
    assert held["original_size"] == [original.shape[1], original.shape[0]]


def test_the_input_view_is_a_skeleton_with_its_picture():
    example = default_example()
    t = trace(shipped_network(), example.image)
    layout = input_view(t, example.original)
    _placeholders_only(layout, "input")
    for channel in range(3):
        source = next(m for m in layout.references() if getattr(m, "name", None) == f"input_channel_{channel}")
        image = source.data["image"][0]
        assert image.shape == (1, 1) and image.dtype == np.float32 and not image.any()
    assert len(_refill(layout).args["channels"]) == 3
    _carries_its_picture(layout, t, example.original)


def test_the_pickers_preview_is_a_skeleton_with_its_picture():
    example = default_example()
    t = trace(shipped_network(), example.image)
    thumb = np.zeros((48, 48, 3), np.uint8)
    images = tuple(GalleryImage(label, b"", "image/jpeg", thumb) for label in ("koala", "pizza"))
    layout = image_picker(images=images, columns=2, preview=(t, example.original))
    _placeholders_only(layout, "preview")
    assert _refill(layout).args["channels"] == []
    _carries_its_picture(layout, t, example.original)
    status = next(m for m in layout.references() if getattr(m, "name", None) == protocol.STATUS)
    assert not any(ch.isdigit() for ch in status.text)  # no picture's number before the reader chooses
