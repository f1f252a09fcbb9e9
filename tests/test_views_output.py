"""The flatten elastic view and the softmax formula view show Keras's numbers.

The reference is Keras: every layer's output from
``keras.Model(model.inputs, [layer.output for layer in model.layers])``; the
logits, which Keras never returns on their own when the Dense layer has a fused
softmax, are Keras's flatten output times the Dense kernel plus its bias (from
``layer.get_weights()``). Nothing is assumed about Tiny VGG: the same checks run on
every CNN of the ``cnn_model`` fixture.
"""

from __future__ import annotations

import math
import re
from html import unescape

import keras
import numpy as np
import pytest
from bokeh.embed import components
from bokeh.models import ColumnDataSource, Div

from explainer_core.errors import TraceError
from explainer_core.views.flatten_view import TOP_UNITS, flatten_steps, flatten_view
from explainer_core.views.kit import VIEW_WIDTH, fmt, js_source
from explainer_core.views.softmax_view import softmax_view
from tests.keras_reference import ATOL, KerasReference
from tests.view_oracles.flatten_view import flatten_data, readout_html
from tests.view_oracles.softmax_view import sig, softmax_data

MINUS = "\u2212"


# -- what Keras says -------------------------------------------------------------------
def keras_flatten(ref: KerasReference) -> tuple[str, np.ndarray, np.ndarray]:
    """(name of the Flatten layer, what goes into it, what comes out of it)."""
    name = next(n for n in ref.order if isinstance(ref.layers[n], keras.layers.Flatten))
    return name, ref.input_of(name), ref.outputs[name]


def keras_dense_after_flatten(ref: KerasReference) -> tuple[keras.layers.Dense, np.ndarray]:
    """The Dense layer after Flatten and its pre-activation: Keras's flatten output @ kernel + bias."""
    name, _, flat = keras_flatten(ref)
    dense = ref.layers[ref.order[ref.order.index(name) + 1]]
    assert isinstance(dense, keras.layers.Dense)
    kernel, bias = dense.get_weights()
    return dense, flat.astype(np.float64) @ kernel.astype(np.float64) + bias


def keras_logits(ref: KerasReference) -> np.ndarray:
    """The last Dense layer's pre-activation, from its input in Keras and its weights."""
    name = [n for n in ref.order if isinstance(ref.layers[n], keras.layers.Dense)][-1]
    kernel, bias = ref.layers[name].get_weights()
    return ref.input_of(name).astype(np.float64) @ kernel.astype(np.float64) + bias


def keras_probabilities(ref: KerasReference) -> np.ndarray:
    return ref.outputs[ref.order[-1]]


def numbers(text: str) -> list[float]:
    """The numbers written in ``text``, true minus signs included."""
    return [float(x.replace(MINUS, "-")) for x in re.findall(r"[−-]?\d+\.\d+|[−-]?\d+", text)]


