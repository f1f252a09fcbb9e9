"""In the built book: the explanation chapters (book/14 and book/17) render clean, and the maps they show are Python's.

The expected numbers are Python's: chapter 14's maps are computed again here with
``explainer_core.explain.explain`` on the chapter's picture, chapter 17's are the precomputed
maps of ``explainer_core.precompute.load()``. The pointer is moved with ``page.mouse`` to the
screen pixel of one map pixel, as a reader would hover it, and the tooltip must give that
pixel's value.

Build once and point the tests at it (the two chapters must be in the table of contents)::

    CNN_EXPLAINER_DATA=... .venv/bin/jupyter-book build . -W --toc <toc with both chapters> --path-output /tmp/h2
    BOOK_HTML_DIR=/tmp/h2/_build/html .venv/bin/pytest tests/test_browser_explanation_maps.py
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from .browser import BOKEH_LOOKUP_JS
from .test_book_pages import PAGE_BUDGET_BYTES
from .test_browser_access import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.slow]

METHODS_PAGE = "book/14_what_a_network_looks_at"
TINY_PAGE = "book/17_inside_tiny_vgg_explained"
PAGES = [METHODS_PAGE, TINY_PAGE]
#: The explanation grids each page shows (their keys), and the other figures with a text alternative.
GRIDS = {METHODS_PAGE: ["methods", "sanity"], TINY_PAGE: ["tiny", "pair"]}
HELPERS = "() => {" + BOKEH_LOOKUP_JS + """
  // the screen pixel of data point (x, y) of figure `name`, scrolled into view
  window.__point = (name, x, y) => {
    const view = Bokeh.index.find_one(window.__model(name));
    view.el.scrollIntoView({block: "center"});
    const box = view.canvas_view.el.getBoundingClientRect();
    return [box.left + view.frame.x_scale.compute(x), box.top + view.frame.y_scale.compute(y)];
  };
  // one cell's map as Bokeh holds it (bottom row first), flattened, and its size
  window.__cell = (key, k) => {
    const image = window.__model(`${key}:cells`).data.image[k];
    return {values: Array.from(image), shape: Array.from(image.shape)};
  };
  window.__label = (name) => window.__model(name).html_attributes["aria-label"];
}"""


#: The text of the shown tooltip (Bokeh puts it in the tooltip element's shadow root), or "".
TOOLTIP_JS = """const tooltip = () => {
  const find = (root) => {
    for (const el of root.querySelectorAll("*")) {
      if (el.classList.contains("bk-Tooltip") && el.shadowRoot) {
        const content = el.shadowRoot.querySelector(".bk-tooltip-content");
        if (content && content.innerText.trim()) return content.innerText;
      }
      if (el.shadowRoot) {
        const found = find(el.shadowRoot);
        if (found) return found;
      }
    }
    return "";
  };
  return find(document);
};
"""


def open_page(browser_page, doc: str, *, phone: bool = False, dark: bool = False):
    return browser_page.open(f"{doc}.html", HELPERS, phone=phone, dark=dark)


def cell_map(page, key: str, k: int) -> np.ndarray:
    """Cell ``k`` of grid ``key`` as the page holds it, top row first (as explain() returns maps)."""
    cell = page.evaluate(f"() => window.__cell('{key}', {k})")
    return np.asarray(cell["values"], dtype=np.float32).reshape(cell["shape"])[::-1]


def hover_value(page, key: str, row: int, col: int, y: int, x: int, size: int = 64, gap: int = 4) -> float:
    """Hover map pixel (y, x) of cell (row, col) of grid ``key``; the tooltip's map value."""
    page.mouse.move(1, 1)
    px, py = page.evaluate(
        f"() => window.__point('{key}:row{row}', {col * (size + gap) + x + 0.5}, {size - y - 0.5})"
    )
    page.mouse.move(px - 1, py - 1)
    page.mouse.move(px, py)
    # Bokeh draws the tooltip's text in the tooltip's own shadow root
    page.wait_for_function("() => {" + TOOLTIP_JS + "return tooltip().includes('map value'); }")
    text = page.evaluate("() => {" + TOOLTIP_JS + "return tooltip(); }")
    match = re.search(r"map value:?\s*([0-9.]+)", text)
    assert match, f"no map value in the tooltip {text!r}"
    return float(match.group(1))


