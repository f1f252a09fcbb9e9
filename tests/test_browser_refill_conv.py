"""In the built book: a new picture refills the elastic views and the formula views.

Pages: book/04_convolutional_layers.html (two elastic views, the convolution formula
view) and book/07_pooling_layers.html (two max pooling formula views), each with a
picture changer. The first frame (drawn in the browser from the view's own picture) is
compared with the Python references (tests/view_oracles/) on the default picture's Python
trace. Then the test clicks a gallery photo, waits for the status message, and
compares every data source of every view with the references on the
Python trace of the same file; the formula text with explainer_core.arithmetic.formulas at the
window the reader left the view on; the colour ranges with ``map_mapper``.
book/06_activation_functions.html: its ReLU formula view is given a
picture through ``ExplainerPage.showImage``, as the changer does.
"""

from __future__ import annotations

import base64
import io
import re
from html import unescape

import numpy as np
import pytest
from PIL import Image

from explainer_core.arithmetic.formulas import explain_conv, explain_maxpool
from explainer_core.arithmetic.trace import trace
from explainer_core.data.preprocess import prepare_image
from explainer_core.page.examples import default_trace, shipped_network
from explainer_core.views.conv_view import conv_elastic_view
from explainer_core.views.formula_views import conv_formula_view, maxpool_formula_view, relu_formula_view
from explainer_core.views.kit import map_mapper
from tests.view_oracles.conv_view import conv_elastic_data, readout_html
from tests.view_oracles.formula_views import conv_formula_data, formula, maxpool_formula_data, relu_formula_data

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CONV_PAGE = "book/04_convolutional_layers.html"
POOL_PAGE = "book/07_pooling_layers.html"
RELU_PAGE = "book/06_activation_functions.html"
ATOL = 1e-5

#: Page helpers: a model by name; a source's columns as plain lists (NDArrays flattened), but for
#: ``rgba``, the drawn colours of ``image`` (checked by ``__colours``); the colour range of every
#: image glyph of a figure, with the name of the source it draws (an image_rgba glyph: of each mapper
#: its tags name, the mappers its colours come from); and every image_rgba glyph's drawn colours
#: compared with BokehJS's own colour mapping of its source's numbers (``rgba_mapper.v_compute``,
#: as an image glyph colours them), with the number of maps compared, or what differs.
HELPERS = """() => {
  window.__model = (name) => {
    for (const doc of Bokeh.documents) {
      const model = doc.get_model_by_name(name);
      if (model != null) return model;
    }
    throw new Error(`no Bokeh model named ${name}`);
  };
  const plain = (v) => (ArrayBuffer.isView(v) ? Array.from(v) : Array.isArray(v) ? v.map(plain) : v);
  window.__data = (name) => {
    const data = window.__model(name).data;
    return Object.fromEntries(Object.keys(data).filter((key) => key !== "rgba").map((key) => [key, plain(data[key])]));
  };
  window.__ranges = (name) => window.__model(name).renderers.flatMap((r) =>
    r.glyph.type === "Image" ? [[r.data_source.name, r.glyph.color_mapper.low, r.glyph.color_mapper.high]]
    : r.glyph.type === "ImageRGBA" ? r.tags.map((m) => [r.data_source.name, m.low, m.high]) : []);
  window.__colours = (name) => {
    const problems = [];
    let count = 0;
    for (const r of window.__model(name).renderers) {
      if (r.glyph.type === "Image") problems.push(`${r.data_source.name}: an image glyph colours its maps`);
      if (r.glyph.type !== "ImageRGBA") continue;
      const {image, rgba} = r.data_source.data;
      if (r.glyph.image.field !== "rgba" || rgba.length !== image.length || r.tags.length === 0) {
        problems.push(`${r.data_source.name}: not drawn from its rgba column`);
        continue;
      }
      image.forEach((map, i) => {
        const mapper = r.tags.length > 1 ? r.tags[i] : r.tags[0];
        const drawn = rgba[i];
        const bytes = new Uint8Array(drawn.buffer, drawn.byteOffset, drawn.byteLength);
        const want = mapper.rgba_mapper.v_compute(map);
        const sameShape = drawn.shape[0] === map.shape[0] && drawn.shape[1] === map.shape[1];
        if (!sameShape || bytes.length !== want.length || bytes.some((b, k) => b !== want[k])) {
          problems.push(`${r.data_source.name}[${i}]: colours differ from the mapper's`);
        }
        count += 1;
      });
    }
    return [count, problems];
  };
}"""

