"""Access for everyone, in Chromium, on every page of the book (issue 8).

What is checked, and where it is made:

* every plot is an image with a text alternative that names the current picture, rewritten
  when the picture changes (explainer_core/views/kit/access.py and js/describe_*.js);
* the picture changer's status line is a polite live region (image_picker, access.live_status);
* every control has an accessible name, and the gallery and the overview's map details work
  from the keyboard alone (the gallery's and the overview's menus);
* negative numbers are written with a true minus sign, and signs never rest on colour alone
  (kernel cells carry "+" or "−", negative weights' edges are dashed);
* dark mode keeps every view and control legible, with nothing cut off (explainer.css);
* a phone (390×844) reads every chapter without sideways scrolling of the page;
* axe-core finds no serious or critical violation on any page, light, dark or on a phone.

The accessibility tree is Chromium's own (CDP ``Accessibility.getFullAXTree``).
"""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest

from explainer_core.arithmetic.trace import trace
from explainer_core.data.preprocess import prepare_image
from explainer_core.page.examples import shipped_network

from .browser import DARK, PHONE, REPO, toc_pages

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = toc_pages()
#: Pages whose views follow the picture the reader chooses (they carry the picture changer).
PICKER_PAGES = [p for p in PAGES if "image_picker(" in (REPO / f"{p}.md").read_text(encoding="utf-8")]
#: A hyphen-minus that starts a number ("-0.5", "(-3"): U+2212 should stand there.
HYPHEN_NUMBER = re.compile(r"(?<![\w\-])-(?=\d)")
#: Roles of controls, each of which needs an accessible name.
CONTROL_ROLES = {"button", "combobox", "slider", "textbox", "checkbox", "radio", "spinbutton", "listbox", "link",
                 "switch", "menuitem", "tab"}


def page_id(docname: str) -> str:
    return docname.split("/")[-1]


#: Page helpers: every Bokeh model, one by name, its view, and the elements of all shadow roots.
HELPERS = """() => {
  window.__models = () => (window.Bokeh ? [...Bokeh.documents].flatMap((d) => [...d.all_models]) : []);
  window.__model = (name) => {
    const found = window.__models().find((m) => m.name === name);
    if (found == null) throw new Error(`no Bokeh model named ${name}`);
    return found;
  };
  window.__view = (model) => Bokeh.index.find_one(model);
  window.__shown = (model) => {
    const view = window.__view(model);
    return view != null && view.el.isConnected && view.el.getClientRects().length > 0;
  };
  window.__deep = (root, selector) => {
    const found = [...root.querySelectorAll(selector)];
    for (const el of root.querySelectorAll("*")) {
      if (el.shadowRoot) found.push(...window.__deep(el.shadowRoot, selector));
    }
    return found;
  };
  window.__figures = () => window.__models()
    .filter((m) => ["Figure", "Plot"].includes(m.constructor.__name__) && window.__shown(m))
    .map((m) => ({name: m.name, role: window.__view(m).el.getAttribute("role"),
                  label: window.__view(m).el.getAttribute("aria-label") || ""}));
}"""


def open_book(browser_page, docname: str, *, dark: bool = False, phone: bool = False):
    """Open ``docname`` (dark mode, a phone's viewport) once every view has its text alternatives."""
    page = browser_page.page
    if phone:
        page.set_viewport_size(PHONE)
    if dark:
        page.add_init_script(DARK)
    browser_page.goto(f"{docname}.html")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.explainer-bokeh')].every((b) => b.dataset.explainerAccess === 'ready')"
    )
    page.evaluate(HELPERS)
    return page


def ax_nodes(page) -> list[dict]:
    """Chromium's accessibility tree, less ignored nodes: role, name, properties."""
    cdp = page.context.new_cdp_session(page)
    try:
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        cdp.detach()
    found = []
    for node in nodes:
        if node.get("ignored"):
            continue
        props = {p["name"]: p["value"].get("value") for p in node.get("properties", [])}
        found.append({"role": node["role"]["value"], "name": node.get("name", {}).get("value", ""), "props": props})
    return found


def focused_name(page) -> str:
    """The accessible name of the element with keyboard focus, inside shadow roots too."""
    cdp = page.context.new_cdp_session(page)
    try:
        found = cdp.send("Runtime.evaluate", {"expression": """(() => {
            let e = document.activeElement;
            while (e && e.shadowRoot && e.shadowRoot.activeElement) e = e.shadowRoot.activeElement;
            return e;
        })()"""})["result"]
        if "objectId" not in found:
            return ""
        nodes = cdp.send("Accessibility.getPartialAXTree", {"objectId": found["objectId"], "fetchRelatives": False})
        return nodes["nodes"][0].get("name", {}).get("value", "") if nodes["nodes"] else ""
    finally:
        cdp.detach()


