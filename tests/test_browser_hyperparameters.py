"""In the built book: the hyperparameter widget's JavaScript agrees with explainer_core.arithmetic.hyperparams,
explains invalid combinations in words, and animates the kernel.

Page: book/05_hyperparameters.html (the widget's models are named ``hyper:...``).
"""

from __future__ import annotations

import itertools
import time

import pytest

from explainer_core.arithmetic.hyperparams import check_hyperparameters, conv_output_size, window_positions
from explainer_core.errors import HyperparameterError
from explainer_core.views.hyperparameter_widget import hyperparameter_data, hyperparameter_widget

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGE = "book/05_hyperparameters.html"
KEY = "hyper"
SOURCES = ("cells", "positions", "kernel", "out", "current", "titles", "frame")

HELPERS = """() => {
  window.__model = (name) => {
    for (const doc of Bokeh.documents) {
      const model = doc.get_model_by_name(name);
      if (model != null) return model;
    }
    throw new Error(`no Bokeh model named ${name}`);
  };
  window.__center = (name) => {
    const view = Bokeh.index.find_one(window.__model(name));
    view.el.scrollIntoView({block: "center"});
    const box = view.el.getBoundingClientRect();
    return [box.left + box.width / 2, box.top + box.height / 2];
  };
  window.__sources = (names) => Object.fromEntries(names.map((name) => {
    const data = window.__model(`hyper:${name}`).data;
    return [name, Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Array.from(v)]))];
  }));
}"""


@pytest.fixture
def page(browser_page):
    page = browser_page.goto(PAGE)
    page.evaluate(HELPERS)
    yield page
    browser_page.assert_clean()


def set_sliders(page, n: int, p: int, k: int, s: int) -> None:
    """Set the four sliders as a reader would leave them, then wait for the widget to redraw."""
    page.evaluate(
        """([n, p, k, s]) => {
            window.__model("hyper:input_size").value = n;
            window.__model("hyper:padding").value = p;
            window.__model("hyper:kernel_size").value = k;
            window.__model("hyper:stride").value = s;
        }""",
        [n, p, k, s],
    )
    expected = hyperparameter_data(n, p, k, s)
    # the callback redraws everything in one go once the arithmetic's promise resolves; the titles come last
    page.wait_for_function(
        """([count, titles]) => window.__model('hyper:cells').data.x.length === count &&
            JSON.stringify(Array.from(window.__model('hyper:titles').data.text)) === JSON.stringify(titles)""",
        arg=[len(expected["cells"]["x"]), expected["titles"]["text"]],
    )


def assert_same_columns(ours: dict, theirs: dict) -> None:
    for name in SOURCES:
        assert set(ours[name]) == set(theirs[name]), name
        for column, values in theirs[name].items():
            if values and isinstance(values[0], float):
                assert ours[name][column] == pytest.approx(list(values), abs=1e-9), (name, column)
            else:
                assert ours[name][column] == list(values), (name, column)


def test_the_javascript_arithmetic_equals_python_over_the_grid(page):
    """math.js, as embedded in the page, against arithmetic.hyperparams for every small combination."""
    combos = list(itertools.product(range(0, 10), range(0, 10), range(0, 6), range(0, 5)))  # n, k, s, p
    results = page.evaluate(
        """async (combos) => {
            const hp = await window.__model("hyper:math").execute(null);
            return combos.map(([n, k, s, p]) => {
                const check = hp.check_hyperparameters(n, k, s, p);
                let size = null, error = null, positions = null;
                try {
                    size = hp.conv_output_size(n, k, s, p);
                    positions = hp.window_positions(n, k, s, p).map((w) => [w.output_row, w.output_col, w.top, w.left]);
                } catch (e) {
                    error = e.message;
                }
                return {check, size, error, positions};
            });
        }""",
        combos,
    )
    assert len(results) == len(combos) == 3000
    for (n, k, s, p), js in zip(combos, results, strict=True):
        check = check_hyperparameters(n, k, s, p)
        where = f"n={n} k={k} s={s} p={p}"
        assert js["check"] == {
            "valid": check.valid,
            "output_size": check.output_size,
            "left_out": check.left_out,
            "reason": check.reason,
        }, where
        try:
            size = conv_output_size(n, k, s, p)
        except HyperparameterError as error:
            assert js["error"] == str(error) and js["size"] is None, where
        else:
            assert js["size"] == size and js["error"] is None, where
            assert js["positions"] == [list(w) for w in window_positions(n, k, s, p)], where