STATUS = "() => window.__model('explainer-status').text"


def open_page(browser_page, path: str):
    page = browser_page.goto(path)
    page.evaluate(HELPERS)
    return page


def value(page, name: str, attribute: str):
    return page.evaluate("([name, attribute]) => window.__model(name)[attribute]", [name, attribute])


def set_value(page, name: str, attribute: str, new) -> None:
    page.evaluate("([name, attribute, v]) => { window.__model(name)[attribute] = v; }", [name, attribute, new])


def choose_photo(page, index: int = -1):
    """Click gallery photo ``index``, wait until the page shows it; the Python trace of the same file."""
    files = page.evaluate("() => window.__data('gallery').file")
    index = index % len(files)
    before = page.evaluate(STATUS)
    page.evaluate("(i) => { window.__model('gallery').selected.indices = [i]; }", index)
    page.wait_for_function(f"(before) => ({STATUS})() !== before", arg=before)
    status = page.evaluate(STATUS)
    assert status.startswith("Showing"), status
    expected = trace(shipped_network(), prepare_image(base64.b64decode(files[index])))
    assert f"the network says {expected.predicted_label}" in status
    # the photo must really change the numbers, or the test would prove nothing
    assert not np.allclose(expected.outputs["conv_1_1"], default_trace().outputs["conv_1_1"], atol=1e-2)
    return expected


def assert_same(page_data: dict, python_data: dict, where: str) -> None:
    """Every column of a source equals the Python one: arrays and floats to ATOL, the rest exactly."""
    assert set(page_data) == set(python_data), where
    for column, expected in python_data.items():
        got = page_data[column]
        assert len(got) == len(expected), f"{where}.{column}"
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            if isinstance(e, np.ndarray) or isinstance(e, float):
                np.testing.assert_allclose(
                    np.asarray(g, dtype=np.float64), np.ravel(e), atol=ATOL, rtol=0, err_msg=f"{where}.{column}[{i}]"
                )
            elif isinstance(e, list | tuple):
                np.testing.assert_allclose(
                    np.asarray(g, dtype=np.float64),
                    np.asarray(e, dtype=np.float64),
                    atol=ATOL,
                    rtol=0,
                    err_msg=f"{where}.{column}[{i}]",
                )
            else:
                assert g == e, f"{where}.{column}[{i}]: {g!r} != {e!r}"


def assert_range(got, mapper, where: str) -> None:
    np.testing.assert_allclose(got, [mapper.low, mapper.high], atol=ATOL, rtol=0, err_msg=where)


def assert_colours(page, figure: str, maps: int) -> None:
    """The figure draws its ``maps`` maps in exactly the colours their mappers give their numbers."""
    count, problems = page.evaluate("(n) => window.__colours(n)", figure)
    assert problems == [], f"{figure}: {problems}"
    assert count == maps, f"{figure}: {count} maps coloured, not {maps}"


def spans(html: str, cls: str) -> list[float]:
    """The numbers of the spans with class ``cls``, as floats (−∞ for a padding cell)."""
    found = re.findall(r"<span class='([^']*)'>([^<]*)</span>", html)
    texts = [
        unescape(text).replace("\u2212", "-").replace("∞", "inf") for classes, text in found if cls in classes.split()
    ]
    return [float(text) for text in texts]


def assert_written(shown: list[float], values, where: str) -> None:
    """Numbers written with three decimals show ``values`` (the JS and Python traces agree to 1e-6)."""
    values = np.ravel(np.asarray(values, dtype=np.float64))
    assert len(shown) == len(values), f"{where}: {shown} vs {values}"
    np.testing.assert_allclose(shown, values, atol=0.0005 + ATOL, rtol=0, err_msg=where)


