"""In the built book: the zoo overview (book/12_the_zoo_at_a_glance) pins, re-ranks, hides and selects.

The expected numbers are Python's: ``overview_columns`` and ``shown_columns`` of
explainer_core/views/zoo_overview on the cards of the networks the page shows (read from
disk again, so a zoo member trained after the build does not count), and the per-class
accuracies written in each model card. The pointer is moved with ``page.mouse`` to the
pixel where a glyph is drawn, as a reader would click it.

Build once and point the tests at it::

    CNN_EXPLAINER_DATA=... .venv/bin/jupyter-book build . --all -W --path-output /tmp/book_zoo
    BOOK_HTML_DIR=/tmp/book_zoo/_build/html .venv/bin/pytest tests/test_browser_zoo_overview.py
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from explainer_core.compare import GROUPS
from explainer_core.page.sphinxext.offline import external_loads
from explainer_core.views.zoo_overview import overview_columns, shown_columns

from .browser import BOKEH_LOOKUP_JS
from .test_book_pages import PAGE_BUDGET_BYTES
from .test_browser_access import PHONE, tab_to

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DOC = "book/12_the_zoo_at_a_glance"
PAGE = f"{DOC}.html"
SOURCES = {
    "models": "models", "groups": "groups", "pin": "pin", "marks": "marks", "class_bars": "class_bars",
    "group_bars": "group_bars", "disagree_bars": "disagree", "agree_bars": "agree",
}
HELPERS = "() => {" + BOKEH_LOOKUP_JS + """
  // the pixel of data point (x, y) of figure `name`; y may be a factor of a categorical axis
  window.__point = (name, x, y) => {
    const model = window.__model(name);
    const view = Bokeh.index.find_one(model);
    view.el.scrollIntoView({block: "center"});
    const box = view.canvas_view.el.getBoundingClientRect();
    const sy = typeof y === "string" ? model.y_range.synthetic(y) : y;
    return [box.left + view.frame.x_scale.compute(x), box.top + view.frame.y_scale.compute(sy)];
  };
  window.__label = (name) => window.__model(name).html_attributes["aria-label"];
  window.__lines = () => window.__model("zoo:legend").items.map((item) => item.renderers[0]);
}"""


# -- the page and its expected numbers ------------------------------------------------------
def zoo_cards(names: list[str]) -> list[dict]:
    """The cards of the networks called ``names``, in that order, as the chapter reads them."""
    from explainer_core.models.loading import card_path
    from explainer_core.models.zoo import ZOO

    cards = {}
    for entry in ZOO.values():
        if entry.path.exists():
            card = json.loads(card_path(entry.path).read_text())
            cards[card["name"]] = card
    missing = [name for name in names if name not in cards]
    if missing:
        pytest.fail(f"the page shows {missing}, whose cards are gone: rebuild the book")
    return [cards[name] for name in names]


def open_page(browser_page, *, phone: bool = False, dark: bool = False):
    return browser_page.open(PAGE, HELPERS, phone=phone, dark=dark)


def data(page, name: str) -> dict:
    return page.evaluate("(n) => window.__data(n)", name)


def expected(page) -> tuple[dict, list[dict]]:
    """Python's columns for the networks on the page, and their cards."""
    cards = zoo_cards(data(page, "zoo:models")["name"])
    return overview_columns(cards), cards


def assert_same(got: dict, want: dict, where: str) -> None:
    """Every column equal: texts exactly, numbers (and lists of them) to 1e-12."""
    assert set(got) == set(want), (where, set(got) ^ set(want))
    for column, values in want.items():
        at = f"{where}.{column}"
        assert len(got[column]) == len(values), at
        for g, w in zip(got[column], values, strict=True):
            if isinstance(w, str) or (isinstance(w, list) and w and isinstance(w[0], str)):
                assert g == w, at
            else:
                np.testing.assert_allclose(np.asarray(g, dtype=float), np.asarray(w, dtype=float), atol=1e-12,
                                           err_msg=at)


