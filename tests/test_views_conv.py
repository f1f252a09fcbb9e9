"""The convolutional elastic view shows Keras's own numbers, for Tiny VGG and another CNN.

The picture's numbers are written in the browser only (conv_view/fill.js); here the view's
skeleton is checked, and the Python reference of what the page must show
(tests/view_oracles/conv_view.py, which tests/test_browser_refill_conv.py compares the page with)
is checked against Keras. The reference is always Keras: every layer's output from
``keras.Model(model.inputs, [layer.output for layer in model.layers])``, the kernels
and biases from ``layer.get_weights()``, and each intermediate result from
TensorFlow convolving one input channel with one kernel slice.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from bokeh.embed import components
from bokeh.models import (
    ColumnDataSource,
    Div,
    GlyphRenderer,
    Image,
    ImageRGBA,
    LinearColorMapper,
    Select,
    Slider,
    Toggle,
)

from explainer_core.arithmetic.network import Network
from explainer_core.arithmetic.trace import trace
from explainer_core.errors import TraceError
from explainer_core.views.conv_view import conv_elastic_view
from explainer_core.views.kit import conv_step, fmt, js_source
from tests.keras_reference import ATOL, KerasReference, fitted
from tests.view_oracles.conv_view import conv_elastic_data, readout_html


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


def assert_skeleton(layout, t, layer: str, neuron: int, key: str) -> None:
    """The view's sources hold the oracle's columns, except the picture's maps: 1×1 placeholders for fill.js."""
    data = conv_elastic_data(t, layer, neuron)
    for source_name in ("inputs", "maps", "kernel", "edges", "labels"):
        source = layout.select_one({"name": f"{key}:{source_name}", "type": ColumnDataSource})
        drawn = {"rgba"} if source_name in ("inputs", "maps") else set()  # the maps' colours: fill.js
        assert set(source.data) == set(data[source_name]) | drawn, source_name
        for placeholder in source.data.get("rgba", []):
            assert placeholder.shape == (1, 1) and placeholder.dtype == np.uint32
        for column, values in data[source_name].items():
            if column == "image":
                assert len(source.data[column]) == len(values) == len(source.data["rgba"]), source_name
                for placeholder in source.data[column]:
                    assert placeholder.shape == (1, 1) and placeholder.dtype == np.float32
            else:
                assert list(source.data[column]) == list(values), (source_name, column)


def test_the_view_holds_the_skeleton_and_no_picture_numbers(keras_shipped):
    t, _ = keras_shipped
    layout = conv_elastic_view(t, "conv_1_1", 2)
    assert_skeleton(layout, t, "conv_1_1", 2, "elastic-conv_1_1")
    readout = layout.select_one({"name": "elastic-conv_1_1:readout", "type": Div})
    assert readout.text == ""  # position.js writes it, with the numbers fill.js puts in the maps
    drawing = [r for r in layout.select({"type": GlyphRenderer}) if isinstance(r.glyph, ImageRGBA)]
    assert [r.glyph.image for r in drawing] == ["rgba", "rgba"]  # fill.js colours the maps
    assert not any(isinstance(r.glyph, Image) for r in layout.select({"type": GlyphRenderer}))
    mappers = [m for r in drawing for m in r.tags]
    assert len(mappers) == 4 and all(isinstance(m, LinearColorMapper) for m in mappers)  # red, green, blue; maps
    for mapper in mappers:
        assert (mapper.low, mapper.high) == (0.0, 1.0)  # fill.js sets the picture's ranges


def test_every_layer_has_the_neuron_menu_with_the_networks_kernels(keras_shipped):
    t, ref = keras_shipped
    for layer in ("conv_1_1", "conv_1_2"):  # the menu costs no page weight now: the browser draws the maps
        layout = conv_elastic_view(t, layer, 0)
        select = layout.select_one({"name": f"elastic-{layer}:neuron"})
        assert isinstance(select, Select) and [v for v, _ in select.options] == [str(n) for n in range(10)]
        assert layout.select_one({"name": f"elastic-{layer}:bank_maps"}) is None
        kernels = layout.select_one({"name": f"elastic-{layer}:bank_kernel"})
        kernel, bias, _ = ref.conv_parts(layer)
        for n in range(10):  # what the menu swaps in is Keras's kernel and bias of that neuron
            np.testing.assert_allclose(
                kernels.data[f"n{n}"][:-1], kernel[:, :, :, n].transpose(2, 0, 1).ravel(), atol=ATOL, rtol=0
            )
            assert kernels.data[f"n{n}"][-1] == pytest.approx(float(bias[n]), abs=ATOL)
            assert kernels.data[f"n{n}"] == conv_elastic_data(t, layer, n)["kernel"]["value"]
    one = conv_elastic_view(t, "conv_1_2", 3, all_neurons=False)
    assert one.select_one({"name": "elastic-conv_1_2:neuron"}) is None


def test_page_weight_of_the_chapter_views(keras_shipped):
    """Without the picture's numbers each view is a small skeleton."""
    t, _ = keras_shipped
    sizes = {layer: sum(map(len, components(conv_elastic_view(t, layer)))) for layer in conv_names(t)}
    assert all(size < 150_000 for size in sizes.values()), sizes


def test_controls(keras_shipped):
    t, _ = keras_shipped
    layout = conv_elastic_view(t, "conv_2_1", 4, key="k")
    slider = layout.select_one({"name": "k:position", "type": Slider})
    toggle = layout.select_one({"name": "k:play", "type": Toggle})
    assert slider.start == 0 and slider.end == 28 * 28 - 1 and slider.value == slider.end
    assert not toggle.active
    # the callbacks are the package's .js files, not strings in Python
    codes = {cb.code for cb in slider.js_property_callbacks["change:value"]}
    assert js_source("conv_view/position") in codes
    fills = [tag for tag in layout.tags if getattr(tag, "name", None) == "explainer-refill"]
    assert [f.code for f in fills] == [js_source("conv_view/fill")]
    picture = fills[0].args["view_picture"]  # the view's own picture: page.js draws the first frame from it
    assert list(picture.data["shape"][0]) == list(t.image.shape)


def test_the_oracles_readout_adds_up_the_traces_numbers(keras_shipped):
    t, _ = keras_shipped
    spec = t.network.layer("conv_2_1")
    readout = readout_html(conv_elastic_data(t, "conv_2_1", 4), spec, 28 * 28 - 1, 4)
    parts = t.intermediates["conv_2_1"][4, :, 27, 27]
    assert "(row 27, column 27)" in readout
    for value in [*parts, spec.bias[4], t.outputs["conv_2_1"][27, 27, 4]]:
        assert fmt(value) in readout


# -- other networks ----------------------------------------------------------------
def test_views_build_for_every_conv_layer_of_every_test_cnn(keras_traced):
    t, _ = keras_traced
    for layer in conv_names(t):
        spec = conv_step(t, layer)
        layout = conv_elastic_view(t, layer, spec.neurons - 1, key=f"x-{layer}")
        json.dumps(components(layout)[0])  # serialises
        assert_skeleton(layout, t, layer, spec.neurons - 1, f"x-{layer}")
        assert conv_elastic_data(t, layer, spec.neurons - 1)["maps"]["image"][-1].shape == spec.output_shape[:2]


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