def check_formula(page, t, kind: str, key: str, layer: str, neuron: int, channel: int = 0) -> None:
    """The formula, the zoom's cells and its outlines at the view's window are the reference's."""
    position = value(page, f"{key}:position", "value")
    shown = formula(t, kind, layer, neuron, position, channel)
    assert_same_html(value(page, f"{key}:formula", "text"), shown.html, f"{key}:formula")
    cells = page.evaluate("(n) => window.__data(n)", f"{key}:zoom-cells")
    marked = []
    for k, role in enumerate(cells["role"]):
        if role not in shown.cells:
            continue
        expected = shown.cells[role][cells["i"][k]][cells["j"][k]]
        where = f"{key} zoom {role}[{cells['i'][k]}, {cells['j'][k]}]"
        if expected is None:  # padding
            assert cells["value"][k] is None or np.isnan(cells["value"][k]), where
            assert cells["text"][k] == shown.padding, where
        else:
            np.testing.assert_allclose(cells["value"][k], expected, atol=ATOL, rtol=0, err_msg=where)
            assert_written(spans(f"<span class='n'>{cells['text'][k]}</span>", "n"), [expected], where)
        if (role, cells["i"][k], cells["j"][k]) in shown.marks:
            marked.append((cells["x"][k], cells["y"][k]))
    marks = page.evaluate("(n) => window.__data(n)", f"{key}:zoom-marks")
    assert sorted(zip(marks["x"], marks["y"], strict=True)) == sorted(marked), f"{key} zoom marks"


# -- chapter 4: the elastic views and the convolution formula view --------------------
def check_elastic(page, t, layer: str) -> None:
    key = f"elastic-{layer}"
    spec = t.network.layer(layer)
    neuron = int(value(page, f"{key}:neuron", "value"))
    expected = conv_elastic_data(t, layer, neuron)
    for source in ("inputs", "maps", "kernel", "edges", "labels"):
        assert_same(page.evaluate("(n) => window.__data(n)", f"{key}:{source}"), expected[source], f"{key}:{source}")
    ranges = page.evaluate("(n) => window.__ranges(n)", f"{key}:figure")
    inputs = [r[1:] for r in ranges if r[0] == f"{key}:inputs"]
    assert len(inputs) == (3 if t.network.index(layer) == 0 else 1)  # red, green, blue; or one scale for all
    for c, got in enumerate(inputs):
        assert_range(got, map_mapper(t, layer, c, of_input=True), f"{key} input {c}")
    [maps] = [r[1:] for r in ranges if r[0] == f"{key}:maps"]
    assert_range(maps, map_mapper(t, layer, neuron), f"{key} maps")
    assert_colours(page, f"{key}:figure", 2 * spec.input_shape[-1] + 1)
    # the readout adds up the new numbers at the window the reader left
    r, c = divmod(value(page, f"{key}:position", "value"), spec.output_shape[1])
    # and the window is drawn there: on every input channel, and the current cell on every map
    (kh, kw), (sh, sw), ((pt, _), (pl, _)) = spec.window, spec.strides, spec.pads
    top, left = r * sh - pt, c * sw - pl
    inputs, maps = expected["inputs"], expected["maps"]
    u_in = [dw / spec.input_shape[1] for dw in inputs["dw"]]
    u_out = [dw / spec.output_shape[1] for dw in maps["dw"]]
    windows = page.evaluate("(n) => window.__data(n)", f"{key}:windows")
    np.testing.assert_allclose(
        windows["x"],
        [x + (left + kw / 2) * u for x, u in zip(inputs["x"], u_in, strict=True)]
        + [x + (c + 0.5) * u for x, u in zip(maps["x"], u_out, strict=True)],
        atol=ATOL,
        err_msg=f"{key}:windows",
    )
    np.testing.assert_allclose(
        windows["y"],
        [y - (top + kh / 2) * u for y, u in zip(inputs["y"], u_in, strict=True)]
        + [y - (r + 0.5) * u for y, u in zip(maps["y"], u_out, strict=True)],
        atol=ATOL,
        err_msg=f"{key}:windows",
    )
    html = value(page, f"{key}:readout", "text")
    assert f"(row {r}, column {c}) of {layer} · neuron {neuron}:" in html
    assert_written(
        spans(html, "xv-num"),
        [*t.intermediates[layer][neuron, :, r, c], spec.bias[neuron], t.outputs[layer][r, c, neuron]],
        f"{key}:readout",
    )
    assert_same_html(html, readout_html(expected, spec, r * spec.output_shape[1] + c, neuron), f"{key}:readout")


