"""The convolution, ReLU and max pooling formula views show Keras's numbers, window by window.

The picture's numbers are written in the browser only (formula_views/fill.js and position.js);
here the views' skeleton is checked, and the Python reference of what the page must show
(tests/view_oracles/formula_views.py, which tests/test_browser_refill_conv.py compares the page
with) is checked against Keras.
"""

from __future__ import annotations

import re
from html import unescape

import numpy as np
import pytest
from bokeh.embed import components
from bokeh.models import ColumnDataSource, Div, Slider

from explainer_core.arithmetic.formulas import explain_conv, explain_maxpool, explain_relu
from explainer_core.arithmetic.network import Network
from explainer_core.arithmetic.trace import trace
from explainer_core.errors import TraceError
from explainer_core.views.formula_views import conv_formula_view, maxpool_formula_view, relu_formula_view
from explainer_core.views.kit import fmt, js_source
from tests.keras_reference import ATOL, fitted
from tests.view_oracles.formula_views import conv_formula_data, formula, maxpool_formula_data, relu_formula_data

MINUS = "\u2212"


def steps(t, kind):
    return [s for s in t.network.layers if s.kind == kind and len(s.output_shape) == 3]


def spans(html: str, cls: str) -> list[str]:
    """The texts of the spans whose class list contains ``cls``, in order."""
    found = re.findall(r"<span class='([^']*)'>([^<]*)</span>", html)
    return [unescape(text) for classes, text in found if cls in classes.split()]


def number(text: str) -> float:
    return float(text.replace(MINUS, "-"))


# -- the numbers are Keras's ---------------------------------------------------------
@pytest.mark.parametrize("layer", ["conv_1_1", "conv_2_2"])
def test_conv_formula_data_is_keras(keras_shipped, layer):
    t, ref = keras_shipped
    neuron = 3
    kernel, bias, linear = ref.conv_parts(layer)
    for channel in (0, kernel.shape[2] - 1):
        data = conv_formula_data(t, layer, neuron, channel)
        np.testing.assert_allclose(data["input"]["image"][0], ref.input_of(layer)[:, :, channel], atol=ATOL, rtol=0)
        np.testing.assert_allclose(
            data["output"]["image"][0], ref.single_channel(layer, channel, neuron), atol=ATOL, rtol=0
        )
        np.testing.assert_allclose(
            data["kernel"]["value"][:-1], kernel[:, :, channel, neuron].ravel(), atol=ATOL, rtol=0
        )
        assert data["kernel"]["value"][-1] == pytest.approx(float(bias[neuron]), abs=ATOL)
        sums = data["sums"]["image"]
        np.testing.assert_allclose(sums[-1], linear[:, :, neuron], atol=ATOL, rtol=0)
        np.testing.assert_allclose(
            np.sum(np.asarray(sums[:-1], np.float64), axis=0) + bias[neuron], linear[:, :, neuron], atol=ATOL, rtol=0
        )


def test_relu_and_maxpool_data_are_keras(keras_shipped):
    t, ref = keras_shipped
    for spec in steps(t, "relu"):
        data = relu_formula_data(t, spec.name, 7)
        np.testing.assert_allclose(data["input"]["image"][0], ref.input_of(spec.name)[:, :, 7], atol=ATOL, rtol=0)
        np.testing.assert_allclose(data["output"]["image"][0], ref.outputs[spec.name][:, :, 7], atol=ATOL, rtol=0)
    for spec in steps(t, "maxpool"):
        data = maxpool_formula_data(t, spec.name, 2)
        np.testing.assert_allclose(data["input"]["image"][0], ref.input_of(spec.name)[:, :, 2], atol=ATOL, rtol=0)
        np.testing.assert_allclose(data["output"]["image"][0], ref.outputs[spec.name][:, :, 2], atol=ATOL, rtol=0)