def assert_pinned(page, columns: dict, m: int, g: int) -> None:
    """The page shows model ``m`` and group ``g`` pinned, exactly as ``shown_columns`` says."""
    page.wait_for_function("([m, g]) => { const p = window.__model('zoo:pin').data; "
                           "return p.model[0] === m && p.group[0] === g; }", arg=[m, g])
    shown = shown_columns(columns, m, g)
    for name in ("marks", "class_bars", "group_bars"):
        assert_same(data(page, f"zoo:{name}"), shown[name], name)
    assert_same(data(page, "zoo:disagree_bars"), shown["disagree"], "disagree_bars")
    assert_same(data(page, "zoo:agree_bars"), shown["agree"], "agree_bars")
    state = page.evaluate("""() => ({
        status: window.__model('zoo:status').text,
        classes: Array.from(window.__model('zoo:classes').y_range.factors),
        group: Array.from(window.__model('zoo:group').y_range.factors),
        class_title: window.__model('zoo:classes').title.text, group_title: window.__model('zoo:group').title.text,
        model_menu: window.__model('zoo:model_menu').value, group_menu: window.__model('zoo:group_menu').value,
        label: window.__label('zoo:classes'), group_label: window.__label('zoo:group'),
    })""")
    assert state["status"] == shown["status"]
    assert state["classes"] == shown["class_bars"]["class_name"][::-1]  # best at the top
    assert state["group"] == shown["group_bars"]["model"][::-1]
    assert (state["class_title"], state["group_title"]) == (shown["class_title"], shown["group_title"])
    assert (state["model_menu"], state["group_menu"]) == (str(m), str(g))
    # the text alternatives were rewritten for the new pin, with its numbers
    bars = shown["class_bars"]
    assert state["label"].startswith(shown["class_title"])
    assert f"{bars['class_name'][0]} {bars['text'][0]}" in state["label"]
    assert state["group_label"].startswith(shown["group_title"])


def assert_card_per_class(page, card: dict) -> None:
    """The class bars are the card's own per-class accuracies (validation.per_class)."""
    bars = data(page, "zoo:class_bars")
    per_class = dict(zip(card["class_names"], card["validation"]["per_class"], strict=True))
    assert sorted(bars["class_name"]) == sorted(per_class)
    for name, value in zip(bars["class_name"], bars["value"], strict=True):
        assert value == pytest.approx(per_class[name], abs=1e-12), name
    assert bars["value"] == sorted(bars["value"], reverse=True)


def click(page, figure: str, x, y) -> None:
    """Click data point (x, y), once the page has stopped moving: a pin rewrites titles and text above
    the charts, and on a busy machine that re-layout can still be running when the next click is aimed."""
    page.mouse.move(1, 1)
    px, py = page.evaluate("""async ([n, x, y]) => {
        let previous = null;
        for (let i = 0; i < 200; i++) {
          const point = window.__point(n, x, y);
          if (previous && point[0] === previous[0] && point[1] === previous[1]) return point;
          previous = point;
          await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
        }
        return previous;
    }""", [figure, x, y])
    page.mouse.move(px - 2, py - 2)
    page.mouse.click(px, py)