def check_every_neuron(page, t, layer: str) -> None:
    """The menu draws each neuron of the layer from the page's trace, as the reference does."""
    key = f"elastic-{layer}"
    start = value(page, f"{key}:neuron", "value")
    for n in range(t.network.layer(layer).neurons):
        set_value(page, f"{key}:neuron", "value", str(n))
        page.wait_for_function(
            "([name, text]) => window.__model(name).text.includes(text)", arg=[f"{key}:readout", f"neuron {n}:"]
        )
        check_elastic(page, t, layer)
    set_value(page, f"{key}:neuron", "value", start)


def check_conv_formula(page, t, layer: str) -> tuple[int, int]:
    key = f"conv-formula-{layer}"
    html = value(page, f"{key}:formula", "text")
    neuron = int(re.search(rf"{layer} · neuron (\d+) at", html).group(1))
    title = page.evaluate("(n) => window.__model(n).title.text", f"{key}:output-figure")
    channel = int(re.search(r"channel (\d+)", title).group(1))
    expected = conv_formula_data(t, layer, neuron, channel)
    for source in ("input", "output", "kernel", "sums"):
        assert_same(page.evaluate("(n) => window.__data(n)", f"{key}:{source}"), expected[source], f"{key}:{source}")
    in_mapper, out_mapper = map_mapper(t, layer, channel, of_input=True), map_mapper(t, layer, neuron)
    assert_range(page.evaluate("(n) => window.__ranges(n)", f"{key}:input-figure")[0][1:], in_mapper, f"{key} input")
    assert_range(page.evaluate("(n) => window.__ranges(n)", f"{key}:output-figure")[0][1:], out_mapper, f"{key} out")
    for figure in ("input-figure", "output-figure"):
        assert_colours(page, f"{key}:{figure}", 1)
    # the formula and the zoom show the new numbers at the reader's window
    out_w = t.network.layer(layer).output_shape[1]
    r, c = divmod(value(page, f"{key}:position", "value"), out_w)
    assert f"Intermediate result at (row {r}, column {c})" in html
    e = explain_conv(t, layer, neuron, r, c)
    assert_written(spans(html, "xv-x"), e.window[channel], f"{key} window")
    assert_written(spans(html, "xv-w"), e.kernel[channel], f"{key} weights")
    assert_written(spans(html, "xv-result"), [e.intermediate[channel], e.value], f"{key} results")
    assert_written(spans(html, "xv-part"), e.intermediate, f"{key} parts")
    assert_written(spans(html, "xv-bias"), [e.bias], f"{key} bias")
    cells = page.evaluate("(n) => window.__data(n)", f"{key}:zoom-cells")
    window = [v for v, role in zip(cells["value"], cells["role"], strict=True) if role == "window"]
    np.testing.assert_allclose(window, e.window[channel].ravel(), atol=ATOL, rtol=0)
    for role, mapper in (("window", in_mapper), ("result", out_mapper)):
        for lo, hi, cell_role in zip(cells["lo"], cells["hi"], cells["role"], strict=True):
            if cell_role == role:
                assert_range([lo, hi], mapper, f"{key} zoom {role}")
    check_formula(page, t, "conv", key, layer, neuron, channel)
    return r, c


def test_the_first_frame_of_the_elastic_views_is_the_references(browser_page):
    """Drawn in the browser from each view's own picture: the default picture's numbers, every neuron."""
    page = open_page(browser_page, CONV_PAGE)
    t = default_trace()
    for layer in ("conv_1_1", "conv_2_1"):
        check_elastic(page, t, layer)
        check_every_neuron(page, t, layer)
    browser_page.assert_clean()