def assert_skeleton(layout, key: str, data: dict) -> None:
    """The sources hold the oracle's columns, the picture's maps as 1×1 placeholders for fill.js;
    the formula, the window outlines and the zoom's picture cells are empty until position.js runs."""
    for name, columns in data.items():
        source = layout.select_one({"name": f"{key}:{name}", "type": ColumnDataSource})
        drawn = {"rgba"} if name in ("input", "output") else set()  # the heatmaps' colours: fill.js
        assert set(source.data) == set(columns) | drawn, name
        for placeholder in source.data.get("rgba", []):
            assert placeholder.shape == (1, 1) and placeholder.dtype == np.uint32
        for column, values in columns.items():
            if column == "image":
                assert len(source.data[column]) == len(values), name
                for placeholder in source.data[column]:
                    assert placeholder.shape == (1, 1) and placeholder.dtype == np.float32
            else:
                assert list(source.data[column]) == list(values), (name, column)
    assert layout.select_one({"name": f"{key}:formula", "type": Div}).text == ""
    for name in ("window-in", "window-out", "zoom-marks"):
        assert all(len(v) == 0 for v in layout.select_one({"name": f"{key}:{name}"}).data.values()), name
    cells = layout.select_one({"name": f"{key}:zoom-cells"}).data
    for k, role in enumerate(cells["role"]):
        if role != "kernel":
            assert np.isnan(cells["value"][k]) and cells["text"][k] == "", (role, k)
    fills = [tag for tag in layout.tags if getattr(tag, "name", None) == "explainer-refill"]
    assert [f.code for f in fills] == [js_source("formula_views/fill")]
    assert "view_picture" in fills[0].args  # page.js draws the first frame from the view's own picture


def test_the_views_hold_the_skeleton_and_no_picture_numbers(keras_shipped):
    t, _ = keras_shipped
    assert_skeleton(conv_formula_view(t, "conv_1_2", 1, 4, key="k"), "k", conv_formula_data(t, "conv_1_2", 1, 4))
    assert_skeleton(relu_formula_view(t, "relu_1_2", 3, key="r"), "r", relu_formula_data(t, "relu_1_2", 3))
    assert_skeleton(maxpool_formula_view(t, "max_pool_2", 5, key="m"), "m", maxpool_formula_data(t, "max_pool_2", 5))


# -- the formula shows the window's numbers ---------------------------------------
@pytest.mark.parametrize("position", [0, 61, 62 * 30 + 17, 62 * 62 - 1])
def test_conv_formula_shows_the_window(keras_shipped, position):
    t, ref = keras_shipped
    neuron, channel = 5, 1
    html = formula(t, "conv", "conv_1_1", neuron, position, channel).html
    row, col = divmod(position, 62)
    e = explain_conv(t, "conv_1_1", neuron, row, col)
    assert f"(row {row}, column {col})" in html
    assert spans(html, "xv-x") == [fmt(v) for v in e.window[channel].ravel()]
    assert spans(html, "xv-w") == [fmt(v) for v in e.kernel[channel].ravel()]
    # the window's numbers are Keras's input, the weights Keras's kernel
    np.testing.assert_allclose(
        [number(v) for v in spans(html, "xv-x")],
        ref.input_of("conv_1_1")[row : row + 3, col : col + 3, channel].ravel(),
        atol=5e-4,
    )
    intermediate, output = spans(html, "xv-result")
    assert intermediate == fmt(e.intermediate[channel])
    assert output == fmt(e.value) == fmt(ref.outputs["conv_1_1"][row, col, neuron])
    assert spans(html, "xv-part") == [fmt(v) for v in e.intermediate]
    assert spans(html, "xv-hi") == [fmt(e.intermediate[channel])]
    assert spans(html, "xv-bias") == [fmt(e.bias)]


