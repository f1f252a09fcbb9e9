"""In the built book: the distribution view (book/13_how_networks_see_the_classes) swaps models and links its maps.

The expected numbers are Python's: ``distribution_columns`` and ``shown_columns`` of
explainer_core/views/distribution_view on the precomputed softmax outputs of the members the
page shows (read from disk again). The pointer is moved with ``page.mouse`` to the pixels where
the classes are drawn, as a reader would drag and click.

Build once and point the tests at it::

    CNN_EXPLAINER_DATA=... .venv/bin/jupyter-book build . -W --path-output /tmp/book
    BOOK_HTML_DIR=/tmp/book/_build/html .venv/bin/pytest tests/test_browser_distribution_view.py
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from explainer_core.page.sphinxext.offline import external_loads
from explainer_core.views.distribution_view import MODES, distribution_columns, shown_columns

from .browser import BOKEH_LOOKUP_JS
from .test_book_pages import PAGE_BUDGET_BYTES
from .test_browser_access import PHONE, tab_to

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DOC = "book/13_how_networks_see_the_classes"
PAGE = f"{DOC}.html"
KEY = "distribution"
HELPERS = "() => {" + BOKEH_LOOKUP_JS + """
  // the pixel of data point (x, y) of figure `name`, after scrolling the figure to the middle of the window
  window.__point = (name, x, y) => {
    const model = window.__model(name);
    const view = Bokeh.index.find_one(model);
    view.el.scrollIntoView({block: "center"});
    const box = view.canvas_view.el.getBoundingClientRect();
    return [box.left + view.frame.x_scale.compute(x), box.top + view.frame.y_scale.compute(y)];
  };
  window.__label = (name) => window.__model(name).html_attributes["aria-label"];
  window.__selected = (name) => Array.from(window.__model(name).selected.indices).sort((a, b) => a - b);
  // the figure's ranges as drawn now
  window.__ranges = (name) => { const f = window.__model(name);
    return [f.x_range.start, f.x_range.end, f.y_range.start, f.y_range.end]; };
}"""


# -- the page and its expected numbers ------------------------------------------------------
@cache
def columns_for(names: tuple[str, ...]) -> dict:
    """Python's columns for the members the page shows, in its order, from the stored softmax outputs."""
    from explainer_core.precompute import load

    index, arrays = load()
    missing = [name for name in names if name not in index["members"]]
    if missing:
        pytest.fail(f"the page shows {missing}, whose outputs are gone: rebuild the book")
    rows = [index["members"].index(name) for name in names]
    return distribution_columns(arrays["val_probabilities"][rows], arrays["val_labels"], list(names),
                                index["class_names"])


def open_page(browser_page, *, phone: bool = False, dark: bool = False):
    return browser_page.open(PAGE, HELPERS, phone=phone, dark=dark)


def data(page, name: str) -> dict:
    return page.evaluate("(n) => window.__data(n)", f"{KEY}:{name}")


def expected(page) -> dict:
    return columns_for(tuple(data(page, "models")["name"]))


def assert_same(got: dict, want: dict, where: str) -> None:
    """Every column equal: texts exactly, numbers to 1e-12, lists of either item by item."""
    assert set(got) == set(want), (where, set(got) ^ set(want))
    for column, values in want.items():
        same(got[column], values, f"{where}.{column}")


def same(got, want, at: str) -> None:
    if isinstance(want, str):
        assert got == want, at
    elif isinstance(want, list | tuple | np.ndarray):
        assert len(got) == len(want), at
        if len(want) and not isinstance(want[0], str | list | tuple | np.ndarray):
            np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float), atol=1e-12,
                                       err_msg=at)
        else:
            for k, (g, w) in enumerate(zip(got, want, strict=True)):
                same(g, w, f"{at}[{k}]")
    else:
        assert abs(float(got) - float(want)) <= 1e-12, at


