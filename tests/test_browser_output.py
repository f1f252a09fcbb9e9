"""In the built book: the flatten elastic view and the softmax formula view react to the pointer
and follow a new picture.

Page: book/08_flatten_and_output.html (picture changer, flatten view, softmax view). The
views' numbers are computed only in the browser (their fill.js), for the first frame too; the
expected numbers come from the test oracles (tests/view_oracles/: ``flatten_data`` and
``softmax_data``, an independent Python reference) on the book's default trace, or on the
Python trace of the gallery file the test clicks. The
pointer is moved with ``page.mouse`` to the pixel where a glyph is drawn, as a reader would.

Build once and point the tests at it (with the same data as the build)::

    CNN_EXPLAINER_DATA=... .venv/bin/jupyter-book build . --all -W --path-output /tmp/fo
    BOOK_HTML_DIR=/tmp/fo/_build/html CNN_EXPLAINER_DATA=... .venv/bin/pytest tests/test_browser_output.py
"""

from __future__ import annotations

import base64
import re

import numpy as np
import pytest

from explainer_core.arithmetic.scales import target_range
from explainer_core.arithmetic.trace import trace
from explainer_core.data.preprocess import prepare_image
from explainer_core.page.examples import default_example, default_trace, shipped_network
from explainer_core.views.flatten_view import flatten_view
from explainer_core.views.kit import VIEW_WIDTH, fmt, picture_name
from explainer_core.views.softmax_view import _table_geometry, softmax_view
from tests.view_oracles.flatten_view import flatten_data, readout_html, source_range
from tests.view_oracles.softmax_view import softmax_data

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGE = "book/08_flatten_and_output.html"
ATOL = 1e-5
#: Columns that scale a probability or a product to pixels or widths: the browser's trace
#: agrees with Python's to ~1e-7, which a 320-pixel bar turns into ~3e-5 pixels.
PIXEL_COLUMNS = {"right", "width", "casing"}
#: e^z grows with z: compared relatively.
RELATIVE_COLUMNS = {"exp"}

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
    return Object.fromEntries(Object.keys(data).map((key) => [key, plain(data[key])]));
  };
  window.__point = (name, x, y) => {
    const view = Bokeh.index.find_one(window.__model(name));
    view.el.scrollIntoView({block: "center"});
    const box = view.canvas_view.el.getBoundingClientRect();
    return [box.left + view.frame.x_scale.compute(x), box.top + view.frame.y_scale.compute(y)];
  };
}"""
STATUS = "() => window.__model('explainer-status').text"
FLATTEN_SOURCES = ("maps", "units", "weights", "targets", "labels", "focus", "edges", "marks", "links")
SOFTMAX_SOURCES = ("classes", "terms", "choice")


def open_page(browser_page, path: str = PAGE):
    page = browser_page.goto(path)
    page.evaluate(HELPERS)
    caption = default_example(default_trace().network.input_shape[:2]).caption
    if caption not in page.inner_text("main"):
        pytest.fail(
            "The book was built with another default picture than this test process computes "
            f"({caption!r} is not on the page); build and test with the same CNN_EXPLAINER_DATA."
        )
    return page


def data(page, name: str) -> dict:
    return page.evaluate("(n) => window.__data(n)", name)


def move(page, figure: str, x: float, y: float) -> None:
    page.mouse.move(1, 1)  # park the pointer outside the views: scrolling under it would move it over them
    px, py = page.evaluate("([name, x, y]) => window.__point(name, x, y)", [figure, x, y])
    page.mouse.move(px - 2, py - 2)  # arrive from a neighbouring point, as a real pointer does
    page.mouse.move(px, py)


def click(page, figure: str, x: float, y: float) -> None:
    move(page, figure, x, y)
    page.mouse.click(*page.evaluate("([name, x, y]) => window.__point(name, x, y)", [figure, x, y]))


def wait_for(page, expression: str, arg=None) -> None:
    page.wait_for_function(f"(arg) => {expression}", arg=arg)


def choose_photo(page, index: int = -1):
    """Click gallery photo ``index`` and wait until the page shows it; the Python trace of the same file."""
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
    assert not np.allclose(expected.logits, default_trace().logits, atol=1e-2)
    return expected


# -- comparing what the page holds with Python --------------------------------------
NUMBER = re.compile(r"[−-]?\d+(?:\.(\d+))?(?:×10([⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+))?")
SUPERSCRIPT = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")


def _written(match: re.Match) -> tuple[float, float]:
    """(value, tolerance) of a number as the views write it: one unit of its last digit, 0 for integers."""
    text, decimals, power = match.group(0), match.group(1), match.group(2)
    scale = 10.0 ** int(power.translate(SUPERSCRIPT)) if power else 1.0
    mantissa = text.split("×")[0].replace("−", "-")
    tolerance = 0.0 if decimals is None else 10.0 ** -len(decimals) * scale * 1.01
    return float(mantissa) * scale, tolerance


def assert_same_text(got: str, expected: str, where: str) -> None:
    """The same words with the same numbers, each to its last written digit."""
    assert NUMBER.sub("#", got) == NUMBER.sub("#", expected), f"{where}: {got!r} != {expected!r}"
    for g, e in zip(NUMBER.finditer(got), NUMBER.finditer(expected), strict=True):
        (gv, _), (ev, tolerance) = _written(g), _written(e)
        assert abs(gv - ev) <= tolerance + 1e-12, f"{where}: {got!r} != {expected!r}"


def assert_same(page_data: dict, python_data: dict, where: str) -> None:
    """Every column of a source equals Python's: numbers to ATOL, texts to their written digits."""
    assert set(page_data) == set(python_data), where
    for column, expected in python_data.items():
        got = page_data[column]
        at = f"{where}.{column}"
        assert len(got) == len(expected), at
        if column in ("image", "kernel", "bias"):  # a list of arrays
            for i, (g, e) in enumerate(zip(got, expected, strict=True)):
                np.testing.assert_allclose(np.ravel(g), np.ravel(e), atol=ATOL, rtol=0, err_msg=f"{at}[{i}]")
        elif len(expected) and all(isinstance(e, str) for e in expected):
            for g, e in zip(got, expected, strict=True):
                assert_same_text(g, e, at)
        else:
            kwargs = dict(atol=1e-3, rtol=0) if column in PIXEL_COLUMNS else dict(atol=ATOL, rtol=0)
            if column in RELATIVE_COLUMNS:
                kwargs = dict(atol=0, rtol=1e-5)
            np.testing.assert_allclose(
                np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64), err_msg=at, **kwargs
            )


