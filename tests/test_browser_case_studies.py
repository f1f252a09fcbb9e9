"""In the built book: the case studies (book/16_case_studies) render clean, say what Python computed, fit a phone.

The expected numbers are Python's: ``answer_rows`` and ``photo_misses`` of the zoo's cards and
precomputed outputs, read from disk again. Build once (a temporary table of contents with only this
chapter will do) and point the tests at it::

    CNN_EXPLAINER_DATA=... .venv/bin/jupyter-book build . --toc /tmp/h4/toc.yml --path-output /tmp/h4 -W
    BOOK_HTML_DIR=/tmp/h4/_build/html .venv/bin/pytest tests/test_browser_case_studies.py
"""

from __future__ import annotations

import json

import pytest

from explainer_core.page.sphinxext.offline import external_loads

from .browser import BOKEH_LOOKUP_JS
from .test_book_pages import PAGE_BUDGET_BYTES

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGE = "book/16_case_studies.html"
HELPERS = "() => {" + BOKEH_LOOKUP_JS + "}"
#: Every Bokeh item the chapter shows, by a model each one names.
ITEMS = ("class_answers:bars", "photo_misses:bars", "case1_maps:layout", "case2_maps:layout")


def open_page(browser_page, *, phone: bool = False, dark: bool = False):
    return browser_page.open(PAGE, HELPERS, phone=phone, dark=dark)


def expected():
    """The chapter's first case as Python computes it: the widest class, its bars and its photos' misses."""
    from explainer_core.compare import accuracy_overview, class_report, disagreement, photo_misses
    from explainer_core.models.loading import card_path
    from explainer_core.models.zoo import ZOO
    from explainer_core.precompute import load
    from explainer_core.views.case_figures import answer_rows

    index, arrays = load()
    cards = {name: json.loads(card_path(ZOO[name].path).read_text()) for name in index["members"]}
    case = disagreement(accuracy_overview(list(cards.values()))).disagree[0].class_name
    report = class_report(cards, case)
    misses = photo_misses(arrays["val_probabilities"], arrays["val_labels"], index["members"],
                          index["class_names"], case)
    return case, answer_rows(report)[1], sorted((len(p.missed_by) for p in misses), reverse=True)


def test_the_page_renders_clean_with_a_text_alternative_for_every_chart(browser_page):
    page = open_page(browser_page)
    assert browser_page.wait_for_bokeh() >= len(ITEMS)
    for name in ITEMS:
        assert page.evaluate("(n) => window.__model(n) != null", name)
    labels = page.evaluate("""() => [...document.querySelectorAll('.explainer-bokeh [role=img]')]
        .map((el) => el.getAttribute('aria-label') || '')""")
    assert labels and all(len(label) > 20 for label in labels), labels
    drawn = page.evaluate("""() => [...document.querySelectorAll('.explainer-bokeh')].map((box) =>
        box.getBoundingClientRect().height)""")
    assert all(height > 50 for height in drawn), drawn
    browser_page.screenshot("case-studies-desktop", full_page=True)
    browser_page.assert_clean()


def test_the_charts_show_what_python_computed(browser_page):
    case, columns, counts = expected()
    page = open_page(browser_page)
    bars = page.evaluate("() => window.__data('class_answers:source')")
    assert bars["member"] == columns["member"]
    for key, values in columns.items():
        if key not in ("member", "text"):
            assert bars[key] == pytest.approx(values), key
    assert page.evaluate("() => window.__data('photo_misses:source')")["count"] == counts
    label = page.evaluate("() => window.__model('class_answers:bars').html_attributes['aria-label']")
    assert label.startswith(f"Answers on the {case} photos, best network first") and columns["text"][0] in label
    browser_page.assert_clean()


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_a_phone_sees_the_whole_page_without_scrolling_sideways(browser_page, dark):
    open_page(browser_page, phone=True, dark=dark)
    browser_page.assert_fits_a_phone()
    browser_page.screenshot(f"case-studies-phone-{'dark' if dark else 'light'}", full_page=True)
    browser_page.assert_clean()


def test_the_page_is_small_and_fetches_nothing_from_other_hosts(browser_page, book_html):
    html = (book_html / PAGE).read_text(encoding="utf-8")
    assert len(html.encode()) < PAGE_BUDGET_BYTES
    assert external_loads(html) == []
    page = open_page(browser_page)
    page.wait_for_load_state("networkidle")
    assert not browser_page.external_requests
    browser_page.assert_clean()