def test_relu_formula_shows_max_zero_x(keras_shipped):
    t, ref = keras_shipped
    x = t.input_of("relu_1_2")[:, :, 0]
    position = int(np.argmin(x))  # a negative number, so the formula shows it becoming zero
    html = formula(t, "relu", "relu_1_2", 0, position).html
    row, col = divmod(position, 60)
    e = explain_relu(t, "relu_1_2", 0, row, col)
    assert e.input < 0
    assert f"max(0, <span class='xv-num xv-x'>{fmt(e.input)}</span>) = " in html
    assert spans(html, "xv-result") == [fmt(e.output)] == ["0.000"]
    assert e.output == ref.outputs["relu_1_2"][row, col, 0]


def test_maxpool_formula_highlights_the_maximum(keras_shipped):
    t, ref = keras_shipped
    for position in (0, 77, 30 * 30 - 1):
        shown = formula(t, "maxpool", "max_pool_1", 4, position)
        html = shown.html
        row, col = divmod(position, 30)
        e = explain_maxpool(t, "max_pool_1", 4, row, col)
        assert spans(html, "xv-x") == [fmt(v) for v in e.window.ravel()]
        assert spans(html, "xv-hi") == [fmt(e.value)]
        assert spans(html, "xv-result") == [fmt(e.value)] == [fmt(ref.outputs["max_pool_1"][row, col, 4])]
        (role, i, j), *others = shown.marks  # one outlined cell in the zoom: the maximum
        assert not others and role == "window" and shown.cells["window"][i][j] == e.value


def test_zoom_cells_show_the_window(keras_shipped):
    t, _ = keras_shipped
    e = explain_conv(t, "conv_2_1", 0, 5, 6)
    shown = formula(t, "conv", "conv_2_1", 0, 28 * 5 + 6, channel=9)
    np.testing.assert_array_equal(shown.cells["window"], e.window[9])
    assert shown.cells["result"] == [[e.intermediate[9]]]
    # the kernel's weights are the network's: the view writes them in Python
    layout = conv_formula_view(t, "conv_2_1", 0, 9, position=28 * 5 + 6, key="k")
    cells = layout.select_one({"name": "k:zoom-cells"}).data
    weights = [v for v, role in zip(cells["value"], cells["role"], strict=True) if role == "kernel"]
    texts = [v for v, role in zip(cells["text"], cells["role"], strict=True) if role == "kernel"]
    np.testing.assert_array_equal(weights, e.kernel[9].ravel())
    assert texts == [fmt(v) for v in e.kernel[9].ravel()]


@pytest.mark.parametrize("position", [0, 60 * 7 + 9, 60 * 60 - 1])
def test_relu_zoom_shows_the_neighbourhood(keras_shipped, position):
    t, _ = keras_shipped
    shown = formula(t, "relu", "relu_1_2", 3, position)
    row, col = divmod(position, 60)
    top, left = min(max(row - 1, 0), 57), min(max(col - 1, 0), 57)  # the 3×3 block stays inside the map
    for role, side in (("near_in", "input"), ("near_out", "output")):
        assert len(shown.cells[role]) == 3 and all(len(line) == 3 for line in shown.cells[role])
        for i in range(3):
            for j in range(3):
                assert shown.cells[role][i][j] == getattr(explain_relu(t, "relu_1_2", 3, top + i, left + j), side)
    assert shown.marks == {("near_in", row - top, col - left), ("near_out", row - top, col - left)}