def check_flatten(page, t, focus=None) -> None:
    expected = flatten_data(t, focus)
    for source in FLATTEN_SOURCES:
        assert_same(data(page, f"flatten:{source}"), expected[source], f"flatten:{source}")
    readout = page.evaluate("() => window.__model('flatten:readout').text")
    assert_same_text(readout, readout_html(t, expected), "flatten:readout")


def check_softmax(page, t, chosen=None) -> None:
    expected = softmax_data(t, chosen)
    for source in SOFTMAX_SOURCES:
        assert_same(data(page, f"softmax:{source}"), expected[source], f"softmax:{source}")


def mapper_ranges(page, figure: str) -> list[list]:
    """[source name, low, high] of every colour-mapped glyph of ``figure``."""
    return page.evaluate(
        """(name) => window.__model(name).renderers.flatMap((r) => {
            const g = r.glyph;
            const m = g.color_mapper || (g.fill_color && g.fill_color.transform);
            return m && m.low != null ? [[r.data_source.name, m.low, m.high]] : [];
        })""",
        figure,
    )


# -- the page ------------------------------------------------------------------------
def check_softmax_first_frame(page, t, picture: str | None = "") -> None:
    """The softmax view's first frame, which only its fill.js computes, is the oracle's for ``t``.

    The text alternatives name ``picture`` (default: the book's name of ``t``'s picture; None: any name).
    """
    check_softmax(page, t)
    [(_, low, high)] = mapper_ranges(page, "softmax:table")
    np.testing.assert_allclose([low, high], target_range(t.logits, True), atol=ATOL, rtol=0)
    # the text alternatives were written after the first frame, with its numbers
    table, equation = (
        page.evaluate("(n) => window.__model(n).html_attributes['aria-label']", name)
        for name in ("softmax:table", "softmax:equation")
    )
    n, k = t.network.num_classes, t.predicted_class
    named = picture_name(t) if picture == "" else picture
    head = f"The {n} classes on {named if named is not None else ''}"
    assert table.startswith(head) and ", most probable first. " in table, table
    first = table.split(", most probable first. ", 1)[1].split(";")[0]
    assert_same_text(first, f"{t.predicted_label}: logit {fmt(t.logits[k])}, probability {fmt(t.probabilities[k])}",
                     "softmax:table aria-label")
    assert equation.startswith(f"On {named}, " if named is not None else "On "), equation
    assert f", p({t.predicted_label}) = e to the power " in equation, equation
    [numerator, denominator] = [text for role, text in zip(*(data(page, "softmax:terms")[c] for c in ("role", "text")),
                                                           strict=True) if role == "value"]
    assert f": {numerator} / {denominator} = " in equation and numerator and denominator