def test_an_invalid_combination_is_explained_and_the_plot_stays(page):
    # a 2×2 kernel with stride 2 on a 5×5 input never reaches the last column and row
    set_sliders(page, 5, 0, 2, 2)
    check = check_hyperparameters(5, 2, 2, 0)
    page.wait_for_function("(reason) => window.__model('hyper:message').text.includes(reason)", arg=check.reason)
    message = page.evaluate("() => window.__model('hyper:message').text")
    assert "Invalid" in message and check.reason in message
    drawn = page.evaluate("() => window.__sources(['cells', 'out', 'kernel'])")
    assert len(drawn["cells"]["x"]) == 25 and drawn["cells"]["hatch"].count("/") == 25 - 16
    assert len(drawn["out"]["x"]) == 4 and len(drawn["kernel"]["x"]) == 4
    assert_not_blank(page)

    # a kernel larger than the input: no output at all, but the input and the kernel are still drawn
    set_sliders(page, 3, 0, 6, 1)
    reason = check_hyperparameters(3, 6, 1, 0).reason
    assert reason == "The 6×6 kernel does not fit inside the 3×3 input."
    page.wait_for_function("(reason) => window.__model('hyper:message').text.includes(reason)", arg=reason)
    drawn = page.evaluate("() => window.__sources(['cells', 'out', 'kernel', 'titles'])")
    assert len(drawn["cells"]["x"]) == 9 and drawn["out"]["x"] == [] and len(drawn["kernel"]["x"]) == 36
    assert drawn["titles"]["text"][1] == "No output"
    assert model(page, "hyper:play", "disabled")
    assert_not_blank(page)


def model(page, name: str, attribute: str):
    return page.evaluate("([name, attribute]) => window.__model(name)[attribute]", [name, attribute])


def assert_not_blank(page) -> None:
    """The figure's canvas shows more than a background: many different colours."""
    box = page.evaluate(
        """() => {
            const view = Bokeh.index.find_one(window.__model("hyper:figure"));
            view.el.scrollIntoView({block: "center"});
            const r = view.canvas_view.el.getBoundingClientRect();
            return {x: r.left, y: r.top, width: r.width, height: r.height};
        }"""
    )
    from io import BytesIO

    from PIL import Image

    image = Image.open(BytesIO(page.screenshot(clip=box))).convert("RGB")
    colours = image.getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 20, "the widget's plot is blank"


def test_the_browser_draws_what_python_draws(page):
    """The twins (explainer_core/twins.py, "hyperparameters"): update.js gives the same source columns as
    hyperparameter_data(), and the same sentence as the widget Python builds, for the same sliders."""
    initial = page.evaluate(f"() => window.__sources({list(SOURCES)!r})")
    n, p, k, s = (model(page, f"hyper:{name}", "value") for name in ("input_size", "padding", "kernel_size", "stride"))
    assert_same_columns(initial, hyperparameter_data(n, p, k, s))
    for combo in [(4, 2, 3, 1), (8, 3, 1, 4), (1, 0, 1, 1), (7, 1, 5, 3), (5, 0, 2, 2), (2, 0, 6, 1)]:
        set_sliders(page, *combo)
        assert_same_columns(page.evaluate(f"() => window.__sources({list(SOURCES)!r})"), hyperparameter_data(*combo))
        assert model(page, "hyper:message", "text") == python_message(*combo), combo


def python_message(n: int, p: int, k: int, s: int) -> str:
    """The sentence the widget built in Python shows for these sliders."""
    return hyperparameter_widget(n, p, k, s).select_one({"name": "hyper:message"}).text


def test_play_slides_the_kernel_and_pause_stops_it(page):
    set_sliders(page, 7, 0, 3, 1)  # 25 positions
    click = page.evaluate("() => window.__center('hyper:play')")
    page.mouse.click(*click)
    seen = []
    for _ in range(4):
        seen.append(
            (
                model(page, "hyper:position", "value"),
                tuple(page.evaluate("() => Array.from(window.__model('hyper:kernel').data.x).slice(0, 1)")),
            )
        )
        time.sleep(0.7)
    values = [v for v, _ in seen]
    assert all(b > a for a, b in zip(values, values[1:], strict=False)), values
    assert len({x for _, x in seen}) > 1  # the kernel moved on the input
    page.mouse.click(*click)
    stopped = []
    for _ in range(3):
        stopped.append(model(page, "hyper:position", "value"))
        time.sleep(0.7)
    assert len(set(stopped)) == 1, stopped
    # the output fills in up to the kernel's position
    fills = page.evaluate("() => Array.from(window.__model('hyper:out').data.fill)")
    assert fills.count("#60a5fa") == stopped[0] + 1