# -- the tests ------------------------------------------------------------------------------------
def test_the_first_frame_is_pythons_and_every_chart_says_its_numbers(browser_page):
    page = open_page(browser_page)
    columns, cards = expected(page)
    for name, column in SOURCES.items():
        assert_same(data(page, f"zoo:{name}"), columns[column], name)
    labels = {name: page.evaluate("(n) => window.__label(n)", f"zoo:{name}")
              for name in ("scatter", "radar", "classes", "group", "disagree", "agree")}
    models = columns["models"]
    for i, name in enumerate(models["name"]):
        assert f"{name} ({models['family'][i]}) {models['top1_text'][i]} with {models['macs_text'][i]}" \
            in labels["scatter"]
        assert f"{name}: {models['groups_text'][i]}" in labels["radar"]
    for k, name in enumerate(columns["disagree"]["class_name"]):
        d = columns["disagree"]
        assert f"{name}: {d['spread_text'][k]}, from {d['lowest'][k]} to {d['highest'][k]}" in labels["disagree"]
    assert f"from {round(100 * columns['floor'])} % at the centre" in labels["radar"]
    m = columns["pin"]["model"][0]
    assert_card_per_class(page, cards[m])
    browser_page.screenshot("zoo-overview-1280", full_page=True)
    browser_page.assert_clean()


def test_clicking_a_point_pins_its_model(browser_page):
    page = open_page(browser_page)
    columns, cards = expected(page)
    m = len(cards) - 1  # not the first, pinned at the start
    g = columns["pin"]["group"][0]
    click(page, "zoo:scatter", columns["models"]["macs"][m], columns["models"]["top1"][m])
    assert_pinned(page, columns, m, g)
    assert_card_per_class(page, cards[m])
    # the click selected the point, and so the model's radar line (one shared source)
    assert data(page, "zoo:models")["name"] and page.evaluate(
        "() => Array.from(window.__model('zoo:models').selected.indices)") == [m]
    assert f"Selected: {columns['models']['name'][m]}." in page.evaluate("() => window.__label('zoo:radar')")
    browser_page.screenshot("zoo-overview-pinned-point")
    browser_page.assert_clean()


def test_the_menus_pin_from_the_keyboard_and_the_group_bars_rerank(browser_page):
    page = open_page(browser_page)
    columns, cards = expected(page)
    tab_to(page, "Pinned model")
    page.keyboard.press("ArrowDown")
    assert_pinned(page, columns, 1, 0)
    assert_card_per_class(page, cards[1])
    tab_to(page, "Pinned group of classes")
    for g in range(1, len(GROUPS)):
        page.keyboard.press("ArrowDown")
        assert_pinned(page, columns, 1, g)
        bars = data(page, "zoo:group_bars")
        group = list(GROUPS)[g]
        assert bars["value"] == sorted(bars["value"], reverse=True)
        by_name = dict(zip(columns["models"]["name"], columns["models"]["groups_text"], strict=True))
        for name, text in zip(bars["model"], bars["text"], strict=True):
            assert f"{group} {text}" in by_name[name]
    browser_page.assert_clean()


def radar_spot(page, columns: dict) -> tuple[int, float, float]:
    """A model and a point in the middle of one of its radar segments that no other line comes near."""
    scale = page.evaluate("""() => { const v = Bokeh.index.find_one(window.__model('zoo:radar'));
        return Math.abs(v.frame.x_scale.compute(1) - v.frame.x_scale.compute(0)); }""")
    models = columns["models"]
    lines = [np.column_stack([x, y]) for x, y in zip(models["radar_x"], models["radar_y"], strict=True)]

    def distance(point, line) -> float:
        a, b = line[:-1], line[1:]
        t = np.clip(np.einsum("ij,ij->i", point - a, b - a) / np.maximum(np.einsum("ij,ij->i", b - a, b - a), 1e-12),
                    0, 1)
        return float(np.min(np.linalg.norm(a + t[:, None] * (b - a) - point, axis=1)))

    best = (0.0, 0, 0.0, 0.0)
    for k, line in enumerate(lines):
        for j in range(len(line) - 1):
            point = (line[j] + line[j + 1]) / 2
            clear = min(distance(point, other) for i, other in enumerate(lines) if i != k) * scale
            best = max(best, (clear, k, *point))
    clear, k, x, y = best
    assert clear > 5, f"every radar line runs within {clear:.1f} px of another"
    return k, x, y