def check_flatten_first_frame(page, t) -> None:
    """The flatten view's first frame, which only its fill.js and focus.js compute, is the oracle's for ``t``."""
    check_flatten(page, t)  # the automatic focus: the predicted class's strongest edges
    assert len(data(page, "flatten:edges")["unit"]) > 0
    ranges = {name: (low, high) for name, low, high in mapper_ranges(page, "flatten:figure")}
    np.testing.assert_allclose(ranges["flatten:maps"], source_range(t), atol=ATOL, rtol=0)
    np.testing.assert_allclose(ranges["flatten:units"], source_range(t), atol=ATOL, rtol=0)
    np.testing.assert_allclose(ranges["flatten:targets"], target_range(t.logits, True), atol=ATOL, rtol=0)
    # the text alternative was written after the first frame, with its numbers
    label = page.evaluate("() => window.__model('flatten:figure').html_attributes['aria-label']")
    zeros = int((t.flattened == 0).sum())
    assert f"({zeros:,} of them zero)" in label, label
    assert_same_text(label.split("The largest is ")[1], f"{t.predicted_label}, logit {fmt(t.logits.max())}.",
                     "flatten:figure aria-label")


def test_the_chapter_renders_cleanly_with_the_books_numbers(browser_page):
    page = open_page(browser_page)
    t = default_trace()
    check_flatten_first_frame(page, t)
    check_softmax_first_frame(page, t)
    browser_page.screenshot("08_flatten_and_output-top")
    page.evaluate("() => Bokeh.index.find_one(window.__model('softmax:table')).el.scrollIntoView()")
    browser_page.screenshot("08_flatten_and_output-softmax")
    browser_page.assert_clean()


def test_the_softmax_view_of_the_activation_chapter_draws_its_first_frame(browser_page):
    """Chapter 6 shows the softmax view too: its first frame is fill.js's, equal to the oracle."""
    page = open_page(browser_page, "book/06_activation_functions.html")
    check_softmax_first_frame(page, default_trace(), picture=None)
    browser_page.assert_clean()


def test_the_activation_chapters_softmax_view_names_the_books_picture(browser_page):
    page = open_page(browser_page, "book/06_activation_functions.html")
    check_softmax_first_frame(page, default_trace())