def tab_to(page, name: str, limit: int = 250) -> None:
    """Press Tab until the control called ``name`` has the focus (the keyboard alone, no clicks)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused_name(page) == name:
            return
    pytest.fail(f"Tab never reached a control called {name!r}")


def status_text(page) -> str:
    return page.evaluate("() => window.__model('explainer-status').text")


def wait_for_new_status(page, before: str) -> str:
    page.wait_for_function("(before) => { const t = window.__model('explainer-status').text; "
                           "return t !== before && t.startsWith('Showing'); }", arg=before)
    return status_text(page)


def pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=np.float64) / 255


# -- text alternatives --------------------------------------------------------------------------
@pytest.mark.parametrize("docname", PAGES, ids=page_id)
def test_every_plot_is_an_image_with_a_text_alternative(browser_page, docname):
    page = open_book(browser_page, docname)
    figures = page.evaluate("() => window.__figures()")
    for figure in figures:
        assert figure["role"] == "img", f"{figure['name']} is not an image: {figure}"
        assert len(figure["label"]) > 8, f"{figure['name']} has no text alternative: {figure}"
        assert not HYPHEN_NUMBER.search(figure["label"]), figure["label"]
    images = {node["name"] for node in ax_nodes(page) if node["role"] == "image"}
    missing = [f["label"] for f in figures if f["label"] not in images]
    assert not missing, f"not in Chromium's accessibility tree as named images: {missing}"
    if "show(" in (REPO / f"{docname}.md").read_text(encoding="utf-8"):
        assert figures, "a chapter with views shows no figure"
    browser_page.assert_clean()


@pytest.mark.parametrize("docname", PICKER_PAGES, ids=page_id)
def test_a_new_picture_is_announced_and_every_plot_describes_it(browser_page, docname):
    page = open_book(browser_page, docname)
    live = [node for node in ax_nodes(page) if node["role"] == "status"]
    assert live and all(node["props"].get("live") == "polite" for node in live), live
    before = {f["name"]: f["label"] for f in page.evaluate("() => window.__figures()")}

    labels = page.evaluate("() => Array.from(window.__model('gallery').data.label)")
    index = len(labels) - 1  # another class than the default picture's
    said = status_text(page)
    menu = page.get_by_role("combobox", name="Photo from the gallery")
    menu.select_option(label=menu.evaluate("(select, i) => select.options[i + 1].textContent", index))
    text = wait_for_new_status(page, said)
    picture = f"the photo of {labels[index]}"
    assert text.startswith(f"Showing {picture}")
    # the live region holds the new sentence, so a screen reader speaks it
    assert text in page.get_by_role("status").aria_snapshot()

    page.wait_for_function("(picture) => window.__figures().every((f) => f.name === 'gallery_plot' || "
                           "f.label.includes(picture))", arg=picture)
    after = {f["name"]: f["label"] for f in page.evaluate("() => window.__figures()")}
    for name, label in after.items():
        if name != "gallery_plot":
            assert picture in label and label != before.get(name), f"{name}: {label!r}"
    if "overview_plot" in after:
        file = page.evaluate("(i) => window.__model('gallery').data.file[i]", index)
        t = trace(shipped_network(), prepare_image(base64.b64decode(file)))
        p = float(t.probabilities.max())
        assert f"Predicted {t.predicted_label}, {100 * p:.1f} %" in after["overview_plot"]
        assert after["overview_plot"].startswith(f"The overview of Tiny VGG on {picture}: the input's 3 colour "
                                                 "channels, then 10 layers of activation maps")
    browser_page.assert_clean()


# -- names and keyboard paths ------------------------------------------------------------------------
@pytest.mark.parametrize("docname", PAGES, ids=page_id)
def test_every_control_has_an_accessible_name(browser_page, docname):
    page = open_book(browser_page, docname)
    nodes = ax_nodes(page)
    unnamed = [node for node in nodes if node["role"] in CONTROL_ROLES and not node["name"].strip()]
    assert not unnamed, f"controls without a name: {unnamed}"
    # and Bokeh's widgets are all there, named: menus, sliders, buttons
    widgets = page.evaluate("""() => {
        const count = (kind) => window.__models().filter((m) => m.constructor.__name__ === kind && window.__shown(m));
        return {Select: count("Select").map((m) => m.title), Slider: count("Slider").map((m) => m.title),
                FileInput: count("FileInput").map((m) => m.title)};
    }""")
    named = lambda role: [node["name"] for node in nodes if node["role"] == role]  # noqa: E731
    for title in widgets["Select"]:
        assert title and title in named("combobox")
    assert sorted(named("slider")) == sorted(widgets["Slider"])
    for title in widgets["FileInput"]:
        assert title in named("button")
    browser_page.assert_clean()


def test_sliders_move_from_the_keyboard_and_say_their_value(browser_page):
    page = open_book(browser_page, "book/05_hyperparameters")
    value_texts = "() => window.__deep(document, '.noUi-handle').map((h) => h.getAttribute('aria-valuetext'))"
    handles = page.evaluate(value_texts)
    assert handles and all(re.fullmatch(r"\d+", text) for text in handles), handles
    tab_to(page, "Padding")
    before = page.evaluate("() => window.__model('hyper:padding').value")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("(v) => window.__model('hyper:padding').value === v + 1", arg=before)
    assert str(before + 1) in page.evaluate(value_texts)
    figure = page.evaluate("() => window.__figures().find((f) => f.name === 'hyper:figure').label")
    assert f"padded with {before + 1} on each side" in figure
    browser_page.assert_clean()


def test_the_gallery_works_from_the_keyboard_alone(browser_page):
    page = open_book(browser_page, "book/02_overview")
    labels = page.evaluate("() => Array.from(window.__model('gallery').data.label)")
    tab_to(page, "Photo from the gallery")
    said = status_text(page)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert wait_for_new_status(page, said).startswith(f"Showing the photo of {labels[1]}")
    assert page.evaluate("() => Array.from(window.__model('gallery').selected.indices)") == [1]
    browser_page.assert_clean()


def test_the_overview_opens_a_maps_detail_from_the_keyboard_alone(browser_page):
    from explainer_core.page.examples import default_trace

    page = open_book(browser_page, "book/02_overview")
    tab_to(page, "Open the detail of a map")
    for _ in range(5):  # none open, red, green, blue, then conv_1_1's neurons 0 and 1
        page.keyboard.press("ArrowDown")
    page.wait_for_function("() => window.__model('overview_detail').visible")
    t = default_trace()
    values = t.outputs["conv_1_1"][..., 1]
    words = f"its numbers go from {fmt(values.min())} to {fmt(values.max())}"
    assert words in page.evaluate("() => window.__model('overview_detail_text').text")
    detail = page.evaluate("() => window.__figures().find((f) => f.name === 'overview_detail_plot').label")
    assert detail.startswith("conv_1_1, neuron 1 on a photo of an espresso, enlarged") and words in detail
    page.keyboard.press("Home")  # back to "none open"
    page.wait_for_function("() => !window.__model('overview_detail').visible")
    browser_page.screenshot("access-overview-keyboard")
    browser_page.assert_clean()


def fmt(value) -> str:
    from explainer_core.views.kit import fmt as view_fmt

    return view_fmt(float(value))


# -- minus signs, and signs beyond colour ----------------------------------------------------------
@pytest.mark.parametrize("docname", PAGES, ids=page_id)
def test_negative_numbers_use_a_true_minus_sign(browser_page, docname):
    page = open_book(browser_page, docname)
    texts = page.evaluate(r"""() => {
        const texts = [];
        for (const m of window.__models()) {
          const kind = m.constructor.__name__;
          if (kind === "Div" || kind === "Title") texts.push([m.name || kind, m.text.replace(/<[^>]*>/g, " ")]);
          if (kind === "ColumnDataSource") {
            for (const [column, values] of Object.entries(m.data)) {
              if (column === "file") continue;  // the gallery's photos, base64
              for (const v of values) if (typeof v === "string") texts.push([`${m.name}.${column}`, v]);
            }
          }
          if (kind === "HoverTool") {
            // a data value in Bokeh's own number format is written with a hyphen-minus: only
            // fine for a value that is never negative (an input pixel, 0 to 1)
            const tips = Array.isArray(m.tooltips) ? m.tooltips : [];
            for (const [, text] of tips) {
              for (const [, field] of text.matchAll(/@(\w+)\{[-+0-9.,$%a]+\}/g)) {
                const renderers = Array.isArray(m.renderers) ? m.renderers : [];
                const values = renderers.flatMap((r) => Array.from(r.data_source.data[field] || [])
                  .flatMap((v) => (typeof v === "number" ? [v] : Array.from(v))));
                if (values.some((v) => v < 0)) texts.push([`tooltip of ${m.id}`, `${text}: -1`]);
              }
            }
          }
        }
        for (const f of window.__figures()) texts.push([f.name || "figure", f.label]);
        return texts;
    }""")
    bad = [(where, text) for where, text in texts if HYPHEN_NUMBER.search(text)]
    assert not bad, f"hyphen-minus before a number: {bad[:5]}"
    formatted = page.evaluate("""() => window.__models().filter((m) => m.name === "explainer-signed").map((m) =>
        m.constructor.__name__ === "CustomJSHover" ? m.format(-0.25, "", {})
                                                   : m.doFormat([-0.5, 0, 0.5], {}).join(" "))""")
    for text in formatted:
        assert "\u2212" in text and "-" not in text, formatted
    browser_page.assert_clean()


def test_tooltips_write_negative_numbers_with_a_minus_sign(browser_page):
    """Hover a map whose numbers are all negative: the overview's tooltip says so with U+2212."""
    from explainer_core.page.examples import default_trace

    page = open_book(browser_page, "book/02_overview")
    t = default_trace()
    layer, neuron = next((name, n) for name in ("conv_1_1", "conv_1_2") for n in range(t.outputs[name].shape[2])
                         if t.outputs[name][..., n].max() < 0)
    i = page.evaluate("([layer, neuron]) => { const d = window.__model('overview_neurons').data; "
                      "return d.layer.findIndex((l, k) => l === layer && d.neuron[k] === neuron); }", [layer, neuron])
    x, y = page.evaluate("(i) => { const d = window.__model('overview_neurons').data; return [d.x[i], d.y[i]]; }", i)
    point = page.evaluate("""([x, y]) => { const view = window.__view(window.__model('overview_plot'));
        view.el.scrollIntoView({block: 'center'}); const box = view.canvas_view.el.getBoundingClientRect();
        return [box.left + view.frame.x_scale.compute(x), box.top + view.frame.y_scale.compute(y)]; }""", [x, y])
    page.mouse.move(point[0] - 3, point[1] - 3)
    page.mouse.move(*point)
    page.wait_for_function("() => window.__deep(document, '.bk-tooltip-row-value, .bk-tooltip-content')"
                           ".some((e) => e.textContent.includes('\u2212'))")
    shown = " ".join(page.evaluate("() => window.__deep(document, '.bk-tooltip-content').map((e) => e.textContent)"))
    values = t.outputs[layer][..., neuron]
    low, high = (f"{v:.2f}".replace("-", "\u2212") for v in (values.min(), values.max()))
    assert f"{low} … {high}" in shown and not HYPHEN_NUMBER.search(shown)
    browser_page.assert_clean()


