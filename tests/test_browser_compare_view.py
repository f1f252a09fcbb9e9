"""In the built book: the comparison view (book/15_comparing_explanations) draws the engine's numbers.

The expected numbers are explainer_core.compare's, on the maps of model/comparison/ and the photo
read back from the block the page fetched (whose maps are checked against the precomputed ones):
contour levels, each row's bands and thresholded picture (decoded from the PNG the table shows,
so every row is checked against its own model's map), the histograms, the similarity matrix, and
the class accuracies of the cards. Also: sorting, searching, a picture's change fetching only that
picture's file, the empty-field message and reset, the keyboard, a 390-pixel phone.

Build once with the chapter and point the tests at it::

    CNN_EXPLAINER_DATA=... .venv/bin/jupyter-book build . --toc /tmp/h3/toc.yml --path-output /tmp/h3 -W
    BOOK_HTML_DIR=/tmp/h3/_build/html .venv/bin/pytest tests/test_browser_compare_view.py
"""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

from explainer_core.compare import (
    RULES,
    accuracy_overview,
    contour_levels,
    remove_below,
    salient_histograms,
    similarity_matrix,
)
from explainer_core.models.loading import card_path
from explainer_core.models.zoo import ZOO
from explainer_core.page.sphinxext.offline import external_loads
from explainer_core.precompute import load
from explainer_core.views.compare_view.payload import block_from_bytes, block_name

from .browser import BOKEH_LOOKUP_JS
from .test_book_pages import PAGE_BUDGET_BYTES
from .test_browser_access import PHONE, tab_to

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGE = "book/15_comparing_explanations.html"
K = "compare"
HELPERS = "() => {" + BOKEH_LOOKUP_JS + "}"


@pytest.fixture(scope="module")
def precomputed():
    index, arrays = load()
    cards = [json.loads(card_path(ZOO[name].path).read_text()) for name in index["members"]]
    return index, arrays["maps"], cards


def open_page(browser_page, phone: bool = False):
    page = browser_page.open(PAGE, HELPERS, phone=phone)
    wait_drawn(page, 1)
    return page


def wait_drawn(page, at_least: int):
    page.wait_for_function(
        "(n) => { const d = window.__model('compare:task').data.drawn; return d.length > 0 && d[0] >= n; }",
        arg=at_least,
    )
    return page.evaluate("() => window.__data('compare:task')")


def data(page, name):
    return page.evaluate("(n) => window.__data(n)", name)


def set_value(page, name, value):
    """A control's value; the models are checkboxes, so their value is the list of ticked labels."""
    page.evaluate(
        """([n, v]) => { const m = window.__model(n);
            if (n.endsWith(':models')) m.active = v.map((label) => m.labels.indexOf(label)); else m.value = v; }""",
        [name, value],
    )


def block(book_html, p, index):
    raw = (book_html / "_static" / "comparison" / block_name(p)).read_bytes()
    return block_from_bytes(raw, len(index["members"]), len(index["methods"]))


def png_pixels(url: str) -> np.ndarray:
    """A table cell's picture, back at the map's 64 x 64 (it is drawn at twice the size)."""
    raw = base64.b64decode(url.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(raw)).convert("RGB"))[::2, ::2]


def assert_rows_are_the_engines(page, book_html, precomputed, p, k, th):
    """Every shown row: its bands, kept share and thresholded picture from its own map; its class accuracy."""
    index, maps, cards = precomputed
    b = block(book_html, p, index)
    np.testing.assert_array_equal(b.maps, maps[:, :, p])  # the fetched file holds the precomputed maps
    task = data(page, "compare:task")
    rows = data(page, "compare:rows")
    levels = contour_levels(th)
    np.testing.assert_allclose(data(page, "compare:levels")["level"], levels, atol=1e-12)
    overview = accuracy_overview(cards)
    label = index["photos"][p]["label"]
    assert task["models"][0], "no model drawn"
    for m in task["models"][0]:
        values = maps[m, k, p] / 255.0
        want_bands = [int((values < levels[0]).sum())] + [
            int(((values >= lo) & (values < hi)).sum()) for lo, hi in zip(levels, [*levels[1:], np.inf], strict=True)
        ]
        assert rows["bands"][m] == want_bands, index["members"][m]
        assert rows["kept"][m] == pytest.approx(1 - want_bands[0] / values.size, abs=1e-12)
        np.testing.assert_array_equal(
            png_pixels(rows["kept_png"][m]), remove_below(b.pixels, values, th), err_msg=index["members"][m]
        )
        assert rows["class_acc"][m] == pytest.approx(overview[m].per_class[label], abs=1e-12)
    # the histograms: the pinned model (the first selected, else the first shown)
    selected = [
        i
        for i in page.evaluate("() => Array.from(window.__model('compare:rows').selected.indices)")
        if i in task["models"][0]
    ]
    m = selected[0] if selected else task["models"][0][0]
    hist = data(page, "compare:hist")
    photos = hist["photo"][::3]
    if len(task["models"][0]) == 1:  # one model: every gallery picture of the class, the chosen one first
        same = [q for q, photo in enumerate(index["photos"]) if photo["label"] == label and q != p]
        assert photos == [p, *same]
    else:
        assert photos == [p]
    for n, q in enumerate(photos):
        want = salient_histograms(block(book_html, q, index).pixels, maps[m, k, q] / 255.0, th)
        np.testing.assert_array_equal(np.array(hist["ys"][3 * n : 3 * n + 3]), want, err_msg=f"picture {q}")


