"""The input view shows the model's real input, channel by channel."""

from __future__ import annotations

import numpy as np
import pytest

from explainer_core.arithmetic.trace import trace
from explainer_core.data.preprocess import fit_rgb
from explainer_core.page.examples import default_example, shipped_network
from explainer_core.views.input_view import input_view
from explainer_core.views.kit.pictures import input_data


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