def test_clicking_a_radar_line_a_square_or_a_bar_pins(browser_page):
    page = open_page(browser_page)
    columns, cards = expected(page)
    k, x, y = radar_spot(page, columns)
    click(page, "zoo:radar", x, y)
    assert_pinned(page, columns, k, 0)

    g = len(GROUPS) - 1  # a group's square at the tip of its spoke
    click(page, "zoo:radar", columns["groups"]["x"][g], columns["groups"]["y"][g])
    assert_pinned(page, columns, k, g)

    other = next(i for i in range(len(cards)) if i != k)  # a model's bar in the group chart
    name = columns["models"]["name"][other]
    value = data(page, "zoo:group_bars")["value"][data(page, "zoo:group_bars")["model"].index(name)]
    click(page, "zoo:group", value / 2, name)
    assert_pinned(page, columns, other, g)

    bars = data(page, "zoo:class_bars")  # a class's bar pins its group
    first = next(i for i, index in enumerate(bars["group_index"]) if index != g)
    click(page, "zoo:classes", bars["value"][first] / 2, bars["class_name"][first])
    assert_pinned(page, columns, other, bars["group_index"][first])

    widest = columns["disagree"]  # and so does a class in the supplemental bars
    click(page, "zoo:disagree", (widest["low"][0] + widest["high"][0]) / 2, widest["class_name"][0])
    assert_pinned(page, columns, other, widest["group_index"][0])
    browser_page.assert_clean()


def legend_entry(page, i: int) -> tuple[float, float]:
    return page.evaluate("""(i) => { const view = Bokeh.index.find_one(window.__model('zoo:legend'));
        const el = view.entries[i].el; el.scrollIntoView({block: 'center'});
        const r = el.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; }""", i)


def test_the_legend_and_its_checkboxes_hide_and_show_a_radar_line(browser_page):
    page = open_page(browser_page)
    columns, _ = expected(page)
    i = len(columns["models"]["name"]) - 1
    name = columns["models"]["name"][i]
    visible = "(i) => window.__lines()[i].visible"
    page.mouse.click(*legend_entry(page, i))
    page.wait_for_function(f"(i) => !({visible})(i)", arg=i)
    radar = page.evaluate("() => window.__label('zoo:radar')")
    assert f"Hidden: {name}." in radar and f"{name}: {columns['models']['groups_text'][i]}" not in radar
    assert page.evaluate("() => window.__lines().filter((line) => !line.visible).length") == 1
    browser_page.screenshot("zoo-overview-legend-hidden")

    boxes = "() => Array.from(window.__model('zoo:lines').active)"
    assert page.evaluate(boxes) == [k for k in range(len(columns["models"]["name"])) if k != i]

    # the keyboard: the line's checkbox under the radar shows it again, and the legend follows
    tab_to(page, name)
    page.keyboard.press("Space")
    page.wait_for_function(visible, arg=i)
    assert page.evaluate(boxes) == list(range(len(columns["models"]["name"])))
    assert "Hidden:" not in page.evaluate("() => window.__label('zoo:radar')")
    page.keyboard.press("Space")  # and hides it
    page.wait_for_function(f"(i) => !({visible})(i)", arg=i)
    assert page.evaluate("""(i) => Bokeh.index.find_one(window.__model('zoo:legend')).entries[i].el.classList
        .contains('bk-inactive')""", i)
    browser_page.assert_clean()