def assert_matrix_is_the_engines(page, precomputed, p, k, rule):
    index, maps, _ = precomputed
    task = data(page, "compare:task")
    chosen = task["models"][0]
    cells = data(page, "compare:cells")
    want = similarity_matrix(maps[chosen, k, p] / 255.0, rule)
    got = np.array(cells["value"]).reshape(len(chosen), len(chosen))
    np.testing.assert_allclose(got, want, atol=2e-6)  # distances travel as float32
    names = data(page, "compare:rows")["name"]
    assert cells["x"][: len(chosen)] == [names[m] for m in chosen]


# -- the tests ------------------------------------------------------------------------------------
def test_first_frame_is_the_engines_and_carried_by_the_page(browser_page, book_html, precomputed):
    page = open_page(browser_page)
    task = data(page, "compare:task")
    assert (task["picture"][0], task["method"][0], task["rule"][0], task["threshold"][0]) == (0, 0, 0, 0)
    assert_rows_are_the_engines(page, book_html, precomputed, 0, 0, 0.0)
    assert_matrix_is_the_engines(page, precomputed, 0, 0, "l1")
    # the first picture is carried in the page: no block was fetched
    assert not [f for f in browser_page.loaded_files() if f.startswith("_static/comparison/")]
    html = (book_html / PAGE).read_text(encoding="utf-8")
    assert len(html.encode()) <= PAGE_BUDGET_BYTES
    assert not external_loads(html)
    browser_page.assert_clean()


def test_threshold_redraws_every_row_from_its_own_map(browser_page, book_html, precomputed):
    page = open_page(browser_page)
    set_value(page, f"{K}:models", precomputed[0]["members"][:0] + [c["name"] for c in precomputed[2][:6]])
    drawn = wait_drawn(page, 2)["drawn"][0]
    set_value(page, f"{K}:threshold", 0.5)
    wait_drawn(page, drawn + 1)
    assert len(data(page, "compare:task")["models"][0]) == 6
    assert_rows_are_the_engines(page, book_html, precomputed, 0, 0, 0.5)
    browser_page.assert_clean()


def test_changing_the_picture_fetches_only_its_file(browser_page, book_html, precomputed):
    page = open_page(browser_page)
    set_value(page, f"{K}:picture", "7")
    wait_drawn(page, 2)
    assert data(page, "compare:task")["picture"][0] == 7
    fetched = sorted(f for f in browser_page.loaded_files() if f.startswith("_static/comparison/"))
    assert fetched == [f"_static/comparison/{block_name(7)}"]
    assert_rows_are_the_engines(page, book_html, precomputed, 7, 0, 0.0)
    assert_matrix_is_the_engines(page, precomputed, 7, 0, "l1")
    # another method on the same picture: no new file
    set_value(page, f"{K}:method", precomputed[0]["methods"][3])
    wait_drawn(page, 3)
    assert_rows_are_the_engines(page, book_html, precomputed, 7, 3, 0.0)
    assert len([f for f in browser_page.loaded_files() if f.startswith("_static/comparison/")]) == 1
    browser_page.assert_clean()


def test_one_model_shows_the_histograms_of_its_class(browser_page, book_html, precomputed):
    page = open_page(browser_page)
    name = precomputed[2][8]["name"]
    set_value(page, f"{K}:models", [name])
    wait_drawn(page, 2)
    set_value(page, f"{K}:threshold", 0.3)
    task = wait_drawn(page, 3)
    assert task["models"][0] == [8]
    assert_rows_are_the_engines(page, book_html, precomputed, 0, 0, 0.3)
    assert name in page.evaluate("() => window.__model('compare:histogram').title.text")
    browser_page.assert_clean()


def test_rule_change_recomputes_the_matrix(browser_page, precomputed):
    page = open_page(browser_page)
    for n, rule in enumerate(RULES[1:], start=2):
        set_value(page, f"{K}:rule", rule)
        wait_drawn(page, n)
        assert data(page, "compare:task")["rule"][0] == RULES.index(rule)
        assert_matrix_is_the_engines(page, precomputed, 0, 0, rule)
    browser_page.assert_clean()


def _table_names(page) -> list[str]:
    """The model column of the table's rows, top to bottom, as drawn."""
    return page.evaluate("""() => {
        const rows = [];
        const visit = (node) => {
            if (node.shadowRoot) visit(node.shadowRoot);
            for (const child of node.children || []) {
                if (child.classList && child.classList.contains('slick-row')) rows.push(child);
                else visit(child);
            }
        };
        visit(document.body);
        return rows.map((r) => [parseFloat(r.style.top) || 0, r.querySelector('.slick-cell').textContent.trim()])
                   .sort((a, b) => a[0] - b[0]).map((r) => r[1]);
    }""")