def assert_shown(page, columns: dict, m: int, mode: str) -> None:
    """The page shows model ``m`` coloured by ``mode`` exactly as ``shown_columns`` says, and its maps follow."""
    page.wait_for_function("([key, m, mode]) => window.__model(`${key}:model_menu`).value === String(m) && "
                           "window.__model(`${key}:colour_menu`).value === mode", arg=[KEY, m, mode])
    shown = shown_columns(columns, m, mode)
    page.wait_for_function("([key, x]) => window.__model(`${key}:classes`).data.x[0] === x",
                           arg=[KEY, float(shown["classes"]["x"][0])])
    assert_same(data(page, "classes"), shown["classes"], "classes")
    assert_same(data(page, "images"), shown["images"], "images")
    state = page.evaluate("""(key) => ({
        status: window.__model(`${key}:status`).text, legend: window.__model(`${key}:image_legend`).text,
        class_label: window.__label(`${key}:class_map`), image_label: window.__label(`${key}:image_map`),
        class_title: window.__model(`${key}:class_map`).title.text,
        image_title: window.__model(`${key}:image_map`).title.text,
    })""", KEY)
    assert (state["class_title"], state["image_title"]) == (shown["class_title"], shown["image_title"])
    assert state["status"].startswith(shown["status"])
    assert state["legend"] == shown["legend"]
    assert state["class_label"].startswith(shown["class_label"])
    assert state["image_label"].startswith(shown["image_label"])
    # the points moved: every map's ranges now hold the model's points (the ranges follow the data)
    for figure, source in (("class_map", "classes"), ("image_map", "images")):
        page.wait_for_function("""([name, xs, ys]) => { const [x0, x1, y0, y1] = window.__ranges(name);
            return xs.every((x) => x0 <= x && x <= x1) && ys.every((y) => y0 <= y && y <= y1); }""",
                               arg=[f"{KEY}:{figure}", [float(v) for v in shown[source]["x"]],
                                    [float(v) for v in shown[source]["y"]]])


def pixels(page, columns: dict, m: int) -> np.ndarray:
    """Where model ``m``'s classes are drawn on the class map, in the window's pixels."""
    models = columns["models"]
    return np.asarray([page.evaluate("([n, x, y]) => window.__point(n, x, y)", [f"{KEY}:class_map", float(x), float(y)])
                       for x, y in zip(models["class_x"][m], models["class_y"][m], strict=True)])


def menu_label(columns: dict, m: int) -> str:
    models = columns["models"]
    return f"{models['name'][m]} ({models['top1_text'][m]} right)"


def pictures_of(columns: dict, classes: list[int]) -> list[int]:
    return [i for i, c in enumerate(columns["images"]["class_index"]) if c in classes]


def assert_highlighted(page, columns: dict, classes: list[int]) -> None:
    """Classes ``classes`` are selected on the class map, their pictures on the picture map, their boxes ticked."""
    want = pictures_of(columns, classes)
    page.wait_for_function("([name, n]) => window.__selected(name).length === n", arg=[f"{KEY}:images", len(want)])
    assert page.evaluate("(n) => window.__selected(n)", f"{KEY}:classes") == sorted(classes)
    assert page.evaluate("(n) => window.__selected(n)", f"{KEY}:images") == want
    boxes = page.evaluate("(n) => Array.from(window.__model(n).active).sort((a, b) => a - b)", f"{KEY}:class_boxes")
    assert boxes == sorted(classes)
    names = [columns["classes"]["class_name"][c] for c in sorted(classes)]
    status = page.evaluate("(n) => window.__model(n).text", f"{KEY}:status")
    label = page.evaluate("(n) => window.__label(n)", f"{KEY}:image_map")
    if names:
        said = f"Highlighted: the pictures of {', '.join(names)}."
        assert status.endswith(said) and label.endswith(said)
    else:
        assert "Highlighted" not in status and "Highlighted" not in label


# -- the tests ------------------------------------------------------------------------------------
def test_the_first_frame_is_pythons_and_every_map_says_its_numbers(browser_page):
    page = open_page(browser_page)
    columns = expected(page)
    assert_same(data(page, "models"), columns["models"], "models")
    assert_shown(page, columns, columns["start"], "group")
    assert page.evaluate("(n) => window.__label(n)", f"{KEY}:class_map") == columns["models"]["class_label"][0]
    browser_page.screenshot("distribution-view-1280", full_page=True)
    browser_page.assert_clean()


def test_the_menus_switch_the_model_and_the_colouring_from_the_keyboard(browser_page):
    page = open_page(browser_page)
    columns = expected(page)
    tab_to(page, "Model")
    page.keyboard.press("ArrowDown")
    assert_shown(page, columns, 1, "group")
    # the best member, by its label in the menu
    models = columns["models"]
    best = int(np.argmax(models["top1"]))
    page.get_by_role("combobox", name="Model").select_option(label=menu_label(columns, best))
    assert_shown(page, columns, best, "group")
    if best != 0:  # the points did move
        assert data(page, "classes")["x"] != shown_columns(columns, 0)["classes"]["x"]
    tab_to(page, "Colour the pictures by")
    for mode in list(MODES)[1:]:
        page.keyboard.press("ArrowDown")
        assert_shown(page, columns, best, mode)
    browser_page.screenshot("distribution-view-best-outcome", full_page=True)
    browser_page.assert_clean()