# -- the softmax formula view -----------------------------------------------------------
def test_circles_and_terms_are_linked_both_ways(browser_page):
    page = open_page(browser_page)
    t = default_trace()
    names = tuple(t.network.class_name(k) for k in range(t.network.num_classes))
    circle_x = _table_geometry(names, VIEW_WIDTH)["circle_x"]
    classes, terms = data(page, "softmax:classes"), data(page, "softmax:terms")
    chosen = t.predicted_class

    def highlighted() -> tuple[list[int], list[int]]:
        c, e = data(page, "softmax:classes"), data(page, "softmax:terms")
        return [k for k, v in enumerate(c["hl"]) if v], [e["cls"][i] for i, v in enumerate(e["hl"]) if v]

    # a circle lights up its term in the denominator (and the numerator, for the chosen class)
    other = (chosen + 1) % len(names)
    for k, lit in ((other, [other]), (chosen, [chosen, chosen])):
        move(page, "softmax:table", circle_x, classes["y"][k])
        wait_for(page, "window.__data('softmax:classes').hl[arg] === 1", k)
        assert highlighted() == ([k], lit)
        rows = [i for i, v in enumerate(data(page, "softmax:terms")["hl"]) if v]
        assert all(terms["role"][i] == "term" and terms["cls"][i] == k for i in rows)

    # a term lights up its circle
    j = (chosen + 2) % len(names)
    i = next(
        i
        for i, (role, cls) in enumerate(zip(terms["role"], terms["cls"], strict=True))
        if role == "term" and cls == j and i > 1
    )  # a denominator term
    move(page, "softmax:equation", terms["rx"][i], terms["ry"][i])
    wait_for(page, "window.__data('softmax:classes').hl[arg] === 1", j)
    assert highlighted() == ([j], [j])

    # leaving the view clears the highlight
    page.mouse.move(5, 5)
    wait_for(page, "window.__data('softmax:classes').hl.every((v) => v === 0)")
    assert highlighted() == ([], [])

    # a click writes the equation for that class
    click(page, "softmax:table", circle_x, classes["y"][j])
    wait_for(page, "window.__data('softmax:choice').kind[0] === 'pinned'")
    page.mouse.move(5, 5)
    wait_for(page, "window.__data('softmax:classes').hl.every((v) => v === 0)")
    check_softmax(page, t, chosen=j)
    browser_page.assert_clean()


# -- the flatten elastic view --------------------------------------------------------------
def test_hovering_a_unit_outlines_its_source_pixel_and_draws_its_edges(browser_page):
    page = open_page(browser_page)
    t = default_trace()
    units = data(page, "flatten:units")
    u = int(np.argmax(t.flattened))
    move(page, "flatten:figure", units["x"][u], units["y"][u])
    wait_for(page, "window.__data('flatten:focus').index[0] === arg", u)
    check_flatten(page, t, ("unit", u))
    row, col, channel = (int(v) for v in t.flatten_index[u])
    marks = data(page, "flatten:marks")
    maps = data(page, "flatten:maps")
    height, width, channels = t.outputs["max_pool_2"].shape
    cell = maps["dw"][channel] / width
    assert marks["kind"] == ["unit", "pixel"]
    assert maps["x"][channel] < marks["x"][1] < maps["x"][channel] + maps["dw"][channel]
    assert marks["x"][1] == pytest.approx(maps["x"][channel] + (col + 0.5) * cell, abs=1e-6)
    assert marks["y"][1] == pytest.approx(maps["y"][channel] - (row + 0.5) * cell, abs=1e-6)
    readout = page.evaluate("() => window.__model('flatten:readout').text")
    assert f"Flatten unit {u} is pixel (row {row}, column {col}) of max_pool_2 · channel {channel}" in readout
    browser_page.screenshot("08_flatten_unit_hovered")

    # a pixel of a map is the same as its unit
    r, q, c = 3, 7, (channel + 1) % channels
    move(page, "flatten:figure", maps["x"][c] + (q + 0.5) * cell, maps["y"][c] - (r + 0.5) * cell)
    v = (r * width + q) * channels + c
    wait_for(page, "window.__data('flatten:focus').index[0] === arg", v)
    check_flatten(page, t, ("unit", v))

    # an output unit shows its strongest edges
    targets = data(page, "flatten:targets")
    k = (t.predicted_class + 3) % t.network.num_classes
    move(page, "flatten:figure", targets["x"][k], targets["y"][k])
    wait_for(page, "window.__data('flatten:focus').kind[0] === 'target'")
    check_flatten(page, t, ("target", k))
    browser_page.assert_clean()


