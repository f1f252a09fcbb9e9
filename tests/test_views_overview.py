"""The overview shows the trace's true numbers, for any sequential CNN."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from explainer_core.arithmetic.network import Network
from explainer_core.arithmetic.scales import MODES, color_ranges
from explainer_core.arithmetic.trace import trace
from explainer_core.page.examples import default_example
from explainer_core.views.overview import overview, overview_data, overview_layers


@pytest.fixture(scope="module")
def overview_traced(cnn_model):
    network = Network.from_keras(cnn_model)
    image = default_example(network.input_shape[:2]).image
    if network.input_shape[2] != image.shape[2]:
        image = np.random.default_rng(0).random(network.input_shape, dtype=np.float32)
    return cnn_model, trace(network, image)


def test_every_heatmap_is_the_keras_layer_output(overview_traced):
    model, t = overview_traced
    outputs = keras.Model(model.inputs, [layer.output for layer in model.layers])(t.image[None])
    by_name = {layer.name: np.asarray(out)[0] for layer, out in zip(model.layers, outputs, strict=True)}
    data = overview_data(t)
    for c, channel in enumerate(data["input"]["image"]):
        np.testing.assert_array_equal(channel, t.image[..., c])
    checked = 0
    for name in overview_layers(t):
        maps = data[f"layer:{name}"]["image"]
        assert len(maps) == t.outputs[name].shape[2]
        if name in by_name:  # a fused activation's linear half has no Keras output of its own
            np.testing.assert_allclose(np.stack(maps, axis=-1), by_name[name], atol=1e-5)
            checked += 1
    assert checked >= 2
    np.testing.assert_allclose(data["output"]["probability"], np.asarray(model(t.image[None]))[0], atol=1e-5)
    assert data["output"]["weight"][int(np.argmax(data["output"]["probability"]))] == "bold"


def test_tooltips_and_ranges_come_from_the_trace(overview_traced):
    _, t = overview_traced
    data = overview_data(t)
    neurons = data["neurons"]
    for i, layer in enumerate(neurons["layer"]):
        if layer in ("input", "output"):
            continue
        values = t.outputs[layer][..., neurons["neuron"][i]]
        assert neurons["low"][i] == pytest.approx(float(values.min()))
        assert neurons["high"][i] == pytest.approx(float(values.max()))
    for mode in MODES:
        expected = color_ranges(t, mode)
        assert data["ranges"][mode] == [expected[name][1] for name in data["ranges"]["name"]]


def test_one_to_one_edges_only_for_relu_and_pooling(overview_traced):
    _, t = overview_traced
    neurons = overview_data(t)["neurons"]
    for kind, one in zip(neurons["kind"], neurons["one_to_one"], strict=True):
        assert one == (kind in ("relu", "maxpool"))


def test_layout_builds_with_named_controls(overview_traced):
    _, t = overview_traced
    names = {model.name for model in overview(t).references() if model.name}
    assert {"overview_plot", "overview_range_mode", "overview_details", "overview_neurons",
            "explainer-refill"} <= names
