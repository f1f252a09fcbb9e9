"""The overview shows the trace's true numbers, for any sequential CNN.

The numbers are computed only in the browser (views/overview/fill.js); here the Python oracle
(tests/view_oracles/overview.py), which the browser tests compare the page with, is checked
against Keras, and the view's skeleton against the oracle's positions and names."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from explainer_core.arithmetic.network import Network
from explainer_core.arithmetic.scales import MODES, color_ranges
from explainer_core.arithmetic.trace import trace
from explainer_core.page.examples import default_example
from explainer_core.views.overview import overview, overview_layers
from tests.view_oracles.overview import overview_data


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


def _sources(layout) -> dict[str, dict]:
    return {m.name: m.data for m in layout.references() if m.name and hasattr(m, "data") and hasattr(m, "selected")}


def test_one_to_one_edges_only_for_relu_and_pooling(overview_traced):
    _, t = overview_traced
    neurons = _sources(overview(t))["overview_neurons"]
    for kind, one in zip(neurons["kind"], neurons["one_to_one"], strict=True):
        assert one == (kind in ("relu", "maxpool"))


def test_the_skeleton_has_the_oracles_places_and_no_picture_numbers(overview_traced):
    _, t = overview_traced
    sources = _sources(overview(t))
    expected = overview_data(t)
    for key in ("x", "y", "layer", "kind", "neuron", "column", "one_to_one"):
        assert sources["overview_neurons"][key] == expected["neurons"][key], key
    maps = [n for n, k in zip(expected["neurons"]["shape"], expected["neurons"]["kind"], strict=True) if k != "output"]
    assert [s for s in sources["overview_neurons"]["shape"] if s] == maps
    for key in ("label", "x", "y"):
        assert sources["overview_output"][key] == expected["output"][key], key
    assert sources["overview_ranges"]["name"] == expected["ranges"]["name"]
    for name in ["input", *(f"layer:{layer}" for layer in overview_layers(t))]:
        source = sources["overview_input" if name == "input" else f"overview_{name}"]
        for key in ("x", "y", "dw", "dh", "neuron"):
            assert source[key] == expected[name][key], (name, key)
        # placeholders only: fill.js draws the maps, for the first frame too
        assert all(np.shape(image) == (1, 1) for image in source["image"])
        assert len(source["image"]) == len(expected[name]["image"])
    for column in ("logit", "probability"):
        assert set(sources["overview_output"][column]) == {0.0}
    assert set(sources["overview_neurons"]["high"]) == {0.0}


def test_layout_builds_with_named_controls(overview_traced):
    _, t = overview_traced
    names = {model.name for model in overview(t).references() if model.name}
    assert {"overview_plot", "overview_range_mode", "overview_details", "overview_neurons",
            "explainer-refill", "explainer-picture"} <= names