def parse_sig(text: str) -> float:
    """The number :func:`sig` wrote, e.g. ``60.35`` or ``1.500×10⁻⁵``."""
    mantissa, _, exponent = text.replace(MINUS, "-").partition("×10")
    power = exponent.translate(str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")) or "0"
    return float(mantissa) * 10.0 ** int(power)


def spans(html: str, cls: str) -> list[float]:
    found = re.findall(r"<span class='([^']*)'>([^<]*)</span>", html)
    return [float(unescape(t).replace(MINUS, "-")) for c, t in found if cls in c.split()]


# -- the flatten view: numbers ------------------------------------------------------------
def assert_flatten_matches_keras(t, ref: KerasReference) -> None:
    data = flatten_data(t)
    _, before, flat = keras_flatten(ref)
    height, width, channels = before.shape
    # the maps are what Keras feeds the Flatten layer, channel by channel
    assert len(data["maps"]["image"]) == channels
    for c in range(channels):
        np.testing.assert_allclose(data["maps"]["image"][c], before[:, :, c], atol=ATOL, rtol=0)
    # the units are Keras's flatten output, and each says which pixel it copies
    units = data["units"]
    assert len(units["value"]) == flat.size == height * width * channels
    np.testing.assert_allclose(units["value"], flat, atol=ATOL, rtol=0)
    np.testing.assert_allclose(before[units["row"], units["col"], units["channel"]], flat, atol=ATOL, rtol=0)
    # the weights are the Dense layer's, and the output units are its pre-activation
    dense, pre = keras_dense_after_flatten(ref)
    kernel, bias = dense.get_weights()
    np.testing.assert_array_equal(data["weights"]["kernel"][0], kernel.ravel())
    np.testing.assert_array_equal(data["weights"]["bias"][0], bias)
    np.testing.assert_allclose(data["targets"]["value"], pre, atol=ATOL, rtol=0)
    steps = flatten_steps(t)
    if steps.is_logit:
        np.testing.assert_allclose(data["targets"]["probability"], keras_probabilities(ref), atol=ATOL, rtol=0)
        for k, label in enumerate(data["targets"]["label"]):  # the class name, perhaps on two lines
            assert t.network.class_name(k).startswith(label.replace("\n", " ").rstrip("…"))


def test_flatten_data_is_keras_on_the_default_picture(keras_shipped):
    t, ref = keras_shipped
    assert_flatten_matches_keras(t, ref)
    steps = flatten_steps(t)
    assert (steps.source_name, steps.flatten.name, steps.dense.name) == ("max_pool_2", "flatten", "output_dense")
    assert steps.is_logit


def test_flatten_data_is_keras_for_every_test_cnn(keras_traced):
    t, ref = keras_traced
    assert_flatten_matches_keras(t, ref)


#: The columns the browser writes (fill.js and focus.js), for the first frame too.
FLATTEN_PICTURE_COLUMNS = {
    "maps": {"image"},
    "units": {"value"},
    "targets": {"value", "probability", "value_text", "prob_text", "focus"},
    "focus": {"index"},
    "edges": "all",
    "marks": "all",
    "links": "all",
}


def test_the_flatten_view_holds_only_the_skeleton_and_builds_for_every_test_cnn(keras_traced):
    """Positions, weights and names are Python's; every number of the picture is left to fill.js."""
    t, _ = keras_traced
    layout = flatten_view(t)
    for name, columns in flatten_data(t).items():
        source = layout.select_one({"name": f"flatten:{name}", "type": ColumnDataSource})
        assert source is not None, name
        assert set(source.data) == set(columns), name
        picture = FLATTEN_PICTURE_COLUMNS.get(name, set())
        for column, values in columns.items():
            ours = source.data[column]
            if picture == "all":
                assert len(ours) == 0, f"{name}.{column}"  # focus.js draws the focus
            elif column == "image":
                assert [np.shape(v) for v in ours] == [(1, 1)] * len(values)  # fill.js makes full-size maps
                assert all(v.dtype == np.float32 and not v.any() for v in ours)
            elif column in ("kernel", "bias"):
                for mine, theirs in zip(ours, values, strict=True):
                    np.testing.assert_array_equal(mine, theirs)
            elif column in picture:
                assert len(ours) == len(values), f"{name}.{column}"
                placeholder = "" if all(isinstance(v, str) for v in values) else 0
                assert all(v == placeholder for v in ours), f"{name}.{column}"
            else:
                np.testing.assert_array_equal(np.asarray(ours), np.asarray(values), err_msg=f"{name}.{column}")
    assert layout.select_one({"name": "flatten:readout"}).text == ""
    figure = layout.select_one({"name": "flatten:figure"})
    assert figure.frame_width <= VIEW_WIDTH
    assert [tag.name for tag in layout.tags] == ["explainer-refill", "explainer-describe"]
    # the first frame is the browser's: the fill carries the picture the view was built for
    picture = layout.tags[0].args["view_picture"]
    assert picture.name == "explainer-picture" and list(picture.data["shape"][0]) == list(t.image.shape)
    components(layout)  # it serialises


def test_the_automatic_focus_shows_the_predicted_class_strongest_terms(keras_shipped):
    t, _ = keras_shipped
    data = flatten_data(t)
    k = t.predicted_class
    assert data["focus"] == {"kind": ["auto"], "index": [k]}
    assert data["targets"]["focus"] == [int(j == k) for j in range(t.network.num_classes)]
    edges = data["edges"]
    assert len(edges["unit"]) == TOP_UNITS and set(edges["target"]) == {k}
    # the units with the largest |value × weight| for class k, largest first
    kernel = t.network.layer("output_dense").kernel
    terms = np.abs(t.flattened * kernel[:, k])
    expected = np.argsort(-terms, kind="stable")[:TOP_UNITS]
    assert edges["unit"] == [int(u) for u in expected]
    np.testing.assert_allclose(edges["weight"], kernel[expected, k], atol=0, rtol=0)
    assert edges["width"][0] == pytest.approx(3.5) and all(0.8 <= w <= 3.5 for w in edges["width"])
    # every drawn unit and its source pixel are outlined
    assert data["marks"]["kind"] == ["unit", "pixel"] * TOP_UNITS
    assert data["links"]["x0"] == []


def test_a_unit_focus_draws_its_edges_to_every_class_and_its_pixel(keras_shipped):
    t, _ = keras_shipped
    u = int(np.argmax(t.flattened))
    data = flatten_data(t, ("unit", u))
    n = t.network.num_classes
    edges = data["edges"]
    assert edges["unit"] == [u] * n and edges["target"] == list(range(n))
    np.testing.assert_array_equal(edges["weight"], t.network.layer("output_dense").kernel[u])
    row, col, channel = (int(v) for v in t.flatten_index[u])
    maps, cell = data["maps"], None
    marks = data["marks"]
    assert marks["kind"] == ["unit", "pixel"]
    # the outline sits on pixel (row, col) of the right map
    cell = maps["dw"][channel] / t.outputs["max_pool_2"].shape[1]
    assert marks["x"][1] == pytest.approx(maps["x"][channel] + (col + 0.5) * cell)
    assert marks["y"][1] == pytest.approx(maps["y"][channel] - (row + 0.5) * cell)
    assert marks["x"][0] == pytest.approx(data["units"]["x"][u])
    assert data["links"]["x0"] == [pytest.approx(marks["x"][1])]
    assert data["targets"]["focus"] == [0] * n


def test_the_readout_adds_up_to_the_logit(keras_shipped):
    t, _ = keras_shipped
    from explainer_core.arithmetic.formulas import explain_dense

    k = t.predicted_class
    html = readout_html(t, flatten_data(t))
    e = explain_dense(t, k)
    assert f"<b>{t.predicted_label}</b>: logit = Σ value × weight over all 1,690 flatten units" in html
    part, *_ = spans(html, "xv-part")
    assert part == pytest.approx(e.total, abs=6e-4)
    assert spans(html, "xv-bias") == [pytest.approx(e.bias, abs=6e-4)]
    assert spans(html, "xv-result") == [pytest.approx(e.value, abs=6e-4)]
    u = 5
    html = readout_html(t, flatten_data(t, ("unit", u)))
    row, col, channel = (int(v) for v in t.flatten_index[u])
    assert f"Flatten unit {u} is pixel (row {row}, column {col}) of max_pool_2 · channel {channel}" in html


def test_flatten_view_refuses_what_it_cannot_show(keras_shipped):
    t, _ = keras_shipped
    with pytest.raises(TraceError, match="out of range"):
        flatten_data(t, ("unit", 1690))
    with pytest.raises(TraceError, match="focus"):
        flatten_data(t, ("pixel", 0))
    with pytest.raises(TraceError, match="Trace"):
        flatten_view("not a trace")


def test_the_flatten_view_keeps_the_page_light(keras_shipped):
    t, _ = keras_shipped
    size = sum(map(len, components(flatten_view(t))))
    assert size < 450_000, size  # 16,900 weights and 1,690 units' positions, as binary arrays
    size = sum(map(len, components(softmax_view(t))))
    assert size < 80_000, size  # names and positions; the picture (12,288 bytes) for fill.js


# -- the softmax view -----------------------------------------------------------------
def assert_softmax_matches_keras(t, ref: KerasReference) -> None:
    data = softmax_data(t)
    classes = data["classes"]
    logits, probabilities = keras_logits(ref), keras_probabilities(ref)
    np.testing.assert_allclose(classes["logit"], logits, atol=ATOL, rtol=0)
    np.testing.assert_allclose(classes["probability"], probabilities, atol=ATOL, rtol=0)
    np.testing.assert_allclose(classes["exp"], np.exp(logits), rtol=1e-5, atol=0)
    assert classes["name"] == [t.network.class_name(k) for k in range(len(logits))]
    k = int(np.argmax(probabilities))
    assert classes["chosen"] == [int(j == k) for j in range(len(logits))]
    assert data["choice"] == {"kind": ["auto"], "index": [k]}
    # the equation: p(k) = e^{z_k} / (e^{z_1} + ... + e^{z_n}) = e^{z_k} / sum = p_k
    terms = data["terms"]
    rows = list(zip(terms["role"], terms["text"], terms["sup"], terms["cls"], strict=True))
    assert rows[0] == ("lhs", f"p({t.network.class_name(k)}) =", "", -1)
    written = [(cls, float(sup.replace(MINUS, "-"))) for role, _, sup, cls in rows if role == "term"]
    assert [cls for cls, _ in written] == [k, *range(len(logits))]
    np.testing.assert_allclose([z for _, z in written], logits[[k, *range(len(logits))]], atol=6e-4, rtol=0)
    values = [parse_sig(text) for role, text, _, _ in rows if role == "value"]
    np.testing.assert_allclose(values, [math.exp(logits[k]), np.exp(logits).sum()], rtol=1e-3)
    [result] = [text for role, text, _, _ in rows if role == "result"]
    assert numbers(result) == [pytest.approx(probabilities[k], abs=6e-4)]
    assert terms["hl"] == [0] * len(rows) and classes["hl"] == [0] * len(logits)


def test_softmax_data_is_keras_on_the_default_picture(keras_shipped):
    t, ref = keras_shipped
    assert_softmax_matches_keras(t, ref)


def test_softmax_data_is_keras_for_every_test_cnn(keras_traced):
    t, ref = keras_traced
    assert_softmax_matches_keras(t, ref)
    layout = softmax_view(t)
    for name in ("softmax:table", "softmax:equation"):
        assert layout.select_one({"name": name}).frame_width <= VIEW_WIDTH
    components(layout)


#: The columns the browser writes (fill.js and draw.js), for the first frame too.
SOFTMAX_PICTURE_COLUMNS = {
    "classes": {"logit", "probability", "exp", "logit_text", "exp_text", "prob_text", "right", "chosen", "style"},
    "terms": {"text", "sup", "cls"},
    "choice": {"index"},
}


def test_the_softmax_view_holds_only_the_skeleton_for_every_test_cnn(keras_traced):
    """Positions and names are Python's; every number of the picture is left to fill.js (placeholders)."""
    t, _ = keras_traced
    layout = softmax_view(t)
    for name, columns in softmax_data(t).items():
        source = layout.select_one({"name": f"softmax:{name}", "type": ColumnDataSource})
        assert set(source.data) == set(columns), name
        for column, expected in columns.items():
            got = list(source.data[column])
            assert len(got) == len(expected), f"{name}.{column}"
            if column not in SOFTMAX_PICTURE_COLUMNS[name]:
                assert got == expected, f"{name}.{column}"
    classes = layout.select_one({"name": "softmax:classes"}).data
    n = t.network.num_classes
    for column in ("logit", "probability", "exp"):
        assert classes[column] == [0.0] * n, column
    for column in ("logit_text", "exp_text", "prob_text"):
        assert classes[column] == [""] * n, column
    terms = layout.select_one({"name": "softmax:terms"}).data
    picture = [i for i, role in enumerate(terms["role"]) if role in ("lhs", "value", "result")]
    assert [terms["text"][i] for i in picture] == [""] * len(picture)
    assert set(terms["sup"]) == {""}
    # the first frame is the browser's: the view carries its picture to fill.js, and no number of it
    [fill] = [tag for tag in layout.tags if tag.name == "explainer-refill"]
    picture_source = fill.args["view_picture"]
    assert picture_source.name == "explainer-picture"
    assert list(picture_source.data["shape"][0]) == list(t.image.shape)


def test_the_equation_can_be_written_for_any_class(keras_shipped):
    t, _ = keras_shipped
    k = 0
    data = softmax_data(t, chosen=k)
    assert data["choice"] == {"kind": ["pinned"], "index": [k]}
    assert data["terms"]["text"][0] == f"p({t.network.class_name(k)}) ="
    assert data["classes"]["style"][k] == "bold" and data["classes"]["chosen"][k] == 1
    with pytest.raises(TraceError, match="out of range"):
        softmax_data(t, chosen=t.network.num_classes)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (60.3456, "60.35"),
        (0.0011534, "0.001153"),
        (1.5e-5, "1.500×10⁻⁵"),
        (123456.0, "1.235×10⁵"),
        (99999.9, "100000"),  # rounds up into the next decade: one digit more, never wrong
        (-2.5, "−2.500"),
        (1.0, "1.000"),
        (0.0, "0"),
        (math.inf, "∞"),
    ],
)
def test_four_significant_digits(value, text):
    assert sig(value) == text


def test_numbers_are_formatted_like_the_other_views(keras_shipped):
    t, _ = keras_shipped
    data = softmax_data(t)  # the oracle of what fill.js writes
    assert data["classes"]["logit_text"] == [fmt(z) for z in t.logits]
    assert data["classes"]["prob_text"] == [fmt(p) for p in t.probabilities]
    assert isinstance(softmax_view(t).select_one({"type": Div}), Div)


def test_every_callback_is_a_js_file():
    for name in (
        "flatten_view/focus",
        "flatten_view/hover",
        "flatten_view/fill",
        "softmax_view/draw",
        "softmax_view/hover",
        "softmax_view/choose",
        "softmax_view/fill",
    ):
        assert js_source(name).strip()