def test_sorting_and_searching(browser_page, precomputed):
    page = open_page(browser_page)
    names = [c["name"] for c in precomputed[2]]
    set_value(page, f"{K}:models", names[:5])
    wait_drawn(page, 2)
    rows = data(page, "compare:rows")
    page.locator(".slick-header-column", has_text="sure").first.click()
    page.wait_for_timeout(300)
    ascending = sorted(range(5), key=lambda m: rows["confidence"][m])
    got = _table_names(page)
    assert got == [names[m] for m in ascending] or got == [names[m] for m in ascending[::-1]], got
    # the sort menu (the keyboard's way) sorts as a click on a title does
    set_value(page, f"{K}:sort", "top1:desc")
    page.wait_for_timeout(300)
    assert _table_names(page) == [names[m] for m in sorted(range(5), key=lambda m: -rows["top1"][m])]
    set_value(page, f"{K}:search", "wide")
    page.wait_for_function("() => window.__model('compare:table').view.filter.indices.length < 5")
    kept = page.evaluate("() => Array.from(window.__model('compare:table').view.filter.indices)")
    assert kept == [m for m in range(5) if "wide" in (names[m] + rows["family"][m] + rows["predicted"][m]).lower()]
    browser_page.assert_clean()


def test_selection_brushes_the_matrix_and_the_histograms(browser_page, book_html, precomputed):
    page = open_page(browser_page)
    page.evaluate("() => { window.__model('compare:rows').selected.indices = [2]; }")
    page.wait_for_function(
        "() => window.__model('compare:histogram').title.text.includes(window.__data('compare:rows').name[2])"
    )
    cells = data(page, "compare:cells")
    for a, b, alpha in zip(cells["mi"], cells["mj"], cells["alpha"], strict=True):
        assert alpha == (1 if 2 in (a, b) else 0.25)
    assert_rows_are_the_engines(page, book_html, precomputed, 0, 0, 0.0)  # the histograms follow model 2
    # a click on a cell of the matrix selects its two models, in the table and the scatter alike
    n = cells["x"].index(cells["x"][1])
    page.evaluate("(i) => { window.__model('compare:cells').selected.indices = [i]; }", n)
    page.wait_for_function(
        "(want) => { const s = Array.from(window.__model('compare:rows').selected.indices).sort();"
        "return JSON.stringify(s) === JSON.stringify(want); }",
        arg=sorted({cells["mi"][n], cells["mj"][n]}),
    )
    browser_page.assert_clean()


def test_empty_fields_are_named_and_reset_empties_them(browser_page):
    page = open_page(browser_page)
    page.locator("button", has_text="Reset").first.click()
    page.wait_for_function("() => window.__model('compare:status').text.includes('Empty fields')")
    state = page.evaluate(
        """() => [window.__model('compare:models').active,
                  ...['picture', 'method', 'rule'].map((n) => window.__model('compare:' + n).value)]"""
    )
    assert state == [[], "", "", ""]
    assert "models, picture, method, similarity rule" in data_text(page)
    set_value(page, f"{K}:picture", "3")
    page.locator("button", has_text="Run").first.click()
    page.wait_for_function("() => window.__model('compare:status').text.includes('models, method, similarity rule')")
    set_value(page, f"{K}:models", [data(page, "compare:rows")["name"][1]])
    set_value(page, f"{K}:method", "gradcam")
    set_value(page, f"{K}:rule", "ssim")
    page.locator("button", has_text="Run").first.click()
    task = wait_drawn(page, 2)
    assert task["picture"][0] == 3 and task["models"][0] == [1]
    assert data_text(page).startswith("Showing 1 model")
    browser_page.assert_clean()


def data_text(page) -> str:
    return page.evaluate("() => window.__model('compare:status').text")


def test_keyboard_reaches_the_controls(browser_page):
    page = open_page(browser_page)
    for name in (
        "Picture",
        "Explanation method",
        "Similarity rule",
        "Threshold",
        "Run",
        "Reset",
        "Search the table",
        "Sort the table by",
        "Highlight a model",
    ):
        tab_to(page, name)


def test_the_highlight_menu_selects_a_row_from_the_keyboard(browser_page):
    """Bokeh's table rows take clicks only: the menu does the same for a keyboard, and Reset clears it."""
    page = open_page(browser_page)
    tab_to(page, "Highlight a model")
    page.keyboard.press("ArrowDown")  # the first model after "(none)"
    page.wait_for_function("() => Array.from(window.__model('compare:rows').selected.indices).join() === '0'")
    cells = data(page, "compare:cells")
    for a, b, alpha in zip(cells["mi"], cells["mj"], cells["alpha"], strict=True):
        assert alpha == (1 if 0 in (a, b) else 0.25)
    page.locator("button", has_text="Reset").first.click()
    page.wait_for_function("() => window.__model('compare:highlight').value === ''")
    browser_page.assert_clean()


def test_phone_has_no_horizontal_overflow(browser_page):
    page = open_page(browser_page, phone=True)
    page.wait_for_timeout(500)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    browser_page.assert_clean()