# -- both pages -----------------------------------------------------------------------------------
@pytest.mark.parametrize("doc", PAGES)
def test_page_renders_clean_under_budget_with_text_alternatives(browser_page, book_html, doc):
    size = (book_html / f"{doc}.html").stat().st_size
    assert size < PAGE_BUDGET_BYTES, f"{doc}.html is {size / 1024:.0f} KB"
    page = open_page(browser_page, doc)
    for key in GRIDS[doc]:
        rows = page.evaluate(f"() => new Set(window.__model('{key}:cells').data.row).size")
        for r in range(rows):
            label = page.evaluate(f"() => window.__label('{key}:row{r}')")
            assert "strongest at the" in label and "% of the picture at 0.5 or above" in label
    browser_page.assert_clean()


@pytest.mark.parametrize("doc", PAGES)
@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_phone_width_has_no_horizontal_overflow(browser_page, doc, dark):
    page = open_page(browser_page, doc, phone=True, dark=dark)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{doc} is {width} px wide at {PHONE['width']} px"
    for key in GRIDS[doc]:
        box = page.evaluate(
            f"() => Bokeh.index.find_one(window.__model('{key}:row0')).el.getBoundingClientRect().right"
        )
        assert box <= PHONE["width"]
    browser_page.assert_clean()


# -- chapter 14: maps computed at build time -----------------------------------------------------
#: Chapter 14's grid computed again, in a process with the book kernels' TensorFlow settings
#: (explainer_core/page/sphinxext/quiet_tensorflow.py: no oneDNN, whose kernels round differently).
CHAPTER_MAPS_SCRIPT = """
import sys
import numpy as np
from explainer_core.explain import METHODS, explain
from explainer_core.models.zoo import ZOO
from explainer_core.page.examples import default_example

picture = default_example().image.astype(np.float32)
maps = [[explain(m, ZOO[name].load().keras_model, picture)[0] for m in METHODS] for name in ("tiny_vgg", "resnet_mini")]
np.save(sys.argv[1], np.array(maps))
"""


@pytest.fixture(scope="module")
def chapter_maps(tmp_path_factory):
    """Chapter 14's grid: Tiny VGG's and resnet_mini's maps of the chapter's picture, by (row, column)."""
    import os
    import subprocess
    import sys

    from explainer_core.page.sphinxext.quiet_tensorflow import QUIET_TENSORFLOW

    out = tmp_path_factory.mktemp("chapter_maps") / "maps.npy"
    env = {**os.environ, **QUIET_TENSORFLOW}
    subprocess.run([sys.executable, "-c", CHAPTER_MAPS_SCRIPT, str(out)], env=env, check=True, timeout=600)
    maps = np.load(out)
    return {(r, c): maps[r, c] for r in range(maps.shape[0]) for c in range(maps.shape[1])}


def test_chapter_14_shows_the_engines_maps_and_hover_gives_their_values(browser_page, chapter_maps):
    page = open_page(browser_page, METHODS_PAGE)
    columns = len({c for _, c in chapter_maps})
    for (r, c), expected in chapter_maps.items():
        np.testing.assert_allclose(cell_map(page, "methods", r * columns + c), expected, atol=1e-6)
    for r, c, y, x in ((0, 0, 20, 30), (1, 3, 40, 12), (0, 4, 10, 50)):
        expected = chapter_maps[r, c][y, x]
        assert hover_value(page, "methods", r, c, y, x) == pytest.approx(expected, abs=0.0011)
    browser_page.assert_clean()


# -- chapter 17: precomputed maps ---------------------------------------------------------------
def test_chapter_17_shows_the_precomputed_maps_and_hover_gives_their_values(browser_page):
    from explainer_core.precompute import load
    from explainer_core.views.explanation_maps import method_title

    index, arrays = load()
    tiny = index["members"].index("tiny_vgg")
    stored = arrays["maps"][tiny] / 255.0  # (methods, photos, 64, 64)
    titles = [method_title(m) for m in index["methods"]]
    page = open_page(browser_page, TINY_PAGE)
    cells = page.evaluate("() => window.__data('tiny:cells')")
    photos_shown = []
    for k, row in enumerate(cells["row"]):
        shown = cell_map(page, "tiny", k)
        candidates = stored[titles.index(row)]
        found = [p for p in range(len(candidates)) if np.allclose(shown, candidates[p], atol=1e-6)]
        assert found, f"cell {k} ({row}, {cells['column'][k]}) is no precomputed Tiny VGG map"
        photos_shown.append(found[0])
    columns = len(set(cells["column"]))
    # one photo per column, the same in every row
    assert all(photos_shown[k] == photos_shown[k % columns] for k in range(len(photos_shown)))
    expected = stored[0, photos_shown[1]][33, 21]
    assert hover_value(page, "tiny", 0, 1, 33, 21) == pytest.approx(expected, abs=0.0011)
    browser_page.assert_clean()