def test_signs_of_weights_do_not_rest_on_colour_alone(browser_page):
    """Kernel cells carry "+" or "−"; in the flatten view a negative weight's edge is dashed."""
    page = open_book(browser_page, "book/04_convolutional_layers")
    marks = page.evaluate("""() => window.__models().filter((m) => (m.name || '').endsWith(':sign-marks')).map((t) => {
        const key = t.name.slice(0, -':sign-marks'.length);
        const values = Array.from(window.__model(`${key}:kernel`).data.value);
        return [values, Array.from(t.v_compute(values))];
    })""")
    assert marks
    for values, signs in marks:
        assert signs == ["\u2212" if v < 0 else "+" if v > 0 else "" for v in values]
        assert "\u2212" in signs and "+" in signs

    page = open_book(browser_page, "book/08_flatten_and_output")
    # a flatten unit's edges reach every class, with weights of both signs; the unit is the picture's
    # strongest (a zero unit's readout says that none of its edges matters, whatever the picture)
    page.evaluate("""() => {
        const values = Array.from(window.__model('flatten:units').data.value);
        const unit = values.reduce((best, v, i) => (Math.abs(v) > Math.abs(values[best]) ? i : best), 0);
        window.__model('flatten:focus').data = {kind: ['unit'], index: [unit]};
    }""")
    page.evaluate("() => window.__model('flatten:draw').execute(null)")
    weights, dashes = page.evaluate("""() => { const w = Array.from(window.__model('flatten:edges').data.weight);
        return [w, Array.from(window.__model('flatten:negative-dashed').v_compute(w), (d) => Array.from(d))]; }""")
    assert any(w < 0 for w in weights) and any(w > 0 for w in weights)
    for weight, dash in zip(weights, dashes, strict=True):
        assert (len(dash) > 0) == (weight < 0), (weight, dash)
    assert "dashed ones subtract" in page.evaluate("() => window.__model('flatten:readout').text")
    browser_page.screenshot("access-flatten-dashed")
    browser_page.assert_clean()