def test_a_box_over_the_scatter_selects_the_same_models_radar_lines(browser_page):
    page = open_page(browser_page)
    columns, cards = expected(page)
    models = columns["models"]
    macs, top1 = np.asarray(models["macs"], dtype=float), np.asarray(models["top1"])
    # a box around the models that cost more than the cheapest, drawn from their pixels
    pixels = np.asarray([page.evaluate("([x, y]) => window.__point('zoo:scatter', x, y)", [float(x), float(y)])
                         for x, y in zip(macs, top1, strict=True)])
    # (several models may share the lowest cost: the box's left edge falls between the cheapest points and the rest)
    cheapest = np.flatnonzero(macs == macs.min())
    dearer = np.flatnonzero(macs > macs.min())
    assert len(dearer) > 0, macs
    left = (pixels[dearer, 0].min() + pixels[cheapest, 0].max()) / 2
    corners = [(left, pixels[dearer, 1].min() - 12), (pixels[dearer, 0].max() + 12, pixels[dearer, 1].max() + 12)]
    # the models the box should select: the points whose pixels lie inside it
    inside = sorted(int(i) for i in np.flatnonzero(
        (pixels[:, 0] >= corners[0][0]) & (pixels[:, 0] <= corners[1][0])
        & (pixels[:, 1] >= corners[0][1]) & (pixels[:, 1] <= corners[1][1])))
    page.mouse.move(*corners[0])
    page.mouse.down()
    page.mouse.move((corners[0][0] + corners[1][0]) / 2, (corners[0][1] + corners[1][1]) / 2, steps=4)
    page.mouse.move(*corners[1], steps=4)
    page.mouse.up()
    assert inside == sorted(int(i) for i in dearer) and 0 < len(inside) < len(cards), (inside, len(cards))
    page.wait_for_function("(n) => window.__model('zoo:models').selected.indices.length === n", arg=len(inside))
    assert sorted(page.evaluate("() => Array.from(window.__model('zoo:models').selected.indices)")) == inside
    # every radar line draws the scatter's own source, so the same rows are selected there
    assert page.evaluate("""() => { const models = window.__model('zoo:models');
        const points = window.__model('zoo:scatter').renderers.filter((r) => r.name === 'zoo:points');
        return [...points, ...window.__lines()].every((r) => r.data_source === models); }""")
    names = ", ".join(models["name"][i] for i in inside)
    assert f"Selected: {names}." in page.evaluate("() => window.__label('zoo:radar')")
    assert f"Selected: {names}." in page.evaluate("() => window.__label('zoo:scatter')")
    # nothing was pinned by the drag
    assert data(page, "zoo:pin") == columns["pin"]
    browser_page.screenshot("zoo-overview-box-selected", full_page=True)
    browser_page.assert_clean()


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_a_phone_sees_the_whole_view_without_scrolling_sideways(browser_page, dark):
    page = open_page(browser_page, phone=True, dark=dark)
    browser_page.assert_fits_a_phone()
    rights = page.evaluate("""() => ['scatter', 'radar', 'classes', 'group', 'disagree', 'agree'].map((n) =>
        Bokeh.index.find_one(window.__model(`zoo:${n}`)).el.getBoundingClientRect().right)""")
    assert max(rights) <= PHONE["width"], rights
    # the legend's names fit the phone: no entry sticks out of the radar
    entries = page.evaluate("""() => { const view = Bokeh.index.find_one(window.__model('zoo:legend'));
        return view.entries.map((e) => e.el.getBoundingClientRect().right); }""")
    assert max(entries) <= max(rights) + 0.5, entries
    columns, _ = expected(page)
    m = len(columns["models"]["name"]) - 1
    models = columns["models"]
    menu = page.get_by_role("combobox", name="Pinned model")
    menu.select_option(label=f"{models['name'][m]} ({models['family'][m]})")
    assert_pinned(page, columns, m, 0)
    browser_page.screenshot(f"zoo-overview-phone-{'dark' if dark else 'light'}", full_page=True)
    browser_page.assert_clean()


def test_the_page_is_small_and_fetches_nothing_from_other_hosts(browser_page, book_html):
    html = (book_html / PAGE).read_text(encoding="utf-8")
    assert len(html.encode()) < PAGE_BUDGET_BYTES
    assert external_loads(html) == []
    page = open_page(browser_page)
    page.wait_for_load_state("networkidle")
    assert not browser_page.external_requests
    browser_page.assert_clean()