def test_the_first_frame_of_the_formula_views_is_the_references(browser_page):
    """Convolution (chapter 4), ReLU (chapter 6) and max pooling (chapter 7), drawn in the browser from
    each view's own picture, at the window each chapter starts on and at others."""
    t = default_trace()
    page = open_page(browser_page, CONV_PAGE)
    check_conv_formula(page, t, "conv_1_1")
    for position in (0, 61, 62 * 30 + 17):
        set_value(page, "conv-formula-conv_1_1:position", "value", position)
        assert check_conv_formula(page, t, "conv_1_1") == divmod(position, 62)
    page = open_page(browser_page, POOL_PAGE)
    for layer in ("max_pool_1", "max_pool_2"):
        check_maxpool_formula(page, t, layer)
    page = open_page(browser_page, RELU_PAGE)
    assert check_relu_formulas(page, t) > 0
    browser_page.assert_clean()


def test_a_gallery_photo_refills_every_view_of_the_convolution_chapter(browser_page):
    page = open_page(browser_page, CONV_PAGE)
    # the reader has moved the formula view's window and chosen another neuron in an elastic view
    set_value(page, "conv-formula-conv_1_1:position", "value", 10 * 62 + 45)
    neuron = (int(value(page, "elastic-conv_2_1:neuron", "value")) + 3) % 10
    set_value(page, "elastic-conv_2_1:neuron", "value", str(neuron))
    before = value(page, "conv-formula-conv_1_1:formula", "text")
    t = choose_photo(page)
    timings = page.evaluate("() => ExplainerPage.state.timings")
    print(f"page 04, a new picture: {timings}")
    for layer in ("conv_1_1", "conv_2_1"):
        check_elastic(page, t, layer)
    assert value(page, "elastic-conv_2_1:neuron", "value") == str(neuron)  # the reader's neuron stays
    assert check_conv_formula(page, t, "conv_1_1") == (10, 45)  # and so does the window
    assert value(page, "conv-formula-conv_1_1:formula", "text") != before
    browser_page.assert_clean()


def test_after_a_new_photo_the_views_still_react_with_its_numbers(browser_page):
    page = open_page(browser_page, CONV_PAGE)
    t = choose_photo(page, 1)  # photos 1 and 2 differ from the default picture, with or without the data set
    # another neuron from the menu: the bank holds the new picture's maps
    key = "elastic-conv_1_1"
    other = (int(value(page, f"{key}:neuron", "value")) + 1) % 10
    set_value(page, f"{key}:neuron", "value", str(other))
    page.wait_for_function("([n, t]) => window.__model(n).text.includes(t)", arg=[f"{key}:readout", f"neuron {other}:"])
    check_elastic(page, t, "conv_1_1")
    # moving the formula view's window shows the new picture's numbers there
    set_value(page, "conv-formula-conv_1_1:position", "value", 61 * 62 + 3)
    assert check_conv_formula(page, t, "conv_1_1") == (61, 3)
    # a second photo replaces the first one's numbers again
    t = choose_photo(page, 2)
    check_elastic(page, t, "conv_1_1")
    check_conv_formula(page, t, "conv_1_1")
    browser_page.assert_clean()


# -- chapter 7: the max pooling formula views -----------------------------------------
def check_maxpool_formula(page, t, layer: str) -> tuple[int, int]:
    key = f"maxpool-formula-{layer}"
    html = value(page, f"{key}:formula", "text")
    neuron = int(re.search(rf"{layer} · neuron (\d+) at", html).group(1))
    expected = maxpool_formula_data(t, layer, neuron)
    for source in ("input", "output"):
        assert_same(page.evaluate("(n) => window.__data(n)", f"{key}:{source}"), expected[source], f"{key}:{source}")
    in_mapper, out_mapper = map_mapper(t, layer, neuron, of_input=True), map_mapper(t, layer, neuron)
    assert_range(page.evaluate("(n) => window.__ranges(n)", f"{key}:input-figure")[0][1:], in_mapper, f"{key} input")
    assert_range(page.evaluate("(n) => window.__ranges(n)", f"{key}:output-figure")[0][1:], out_mapper, f"{key} out")
    for figure in ("input-figure", "output-figure"):
        assert_colours(page, f"{key}:{figure}", 1)
    out_w = t.network.layer(layer).output_shape[1]
    r, c = divmod(value(page, f"{key}:position", "value"), out_w)
    assert f"(row {r}, column {c})" in html
    e = explain_maxpool(t, layer, neuron, r, c)
    assert_written(spans(html, "xv-x"), e.window, f"{key} window")
    assert_written(spans(html, "xv-hi"), [e.value], f"{key} maximum")
    assert_written(spans(html, "xv-result"), [e.value], f"{key} result")
    cells = page.evaluate("(n) => window.__data(n)", f"{key}:zoom-cells")
    window = [v for v, role in zip(cells["value"], cells["role"], strict=True) if role == "window"]
    np.testing.assert_allclose(window, e.window.ravel(), atol=ATOL, rtol=0)
    assert len(page.evaluate("(n) => window.__data(n).x", f"{key}:zoom-marks")) == 1
    check_formula(page, t, "maxpool", key, layer, neuron)
    return r, c


