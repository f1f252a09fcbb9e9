"""The convolutional elastic view shows Keras's own numbers, for Tiny VGG and another CNN.

The reference is always Keras: every layer's output from
``keras.Model(model.inputs, [layer.output for layer in model.layers])``, the kernels
and biases from ``layer.get_weights()``, and each intermediate result from
TensorFlow convolving one input channel with one kernel slice.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from bokeh.embed import components
from bokeh.models import ColumnDataSource, Div, Select, Slider, Toggle

from explainer_core.arithmetic.network import Network
from explainer_core.arithmetic.trace import trace
from explainer_core.errors import TraceError
from explainer_core.views.conv_view import ELASTIC_BUDGET, conv_elastic_data, conv_elastic_view
from explainer_core.views.kit import conv_step, fmt, js_source
from tests.keras_reference import ATOL, KerasReference, fitted


def conv_names(t) -> list[str]:
    return [s.name for s in t.network.layers if s.kind == "conv"]


def assert_elastic_matches_keras(t, ref: KerasReference, layer: str, neuron: int) -> None:
    spec = conv_step(t, layer)
    data = conv_elastic_data(t, layer, neuron)
    kernel, bias, linear = ref.conv_parts(spec.keras_name)
    x = ref.input_of(spec.keras_name)
    channels = x.shape[-1]
    # input channels
    assert len(data["inputs"]["image"]) == channels
    for c in range(channels):
        np.testing.assert_allclose(data["inputs"]["image"][c], x[:, :, c], atol=ATOL, rtol=0)
    # kernel slices (row-major per channel), then the bias
    kh, kw = kernel.shape[:2]
    weights = data["kernel"]["value"]
    assert len(weights) == channels * kh * kw + 1
    for c in range(channels):
        np.testing.assert_allclose(
            weights[c * kh * kw : (c + 1) * kh * kw], kernel[:, :, c, neuron].ravel(), atol=ATOL, rtol=0
        )
    assert data["kernel"]["role"][-1] == "bias"
    assert weights[-1] == pytest.approx(float(bias[neuron]), abs=ATOL)
    # intermediate results: one per channel, each TensorFlow's single-channel convolution
    images = data["maps"]["image"]
    assert data["maps"]["role"] == ["intermediate"] * channels + ["output"]
    for c in range(channels):
        np.testing.assert_allclose(images[c], ref.single_channel(spec.keras_name, c, neuron), atol=ATOL, rtol=0)
    # the output map is Keras's, and the intermediate results plus the bias add up to it
    np.testing.assert_allclose(images[-1], linear[:, :, neuron], atol=ATOL, rtol=0)
    summed = np.sum([images[c].astype(np.float64) for c in range(channels)], axis=0) + weights[-1]
    np.testing.assert_allclose(summed, linear[:, :, neuron], atol=ATOL, rtol=0)


# -- the numbers -------------------------------------------------------------------
@pytest.mark.parametrize("layer", ["conv_1_1", "conv_1_2", "conv_2_1", "conv_2_2"])
def test_elastic_view_data_is_keras_on_the_default_picture(keras_shipped, layer):
    t, ref = keras_shipped
    for neuron in (0, t.network.layer(layer).neurons - 1):
        assert_elastic_matches_keras(t, ref, layer, neuron)


def test_elastic_view_data_is_keras_for_every_test_cnn(keras_traced):
    t, ref = keras_traced
    for layer in conv_names(t):
        assert_elastic_matches_keras(t, ref, layer, conv_step(t, layer).neurons // 2)


def test_the_view_holds_the_data(keras_shipped):
    t, _ = keras_shipped
    layout = conv_elastic_view(t, "conv_1_1", 2)
    data = conv_elastic_data(t, "conv_1_1", 2)
    for source_name in ("inputs", "maps", "kernel"):
        source = layout.select_one({"name": f"elastic-conv_1_1:{source_name}", "type": ColumnDataSource})
        for column, values in data[source_name].items():
            if column == "image":
                for ours, theirs in zip(source.data[column], values, strict=True):
                    np.testing.assert_array_equal(ours, theirs)
            else:
                assert list(source.data[column]) == list(values), (source_name, column)


def test_every_neuron_is_embedded_when_it_fits(keras_shipped):
    t, ref = keras_shipped
    layout = conv_elastic_view(t, "conv_1_1", 0)
    select = layout.select_one({"name": "elastic-conv_1_1:neuron"})
    assert isinstance(select, Select) and [v for v, _ in select.options] == [str(n) for n in range(10)]
    bank = layout.select_one({"name": "elastic-conv_1_1:bank_maps"})
    kernels = layout.select_one({"name": "elastic-conv_1_1:bank_kernel"})
    for n in range(10):  # what the menu swaps in is Keras's output of that neuron
        _, bias, linear = ref.conv_parts("conv_1_1")
        np.testing.assert_allclose(bank.data[f"n{n}"][-1], linear[:, :, n], atol=ATOL, rtol=0)
        assert kernels.data[f"n{n}"][-1] == pytest.approx(float(bias[n]), abs=ATOL)
    # conv_1_2 (ten 62×62 inputs, ten 60×60 intermediate results per neuron) is over budget: one neuron only
    wide = conv_elastic_view(t, "conv_1_2", 3)
    assert wide.select_one({"name": "elastic-conv_1_2:neuron"}) is None
    assert 10 * (10 * 60 * 60 + 60 * 60) > ELASTIC_BUDGET


def test_page_weight_of_the_chapter_views(keras_shipped):
    """The embedded JSON stays small enough for a chapter page under 2 MB."""
    t, _ = keras_shipped
    sizes = {layer: sum(map(len, components(conv_elastic_view(t, layer)))) for layer in conv_names(t)}
    assert sizes["conv_1_1"] < 1_000_000  # every neuron of the first layer
    assert all(size < 1_000_000 for size in sizes.values()), sizes


def test_controls_and_initial_readout(keras_shipped):
    t, _ = keras_shipped
    layout = conv_elastic_view(t, "conv_2_1", 4, key="k")
    slider = layout.select_one({"name": "k:position", "type": Slider})
    toggle = layout.select_one({"name": "k:play", "type": Toggle})
    assert slider.start == 0 and slider.end == 28 * 28 - 1 and slider.value == slider.end
    assert not toggle.active
    readout = layout.select_one({"name": "k:readout", "type": Div}).text
    parts = t.intermediates["conv_2_1"][4, :, 27, 27]
    assert "(row 27, column 27)" in readout
    for value in [*parts, t.network.layer("conv_2_1").bias[4], t.outputs["conv_2_1"][27, 27, 4]]:
        assert fmt(value) in readout
    # the callbacks are the package's .js files, not strings in Python
    codes = {cb.code for cb in slider.js_property_callbacks["change:value"]}
    assert js_source("conv_view/position") in codes


# -- other networks ----------------------------------------------------------------
def test_views_build_for_every_conv_layer_of_every_test_cnn(keras_traced):
    t, _ = keras_traced
    for layer in conv_names(t):
        spec = conv_step(t, layer)
        layout = conv_elastic_view(t, layer, spec.neurons - 1, key=f"x-{layer}")
        json.dumps(components(layout)[0])  # serialises
        maps = layout.select_one({"name": f"x-{layer}:maps"})
        assert maps.data["image"][-1].shape == spec.output_shape[:2]


def test_a_fused_conv_relu_is_found_by_its_keras_name(cnn_model, coffee_uint8):
    network = Network.from_keras(cnn_model)
    t = trace(network, fitted(coffee_uint8, network.input_shape))
    for spec in network.layers:
        if spec.kind == "conv" and spec.name != spec.keras_name:
            assert conv_step(t, spec.keras_name) is spec


# -- mistakes ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("layer", "neuron", "message"),
    [
        ("relu_1_1", 0, "'relu_1_1' is a relu layer, not a convolutional layer; the convolutional layers are conv_1_1"),
        ("max_pool_1", 0, "not a convolutional layer"),
        ("conv_9", 0, "no layer called 'conv_9'"),
        (3, 0, "must be given by its name"),
        ("conv_1_1", 10, "Neuron 10 is out of range: 'conv_1_1' has 10 neurons (0 to 9)"),
        ("conv_1_1", -1, "Neuron -1 is out of range"),
        ("conv_1_1", 1.5, "The neuron must be a whole number"),
        ("conv_1_1", True, "The neuron must be a whole number"),
    ],
)
def test_bad_requests_are_refused_clearly(keras_shipped, layer, neuron, message):
    t, _ = keras_shipped
    with pytest.raises(TraceError, match=message.replace("(", r"\(").replace(")", r"\)")):
        conv_elastic_view(t, layer, neuron)
    with pytest.raises(TraceError):
        conv_elastic_data(t, layer, neuron)


def test_only_a_trace_is_accepted():
    with pytest.raises(TraceError, match="Expected a Trace"):
        conv_elastic_view(np.zeros((64, 64, 3)))


def test_numbers_are_written_like_javascript_writes_them():
    # JavaScript's toFixed(3) rounds half away from zero; Python's format would round half to even
    assert fmt(0.0625) == "0.063"
    assert fmt(-0.0625) == "\u22120.063"
    assert fmt(-0.0001) == "0.000"
    assert fmt(np.float32(1.5)) == "1.500"
    assert fmt(-2.25) == "\u22122.250"