# -- a new picture ------------------------------------------------------------------------
def test_a_gallery_photo_refills_both_views(browser_page):
    page = open_page(browser_page)
    before = page.evaluate("() => window.__data('softmax:terms').text.join(' ')")
    t = choose_photo(page)
    check_flatten(page, t)
    check_softmax(page, t)
    after = data(page, "softmax:terms")
    assert " ".join(after["text"]) != before  # the equation shows the new numbers
    assert after["text"][0] == f"p({t.predicted_label}) ="
    # the colour scales follow the new numbers
    ranges = {name: (low, high) for name, low, high in mapper_ranges(page, "flatten:figure")}
    np.testing.assert_allclose(ranges["flatten:maps"], source_range(t), atol=ATOL, rtol=0)
    np.testing.assert_allclose(ranges["flatten:units"], source_range(t), atol=ATOL, rtol=0)
    np.testing.assert_allclose(ranges["flatten:targets"], target_range(t.logits, True), atol=ATOL, rtol=0)
    [(_, low, high)] = mapper_ranges(page, "softmax:table")
    np.testing.assert_allclose([low, high], target_range(t.logits, True), atol=ATOL, rtol=0)
    # the readout adds up the new logit
    readout = page.evaluate("() => window.__model('flatten:readout').text")
    assert f"<b>{t.predicted_label}</b>: logit" in readout
    browser_page.screenshot("08_flatten_after_gallery_click")
    browser_page.assert_clean()


def test_the_readers_choices_survive_a_new_photo(browser_page):
    page = open_page(browser_page)
    t0 = default_trace()
    units = data(page, "flatten:units")
    u = int(np.argsort(-t0.flattened)[5])
    move(page, "flatten:figure", units["x"][u], units["y"][u])
    wait_for(page, "window.__data('flatten:focus').index[0] === arg", u)
    names = tuple(t0.network.class_name(k) for k in range(t0.network.num_classes))
    k = (t0.predicted_class + 4) % len(names)
    click(page, "softmax:table", _table_geometry(names, VIEW_WIDTH)["circle_x"], data(page, "softmax:classes")["y"][k])
    wait_for(page, "window.__data('softmax:choice').kind[0] === 'pinned'")
    page.mouse.move(5, 5)
    wait_for(page, "window.__data('softmax:classes').hl.every((v) => v === 0)")
    t = choose_photo(page, 1)  # not the default picture, with or without the data set
    check_flatten(page, t, ("unit", u))
    check_softmax(page, t, chosen=k)
    browser_page.assert_clean()


# -- any network: a hidden dense layer after the flatten layer, a separate Softmax layer ----
@pytest.mark.parametrize("which", ["strided_cnn", "tiny_cnn"])
def test_the_refills_follow_any_network(chromium, which):
    from bokeh.layouts import column

    from explainer_core.arithmetic.network import Network
    from explainer_core.page.webmodel import network_js

    from .conftest import seed_weights, strided_cnn
    from .test_browser_refill_conv import noise_pictures, show_png, standalone_page, tiny_cnn

    network = Network.from_keras(seed_weights(strided_cnn() if which == "strided_cnn" else tiny_cnn(), seed=3))
    built, png, t = noise_pictures(network, seed=11)
    context, page = standalone_page(chromium, column(flatten_view(built), softmax_view(built)), network)
    try:
        # the first frame, as access_ready.js draws it in a book page: the views' own picture, traced here
        page.evaluate(network_js(network))  # the network under the name the views' picture gives
        pictures = page.evaluate("async () => await ExplainerPage.fillDocument(Bokeh.documents[0])")
        assert pictures == 2  # each view carries its own picture
        check_flatten(page, built)
        check_softmax(page, built)
        show_png(page, png)
        check_flatten(page, t)
        check_softmax(page, t)
        assert page.errors == []
    finally:
        context.close()