def test_a_gallery_photo_refills_the_pooling_views(browser_page):
    page = open_page(browser_page, POOL_PAGE)
    start = value(page, "maxpool-formula-max_pool_1:position", "value")  # the build picture's strongest value
    set_value(page, "maxpool-formula-max_pool_2:position", "value", 5 * 13 + 7)
    t = choose_photo(page)
    assert check_maxpool_formula(page, t, "max_pool_1") == divmod(start, 30)  # the windows stay
    assert check_maxpool_formula(page, t, "max_pool_2") == (5, 7)
    browser_page.assert_clean()


# -- chapter 6: the ReLU formula view (no picture changer there: the page API directly) --
def test_a_new_picture_refills_the_relu_formula_view(browser_page):
    page = open_page(browser_page, RELU_PAGE)
    keys = page.evaluate("""() => [...Bokeh.documents].flatMap((d) => [...d.all_models])
        .map((m) => m.name || "").filter((n) => /^relu-formula-.*:formula$/.test(n))""")
    assert keys, "chapter 6 shows no ReLU formula view"
    from explainer_core.views.image_picker import gallery_images

    photo = gallery_images()[-1]
    page.evaluate(
        """async ([data, mime]) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        await ExplainerPage.showImage(new Blob([bytes], {type: mime}), {label: "a test photo"});
    }""",
        [base64.b64encode(photo.data).decode("ascii"), photo.mime_type],
    )
    assert check_relu_formulas(page, trace(shipped_network(), prepare_image(photo.data))) == len(keys)
    browser_page.assert_clean()


def check_relu_formulas(page, t) -> int:
    """Every ReLU formula view of the page shows the reference's numbers for ``t``; how many there are."""
    keys = page.evaluate("""() => [...Bokeh.documents].flatMap((d) => [...d.all_models])
        .map((m) => m.name || "").filter((n) => /^relu-formula-.*:formula$/.test(n))""")
    for name in keys:
        key = name.removesuffix(":formula")
        layer = key.removeprefix("relu-formula-")
        html = value(page, name, "text")
        neuron = int(re.search(rf"{layer} · neuron (\d+) at", html).group(1))
        expected = relu_formula_data(t, layer, neuron)
        for source in ("input", "output"):
            assert_same(
                page.evaluate("(n) => window.__data(n)", f"{key}:{source}"), expected[source], f"{key}:{source}"
            )
        for figure, mapper in (
            ("input-figure", map_mapper(t, layer, neuron, of_input=True)),
            ("output-figure", map_mapper(t, layer, neuron)),
        ):
            assert_range(page.evaluate("(n) => window.__ranges(n)", f"{key}:{figure}")[0][1:], mapper, figure)
            assert_colours(page, f"{key}:{figure}", 1)
        r, c = divmod(value(page, f"{key}:position", "value"), t.network.layer(layer).output_shape[1])
        assert f"at (row {r}, column {c}) = max(0, " in html
        assert_written(spans(html, "xv-x"), [t.input_of(layer)[r, c, neuron]], f"{key} input")
        assert_written(spans(html, "xv-result"), [t.outputs[layer][r, c, neuron]], f"{key} output")
        check_formula(page, t, "relu", key, layer, neuron)
    return len(keys)