# -- dark mode and a phone ----------------------------------------------------------------------------
@pytest.mark.parametrize("docname", PAGES, ids=page_id)
def test_dark_mode_keeps_every_view_and_control_legible(browser_page, docname):
    page = open_book(browser_page, docname, dark=True)
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    boxes = page.evaluate("""() => [...document.querySelectorAll('.explainer-bokeh')].map((box) => {
        const style = getComputedStyle(box);
        const root = box.querySelector('[data-root-id]');
        const drawn = root && root.firstElementChild ? root.firstElementChild.getBoundingClientRect() : null;
        const outer = box.getBoundingClientRect();
        return {background: style.backgroundColor, scheme: style.colorScheme,
                padding: getComputedStyle(box.parentElement).paddingRight,
                clipped: box.scrollWidth > box.clientWidth + 1 || (drawn && drawn.right > outer.right + 0.5)};
    })""")
    for box in boxes:
        assert box["background"] == "rgb(255, 255, 255)" and box["scheme"] == "light", box
        assert box["padding"] == "0px" and not box["clipped"], f"a view loses its right edge in dark mode: {box}"
    # every menu: dark text on a light field (the neuron menu was white on white)
    menus = page.locator(".explainer-bokeh select")
    for i in range(menus.count()):
        menu = menus.nth(i)
        menu.scroll_into_view_if_needed()
        grey = pixels(menu.screenshot())
        assert np.median(grey) > 0.85 and grey.min() < 0.3, f"menu {i}: background {np.median(grey):.2f}, " \
                                                            f"darkest {grey.min():.2f}"
    browser_page.screenshot(f"access-dark-{page_id(docname)}")
    browser_page.assert_clean()


