"""In the built book: the elastic view and the formula views react to the pointer and the play button,
and show the numbers of the Python trace.

Pages: book/04_convolutional_layers.html (elastic views, convolution formula view) and
book/07_pooling_layers.html (max pooling formula views). Expected numbers come from
explainer_core.arithmetic.formulas on the same forward pass the chapters show (default_trace()).
"""

from __future__ import annotations

import re
import time
from html import unescape

import pytest

from explainer_core.arithmetic.formulas import explain_conv, explain_maxpool
from explainer_core.page.examples import default_example, default_trace
from explainer_core.views.kit import fmt

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CONV_PAGE = "book/04_convolutional_layers.html"
POOL_PAGE = "book/07_pooling_layers.html"

#: JavaScript helpers, defined once per page: a model by name (from any embedded document), and
#: the viewport position of a data point of a figure (scrolling the figure into view first).
HELPERS = """() => {
  window.__model = (name) => {
    for (const doc of Bokeh.documents) {
      const model = doc.get_model_by_name(name);
      if (model != null) return model;
    }
    throw new Error(`no Bokeh model named ${name}`);
  };
  window.__point = (name, x, y) => {
    const view = Bokeh.index.find_one(window.__model(name));
    view.el.scrollIntoView({block: "center"});
    const box = view.canvas_view.el.getBoundingClientRect();
    return [box.left + view.frame.x_scale.compute(x), box.top + view.frame.y_scale.compute(y)];
  };
  window.__center = (name) => {
    const view = Bokeh.index.find_one(window.__model(name));
    view.el.scrollIntoView({block: "center"});
    const box = view.el.getBoundingClientRect();
    return [box.left + box.width / 2, box.top + box.height / 2];
  };
}"""


def open_page(browser_page, path: str):
    page = browser_page.goto(path)
    page.evaluate(HELPERS)
    caption = default_example(default_trace().network.input_shape[:2]).caption
    if caption not in page.inner_text("main"):
        pytest.fail(
            "The book was built with another default picture than this test process computes "
            f"({caption!r} is not on the page); build and test with the same CNN_EXPLAINER_DATA."
        )
    return page


def model_value(page, name: str, attribute: str):
    return page.evaluate("([name, attribute]) => window.__model(name)[attribute]", [name, attribute])


def source_column(page, name: str, column: str) -> list:
    return page.evaluate("([name, column]) => Array.from(window.__model(name).data[column])", [name, column])


def hover(page, figure: str, x: float, y: float) -> None:
    px, py = page.evaluate("([name, x, y]) => window.__point(name, x, y)", [figure, x, y])
    page.mouse.move(px - 3, py - 3)  # arrive from a neighbouring point, as a real pointer does
    page.mouse.move(px, py)


def click(page, name: str) -> None:
    page.mouse.click(*page.evaluate("(name) => window.__center(name)", name))


def wait_for_text(page, name: str, text: str) -> str:
    page.wait_for_function("([name, text]) => window.__model(name).text.includes(text)", arg=[name, text])
    return model_value(page, name, "text")


def spans(html: str, cls: str) -> list[str]:
    found = re.findall(r"<span class='([^']*)'>([^<]*)</span>", html)
    return [unescape(text) for classes, text in found if cls in classes.split()]


def wait_until_moved_from(page, name: str, position: int) -> int:
    """Wait (however slow the machine) until the slider ``name`` leaves ``position``; return where it is."""
    page.wait_for_function("([name, p]) => window.__model(name).value !== p", arg=[name, position])
    return model_value(page, name, "value")


def wait_until_moved_past(page, name: str, position: int) -> int:
    """Wait (however slow the machine) until the slider ``name`` is beyond ``position``; return it."""
    page.wait_for_function("([name, p]) => window.__model(name).value > p", arg=[name, position])
    return model_value(page, name, "value")


def stays_still(page, name: str, samples: int = 3, pause: float = 0.3) -> bool:
    """Whether the slider ``name`` keeps its value: a stopped player never moves, on any machine."""
    values = []
    for _ in range(samples):
        values.append(model_value(page, name, "value"))
        time.sleep(pause)
    return len(set(values)) == 1


# -- the convolution formula view --------------------------------------------------
def test_hovering_the_conv_formula_view_shows_the_traces_numbers(browser_page):
    page = open_page(browser_page, CONV_PAGE)
    t = default_trace()
    key = "conv-formula-conv_1_1"
    out_h, out_w = t.network.layer("conv_1_1").output_shape[:2]
    title = page.evaluate("(name) => window.__model(name).title.text", f"{key}:output-figure")
    channel = int(re.search(r"channel (\d+)", title).group(1))
    for row, col in [(0, 0), (10, 45), (40, 3), (out_h - 1, out_w - 1)]:
        hover(page, f"{key}:output-figure", col + 0.5, out_h - row - 0.5)
        html = wait_for_text(page, f"{key}:formula", f"(row {row}, column {col})")
        neuron = int(re.search(r"conv_1_1 · neuron (\d+) at", html).group(1))
        e = explain_conv(t, "conv_1_1", neuron, row, col)
        assert spans(html, "xv-x") == [fmt(v) for v in e.window[channel].ravel()]
        assert spans(html, "xv-w") == [fmt(v) for v in e.kernel[channel].ravel()]
        assert spans(html, "xv-result") == [fmt(e.intermediate[channel]), fmt(e.value)]
        assert spans(html, "xv-part") == [fmt(v) for v in e.intermediate]
        assert spans(html, "xv-bias") == [fmt(e.bias)]
        assert fmt(e.value) == fmt(t.outputs["conv_1_1"][row, col, neuron])
        # both heatmaps outline the same window: the input window and the output cell
        assert source_column(page, f"{key}:window-out", "x") == [col + 0.5]
        assert source_column(page, f"{key}:window-out", "y") == [out_h - row - 0.5]
        assert source_column(page, f"{key}:window-in", "x") == [col + 1.5]
        # and the zoom matrix repeats the window
        cells = page.evaluate("(name) => window.__model(name).data", f"{key}:zoom-cells")
        window = [text for text, role in zip(cells["text"], cells["role"], strict=True) if role == "window"]
        assert window == [fmt(v) for v in e.window[channel].ravel()]
    browser_page.assert_clean()