# -- any network: padding, strides, fused ReLUs, small maps with their numbers written --
def tiny_cnn():
    """Maps small enough (6×6, 3×3) that the formula views write a number in every cell."""
    import keras

    return keras.Sequential(
        [
            keras.Input(shape=(8, 8, 3)),
            keras.layers.Conv2D(2, 3, activation="relu", name="c1"),
            keras.layers.MaxPooling2D(2, name="p1"),
            keras.layers.Flatten(name="flat"),
            keras.layers.Dense(3, activation="softmax", name="out"),
        ],
        name="tiny_cnn",
    )


def views_of_every_layer(t):
    """Every view that follows the picture, for every layer it can show, at varied neurons and windows."""
    from bokeh.layouts import column

    views = []
    for spec in t.network.layers:
        last = spec.neurons - 1
        if spec.kind == "conv":
            views.append(conv_elastic_view(t, spec.name, last, key=f"e-{spec.name}"))
            views.append(conv_elastic_view(t, spec.name, 0, all_neurons=False, key=f"one-{spec.name}"))
            channels = spec.input_shape[-1]
            views.append(conv_formula_view(t, spec.name, last, channel=channels - 1, key=f"cf-{spec.name}"))
        elif spec.kind == "relu" and len(spec.output_shape) == 3:
            views.append(relu_formula_view(t, spec.name, last, key=f"rf-{spec.name}"))
        elif spec.kind == "maxpool":
            views.append(maxpool_formula_view(t, spec.name, last, key=f"mf-{spec.name}"))
    return column(views)


def standalone_page(chromium, layout, network):
    """The views on a page of their own with the network and the browser trace: no book needed."""
    from bokeh.embed import file_html
    from bokeh.resources import INLINE

    from explainer_core.page import webmodel
    from explainer_core.page.protocol import PICTURE
    from explainer_core.views.kit.refill import network_id, picture_script

    # the page ends with its own </body> (the inlined BokehJS holds the string too); the network
    # also under the name the views' own pictures give it, and each picture's numbers, as show()
    # writes them beside an item (views/kit/refill.py)
    before, end, after = file_html(layout, resources=INLINE, title="refill").rpartition("</body>")
    pictures = {m.data["picture"][0]: picture_script(m) for m in layout.references() if m.name == PICTURE}
    scripts = webmodel.page_script(network) + webmodel.network_script(network, network_id(network))
    scripts += "".join(pictures.values())
    html = before + scripts + end + after
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
    page.set_content(html, wait_until="load")
    page.wait_for_function("""() => {
        if (!window.Bokeh || !Bokeh.index || Bokeh.documents.length === 0) return false;
        const views = Array.from(Bokeh.index.values ? Bokeh.index.values() : Object.values(Bokeh.index));
        return views.length > 0 && views.every((view) => view.is_idle);
    }""")
    page.evaluate(HELPERS)
    page.evaluate("""() => { window.__texts = (name) => window.__model(name).renderers
        .filter((r) => r.glyph.type === "Text").map((r) => Array.from(r.data_source.data.text)); }""")
    return context, page


def assert_same_html(got: str, expected: str, where: str) -> None:
    """The same text with the same numbers, each to its last written digit (the traces agree to 1e-6)."""
    pattern = r"(<span class='[^']*'>)([^<]*)(</span>)"
    assert re.sub(pattern, r"\1#\3", got) == re.sub(pattern, r"\1#\3", expected), where
    assert_written(spans(got, "xv-num"), spans(expected, "xv-num"), where)


def noise_pictures(network, seed: int):
    """Two random pictures for ``network``: one traced to build the views, and a PNG (with its
    Python trace) for the browser to switch to. The PNG has exactly the input's size, so the
    browser fits it without resampling."""
    height, width, _ = network.input_shape
    rng = np.random.default_rng(seed)
    built = trace(network, rng.random((height, width, 3), dtype=np.float32))
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(buffer, format="PNG")
    png = buffer.getvalue()
    return built, png, trace(network, prepare_image(png, size=(height, width)))


def show_png(page, png: bytes) -> None:
    """Switch the page's picture to ``png``, as the picture changer does."""
    page.evaluate(
        """async (data) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        await ExplainerPage.showImage(new Blob([bytes], {type: "image/png"}), {label: "noise"});
    }""",
        base64.b64encode(png).decode("ascii"),
    )