# -- other networks: padding, strides, fused activations ------------------------------
def test_views_build_and_show_padding_for_every_test_cnn(keras_traced):
    t, ref = keras_traced
    for spec in steps(t, "conv"):
        channels = spec.input_shape[-1]
        layout = conv_formula_view(t, spec.name, spec.neurons - 1, channels - 1, key=f"c-{spec.name}")
        components(layout)
        assert_skeleton(layout, f"c-{spec.name}", conv_formula_data(t, spec.name, spec.neurons - 1, channels - 1))
        html = formula(t, "conv", spec.name, spec.neurons - 1, 0, channels - 1).html
        e = explain_conv(t, spec.name, spec.neurons - 1, 0, 0)
        window = e.window[channels - 1].ravel()
        shown = spans(html, "xv-x")
        assert len(shown) == window.size
        for text, value, inside in zip(shown, window, _inside_mask(e, spec, channels).ravel(), strict=True):
            assert text == (fmt(value) if inside else "0")  # a padding cell shows the zero it adds
        assert spans(html, "xv-out") == [fmt(e.value)]
    for spec in steps(t, "relu"):
        layout = relu_formula_view(t, spec.name, 0, key=f"r-{spec.name}")
        components(layout)
        assert_skeleton(layout, f"r-{spec.name}", relu_formula_data(t, spec.name, 0))
    for spec in steps(t, "maxpool"):
        layout = maxpool_formula_view(t, spec.name, 0, key=f"m-{spec.name}")
        components(layout)
        assert_skeleton(layout, f"m-{spec.name}", maxpool_formula_data(t, spec.name, 0))
        html = formula(t, "maxpool", spec.name, 0, 0).html
        e = explain_maxpool(t, spec.name, 0, 0, 0)
        expected = [fmt(v) if np.isfinite(v) else f"{MINUS}\u221e" for v in e.window.ravel()]
        assert spans(html, "xv-x") == expected
        assert spans(html, "xv-result") == [fmt(e.value)] == [fmt(ref.outputs[spec.keras_name][0, 0, 0])]


def _inside_mask(e, spec, channels) -> np.ndarray:
    kh, kw = spec.window
    height, width = spec.input_shape[:2]
    rows = np.arange(kh)[:, None] + e.origin[0]
    cols = np.arange(kw)[None, :] + e.origin[1]
    return (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)


def test_the_player_covers_every_output_pixel(keras_shipped):
    t, _ = keras_shipped
    layout = maxpool_formula_view(t, "max_pool_2", 0, key="k")
    slider = layout.select_one({"name": "k:position", "type": Slider})
    assert (slider.start, slider.end, slider.value) == (0, 13 * 13 - 1, 0)


# -- mistakes ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("view", "args", "message"),
    [
        (relu_formula_view, ("conv_1_1", 0), "'conv_1_1' is a conv layer, not a ReLU layer of image maps"),
        (maxpool_formula_view, ("relu_1_1", 0), "; the max pooling layers of image maps are max_pool_1, "),
        (conv_formula_view, ("max_pool_2", 0, 0), "not a convolutional layer"),
        (conv_formula_view, ("conv_1_1", 0, 3), r"Channel 3 is out of range: 'conv_1_1' has 3 channels \(0 to 2\)"),
        (conv_formula_view, ("conv_1_2", 10, 0), "Neuron 10 is out of range"),
        (relu_formula_view, ("relu_2_2", -2), "Neuron -2 is out of range"),
        (maxpool_formula_view, ("max_pool_1", "0"), "must be a whole number"),
        (relu_formula_view, ("nothing", 0), "no layer called 'nothing'"),
    ],
)
def test_bad_requests_are_refused_clearly(keras_shipped, view, args, message):
    t, _ = keras_shipped
    with pytest.raises(TraceError, match=message):
        view(t, *args)


def test_a_position_outside_the_map_is_refused(keras_shipped):
    t, _ = keras_shipped
    with pytest.raises(TraceError, match="Position 900 is out of range"):
        maxpool_formula_view(t, "max_pool_1", 0, position=900)


def test_a_relu_on_a_vector_is_not_a_heatmap(cnn_model, coffee_uint8):
    network = Network.from_keras(cnn_model)
    vector_relus = [s.name for s in network.layers if s.kind == "relu" and len(s.output_shape) == 1]
    if not vector_relus:
        pytest.skip("this network has no ReLU after its flatten layer")
    t = trace(network, fitted(coffee_uint8, network.input_shape))
    with pytest.raises(TraceError, match="outputs a vector"):
        relu_formula_view(t, vector_relus[0], 0)