def test_hovering_the_input_moves_the_window_on_both_matrices(browser_page):
    page = open_page(browser_page, CONV_PAGE)
    t = default_trace()
    key = "conv-formula-conv_1_1"
    height = t.network.layer("conv_1_1").input_shape[0]
    hover(page, f"{key}:input-figure", 20.5, height - 30.5)  # input pixel (30, 20): the window centred on it
    html = wait_for_text(page, f"{key}:formula", "(row 29, column 19)")
    assert source_column(page, f"{key}:window-in", "x") == [19 + 1.5]
    assert source_column(page, f"{key}:window-out", "x") == [19.5]
    assert model_value(page, f"{key}:position", "value") == 29 * 62 + 19
    assert "(row 29, column 19)" in html
    browser_page.assert_clean()


def test_the_play_button_animates_and_pause_stops_it(browser_page):
    """Waits for each step and reads the slider and the formula in one step, so no machine is too slow for it."""
    page = open_page(browser_page, CONV_PAGE)
    key = "conv-formula-conv_1_1"
    start = model_value(page, f"{key}:position", "value")
    click(page, f"{key}:play")
    assert model_value(page, f"{key}:play", "active")
    # it moves forward, step after step (waiting for each step, not timing it)
    first = wait_until_moved_past(page, f"{key}:position", start)
    wait_until_moved_past(page, f"{key}:position", first)
    click(page, f"{key}:play")  # pause
    assert not model_value(page, f"{key}:play", "active")
    assert stays_still(page, f"{key}:position")
    # paused, the formula describes the window the slider names (both read in one step)
    position, formula = page.evaluate(
        "(key) => [window.__model(key + ':position').value, window.__model(key + ':formula').text]", key
    )
    assert f"(row {position // 62}, column {position % 62})" in formula
    browser_page.assert_clean()


# -- the elastic view --------------------------------------------------------------
def test_elastic_view_plays_hovers_and_switches_neurons(browser_page):
    page = open_page(browser_page, CONV_PAGE)
    t = default_trace()
    key = "elastic-conv_1_1"
    # play: the kernel moves, the edges flow, the not-yet-computed part is covered
    start = model_value(page, f"{key}:position", "value")  # the last window: the whole map computed
    click(page, f"{key}:play")
    first = wait_until_moved_from(page, f"{key}:position", start)  # play starts again from the top
    wait_until_moved_past(page, f"{key}:position", first)
    assert len(source_column(page, f"{key}:covers", "x")) > 0
    click(page, f"{key}:play")
    assert stays_still(page, f"{key}:position")
    # hover the output map (the last row of the maps source) at pixel (20, 33)
    x0, y0, dw = (source_column(page, f"{key}:maps", c)[-1] for c in ("x", "y", "dw"))
    unit = dw / 62
    hover(page, f"{key}:figure", x0 + 33.5 * unit, y0 - 20.5 * unit)
    html = wait_for_text(page, f"{key}:readout", "(row 20, column 33)")
    neuron = int(re.search(r"conv_1_1 · neuron (\d+):", html).group(1))
    expected = [fmt(v) for v in t.intermediates["conv_1_1"][neuron, :, 20, 33]]
    assert spans(html, "xv-num")[:3] == expected
    assert spans(html, "xv-result") == [fmt(t.outputs["conv_1_1"][20, 33, neuron])]
    # another neuron from the menu: its numbers replace the first one's
    other = (neuron + 1) % 10
    page.evaluate("([name, value]) => { window.__model(name).value = value }", [f"{key}:neuron", str(other)])
    html = wait_for_text(page, f"{key}:readout", f"neuron {other}:")
    assert spans(html, "xv-result") == [fmt(t.outputs["conv_1_1"][20, 33, other])]
    assert spans(html, "xv-num")[:3] == [fmt(v) for v in t.intermediates["conv_1_1"][other, :, 20, 33]]
    browser_page.assert_clean()


# -- the max pooling formula view -------------------------------------------------
def test_hovering_the_maxpool_formula_view_shows_the_traces_numbers(browser_page):
    page = open_page(browser_page, POOL_PAGE)
    t = default_trace()
    key = "maxpool-formula-max_pool_1"
    out_h = t.network.layer("max_pool_1").output_shape[0]
    for row, col in [(0, 0), (12, 7), (out_h - 1, 20)]:
        hover(page, f"{key}:output-figure", col + 0.5, out_h - row - 0.5)
        html = wait_for_text(page, f"{key}:formula", f"(row {row}, column {col})")
        neuron = int(re.search(r"max_pool_1 · neuron (\d+) at", html).group(1))
        e = explain_maxpool(t, "max_pool_1", neuron, row, col)
        assert spans(html, "xv-x") == [fmt(v) for v in e.window.ravel()]
        assert spans(html, "xv-hi") == [fmt(e.value)]  # the maximum is highlighted
        assert spans(html, "xv-result") == [fmt(e.value)] == [fmt(t.outputs["max_pool_1"][row, col, neuron])]
        assert len(source_column(page, f"{key}:zoom-marks", "x")) == 1
    browser_page.assert_clean()