@pytest.mark.parametrize("which", ["strided_cnn", "tiny_cnn"])
def test_the_refills_follow_any_network(chromium, which):
    from explainer_core.arithmetic.network import Network

    from .conftest import seed_weights, strided_cnn

    network = Network.from_keras(seed_weights(strided_cnn() if which == "strided_cnn" else tiny_cnn(), seed=2))
    built, png, t = noise_pictures(network, seed=7)
    context, page = standalone_page(chromium, views_of_every_layer(built), network)
    try:
        # the first frame: each view draws its own picture (page.js; access_ready.js runs this in the book)
        page.evaluate("() => Promise.all(Bokeh.documents.map((doc) => ExplainerPage.fillDocument(doc)))")
        assert_views_show(page, built, which)
        for spec in network.layers:  # start some windows in the padding
            if spec.kind == "conv":
                set_value(page, f"e-{spec.name}:position", "value", 0)
        show_png(page, png)
        assert_views_show(page, t, which)
        assert page.errors == []
    finally:
        context.close()


def assert_views_show(page, t, which: str) -> None:
    """Every view of views_of_every_layer shows the references' numbers for ``t``."""
    network = t.network

    def data(name):
        return page.evaluate("(n) => window.__data(n)", name)

    def ranges(name):
        return page.evaluate("(n) => window.__ranges(n)", name)

    checked = 0
    for spec in network.layers:
        name, last = spec.name, spec.neurons - 1
        if spec.kind == "conv":
            for key, neuron in ((f"e-{name}", last), (f"one-{name}", 0)):
                expected = conv_elastic_data(t, name, neuron)
                for source in ("inputs", "maps", "kernel", "edges", "labels"):
                    assert_same(data(f"{key}:{source}"), expected[source], f"{key}:{source}")
                got = ranges(f"{key}:figure")
                inputs = [r[1:] for r in got if r[0] == f"{key}:inputs"]
                for c, low_high in enumerate(inputs):
                    assert_range(low_high, map_mapper(t, name, c, of_input=True), f"{key} input {c}")
                assert_range([r[1:] for r in got if r[0] == f"{key}:maps"][0], map_mapper(t, name, neuron), key)
                assert_colours(page, f"{key}:figure", 2 * spec.input_shape[-1] + 1)
                position = value(page, f"{key}:position", "value")
                assert_same_html(
                    value(page, f"{key}:readout", "text"),
                    readout_html(expected, spec, position, neuron),
                    f"{key}:readout",
                )
            channel = spec.input_shape[-1] - 1
            key, expected = f"cf-{name}", conv_formula_data(t, name, last, channel)
            check_formula(page, t, "conv", key, name, last, channel)
            in_mapper, out_mapper = map_mapper(t, name, channel, of_input=True), map_mapper(t, name, last)
            sources = ("input", "output", "kernel", "sums")
        elif spec.kind in ("relu", "maxpool") and len(spec.output_shape) == 3:
            key = f"{'rf' if spec.kind == 'relu' else 'mf'}-{name}"
            relu = spec.kind == "relu"
            expected = (relu_formula_data if relu else maxpool_formula_data)(t, name, last)
            check_formula(page, t, spec.kind, key, name, last)
            in_mapper, out_mapper = map_mapper(t, name, last, of_input=True), map_mapper(t, name, last)
            sources = ("input", "output")
        else:
            continue
        for source in sources:
            assert_same(data(f"{key}:{source}"), expected[source], f"{key}:{source}")
        for figure, mapper, source in (
            ("input-figure", in_mapper, "input"),
            ("output-figure", out_mapper, "output"),
        ):
            assert_range(ranges(f"{key}:{figure}")[0][1:], mapper, f"{key}:{figure}")
            assert_colours(page, f"{key}:{figure}", 1)
            for texts in page.evaluate("(n) => window.__texts(n)", f"{key}:{figure}"):
                assert_written(
                    [float(x.replace("\u2212", "-")) for x in texts],
                    expected[source]["image"][0],
                    f"{key}:{figure} numbers",
                )
                checked += 1
    assert (checked > 0) == (which == "tiny_cnn")  # the small maps write their numbers