@pytest.mark.parametrize("docname", PAGES, ids=page_id)
def test_a_phone_reads_every_chapter_without_sideways_scrolling(browser_page, docname):
    page = open_book(browser_page, docname, phone=True)
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways at {PHONE['width']} px ({width} px)"
    # a view that ends up wider than its box becomes focusable, whenever Bokeh's last layout pass comes
    page.wait_for_function("""() => [...document.querySelectorAll('.explainer-bokeh')]
        .every((box) => box.scrollWidth <= box.clientWidth + 1 || box.tabIndex === 0)""")
    boxes = page.evaluate("""() => {
        const notes = [...document.querySelectorAll('aside.margin, div.margin')].map((n) => n.getBoundingClientRect());
        return [...document.querySelectorAll('.explainer-bokeh')].map((box) => {
          const r = box.getBoundingClientRect();
          const overlaps = notes.some((n) => n.width > 0 && n.left < r.right && r.left < n.right &&
                                             n.top < r.bottom && r.top < n.bottom);
          return {right: r.right, wide: box.scrollWidth > box.clientWidth + 1, focusable: box.tabIndex === 0,
                  overflow: getComputedStyle(box).overflowX, overlaps};
        });
    }""")
    for number, box in enumerate(boxes):
        assert box["right"] <= PHONE["width"] + 0.5, f"view {number} sticks out: {box}"
        assert not box["overlaps"], f"a margin note covers view {number}"
        if box["wide"]:  # it scrolls inside its own box, by keyboard too
            assert box["overflow"] == "auto" and box["focusable"], box
    wide = page.locator(".explainer-bokeh[tabindex='0']")
    if wide.count():
        wide.first.focus()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        page.wait_for_function("() => document.querySelector(\".explainer-bokeh[tabindex='0']\").scrollLeft > 0")
        assert page.evaluate("window.scrollX") == 0
    browser_page.screenshot(f"access-phone-{page_id(docname)}")
    browser_page.assert_clean()


# -- the audit -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["light", "dark", "phone"])
@pytest.mark.parametrize("docname", PAGES, ids=page_id)
def test_axe_finds_nothing_serious_or_critical(browser_page, docname, mode):
    """axe-core (shipped inside axe-playwright-python, injected into the page; nothing is fetched)."""
    from axe_playwright_python.sync_playwright import Axe

    page = open_book(browser_page, docname, dark=mode == "dark", phone=mode == "phone")
    # preload=False: axe would re-fetch the theme's stylesheets and resolve their relative
    # @import against the page instead of the sheet (a 404 for /basic.css); that preload only
    # serves the orientation-lock rule, and the book's CSS never locks the orientation.
    results = Axe().run(page, options={"resultTypes": ["violations"], "preload": False})
    found = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    report = "\n".join(f"{v['id']} ({v['impact']}): {len(v['nodes'])} nodes, e.g. {v['nodes'][0]['html'][:160]}"
                       for v in found)
    assert not found, f"axe-core on {docname} ({mode}):\n{report}"
    browser_page.assert_clean()