def test_a_box_or_a_click_on_classes_highlights_their_pictures(browser_page):
    page = open_page(browser_page)
    columns = expected(page)
    m = columns["start"]
    at = pixels(page, columns, m)
    # a box around the model's nearest pair of classes; expected: the classes whose pixels lie inside it
    names = list(columns["classes"]["class_name"])
    pair = [names.index(c) for c in columns["models"]["pair"][m]]
    low, high = at[pair].min(axis=0) - 10, at[pair].max(axis=0) + 10
    inside = sorted(int(i) for i in np.flatnonzero(((at >= low) & (at <= high)).all(axis=1)))
    assert set(pair) <= set(inside)
    page.mouse.move(*low)
    page.mouse.down()
    page.mouse.move(*((low + high) / 2), steps=4)
    page.mouse.move(*high, steps=4)
    page.mouse.up()
    assert_highlighted(page, columns, inside)
    browser_page.screenshot("distribution-view-box", full_page=True)

    # the highlight stays while the model changes: the pictures are the same rows
    page.get_by_role("combobox", name="Model").select_option(index=len(columns["models"]["name"]) - 1)
    assert_shown(page, columns, len(columns["models"]["name"]) - 1, "group")
    assert_highlighted(page, columns, inside)

    # a click on one class selects it alone; a click on an empty spot clears
    m = len(columns["models"]["name"]) - 1
    at = pixels(page, columns, m)
    k = next(c for c in range(len(names)) if c not in inside)
    page.mouse.move(1, 1)
    page.mouse.click(*at[k])
    assert_highlighted(page, columns, [k])
    empty = page.evaluate("""(name) => { const view = Bokeh.index.find_one(window.__model(name));
        const box = view.canvas_view.el.getBoundingClientRect();
        return [box.left + view.frame.bbox.left + 3, box.top + view.frame.bbox.top + 3]; }""", f"{KEY}:class_map")
    assert np.min(np.linalg.norm(at - np.asarray(empty), axis=1)) > 20
    page.mouse.move(*empty)
    page.wait_for_timeout(600)  # not a double click with the click before
    page.mouse.click(*empty)
    assert_highlighted(page, columns, [])
    browser_page.assert_clean()


def test_the_class_boxes_highlight_from_the_keyboard(browser_page):
    page = open_page(browser_page)
    columns = expected(page)
    names = list(columns["classes"]["class_name"])
    tab_to(page, names[1])
    page.keyboard.press("Space")
    assert_highlighted(page, columns, [1])
    tab_to(page, names[3], limit=5)
    page.keyboard.press("Space")
    assert_highlighted(page, columns, [1, 3])
    page.keyboard.press("Space")
    assert_highlighted(page, columns, [1])
    browser_page.assert_clean()


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_a_phone_sees_the_whole_view_without_scrolling_sideways(browser_page, dark):
    page = open_page(browser_page, phone=True, dark=dark)
    browser_page.assert_fits_a_phone()
    rights = page.evaluate("""(key) => ['class_map', 'image_map', 'class_boxes', 'image_legend'].map((n) =>
        Bokeh.index.find_one(window.__model(`${key}:${n}`)).el.getBoundingClientRect().right)""", KEY)
    assert max(rights) <= PHONE["width"], rights
    columns = expected(page)
    m = len(columns["models"]["name"]) - 1
    page.get_by_role("combobox", name="Model").select_option(label=menu_label(columns, m))
    assert_shown(page, columns, m, "group")
    browser_page.screenshot(f"distribution-view-phone-{'dark' if dark else 'light'}", full_page=True)
    browser_page.assert_clean()


def test_the_page_is_small_and_fetches_nothing_from_other_hosts(browser_page, book_html):
    html = (book_html / PAGE).read_text(encoding="utf-8")
    assert len(html.encode()) < PAGE_BUDGET_BYTES
    assert external_loads(html) == []
    page = open_page(browser_page)
    page.wait_for_load_state("networkidle")
    assert not browser_page.external_requests
    browser_page.assert_clean()
