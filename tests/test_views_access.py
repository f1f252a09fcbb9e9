"""Access for everyone, before the browser: every view names its figures and controls
(explainer_core/views/kit/access.py). tests/test_browser_access.py checks the same in Chromium."""

from __future__ import annotations

import numpy as np
import pytest
from bokeh.models import Div, FileInput, Plot, RadioButtonGroup, Select, Slider

from explainer_core.arithmetic.trace import trace
from explainer_core.page import protocol
from explainer_core.page.embed import show
from explainer_core.page.examples import default_example, default_trace
from explainer_core.views.conv_view import conv_elastic_view
from explainer_core.views.flatten_view import flatten_view
from explainer_core.views.formula_views import conv_formula_view, maxpool_formula_view, relu_formula_view
from explainer_core.views.hyperparameter_widget import hyperparameter_widget
from explainer_core.views.image_picker import GalleryImage, image_picker
from explainer_core.views.input_view import input_view
from explainer_core.views.kit import access
from explainer_core.views.overview import neuron_menu, overview
from explainer_core.views.softmax_view import softmax_view
from tests.view_oracles.overview import overview_data

VIEWS = {
    "overview": lambda t: overview(t),
    "conv_elastic": lambda t: conv_elastic_view(t, "conv_1_1", 1),
    "conv_formula": lambda t: conv_formula_view(t, "conv_1_1", 1),
    "relu_formula": lambda t: relu_formula_view(t),
    "maxpool_formula": lambda t: maxpool_formula_view(t),
    "flatten": lambda t: flatten_view(t),
    "softmax": lambda t: softmax_view(t),
    "hyperparameters": lambda t: hyperparameter_widget(),
    "input": lambda t: input_view(t, default_example().original),
}


def small_gallery() -> tuple[GalleryImage, ...]:
    thumb = np.zeros((48, 48, 3), np.uint8)
    return tuple(GalleryImage(label, b"", "image/jpeg", thumb) for label in ("koala", "koala", "pizza"))


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_every_figure_and_control_of_a_view_is_named(name):
    t = default_trace()
    layout = VIEWS[name](t)
    show(layout)
    models = layout.references()
    plots = [m for m in models if isinstance(m, Plot)]
    assert plots
    for plot in plots:
        assert plot.html_attributes.get("role") == "img", plot.name
        assert len(plot.html_attributes.get("aria-label", "")) > 8, plot.name
    for widget in models:
        if isinstance(widget, Select | Slider | FileInput):
            assert widget.title, widget
        if isinstance(widget, RadioButtonGroup):
            assert widget.html_attributes.get("aria-label"), widget
    # the views with their own words describe themselves; the input view's figures are named by show()
    describers = [m for m in models if getattr(m, "name", None) == protocol.DESCRIBE]
    assert len(describers) == 1


def test_show_adds_one_ready_script_and_one_description_for_unnamed_figures():
    from bokeh.document import Document
    from bokeh.plotting import figure

    p = figure(title="a plot of nothing", toolbar_location=None)
    p.line([0, 1], [0, 1])
    show(p)
    show(p)  # twice: the figure keeps one name and one description callback
    assert p.html_attributes == {"role": "img", "aria-label": "a plot of nothing"}
    assert [tag.name for tag in p.tags] == [protocol.DESCRIBE]

    doc = Document()
    doc.add_root(p)
    show(p)
    show(p)
    ready = doc.callbacks.js_event_callbacks["document_ready"]
    assert [c.name for c in ready] == [protocol.READY]


def test_the_status_line_is_a_polite_live_region_and_the_gallery_has_a_menu():
    layout = image_picker(images=small_gallery(), columns=3)
    models = layout.references()
    status = next(m for m in models if isinstance(m, Div) and m.name == "explainer-status")
    assert status.html_attributes == {"role": "status", "aria-live": "polite"}
    menu = next(m for m in models if isinstance(m, Select) and m.name == "gallery_menu")
    assert menu.options == [("", "choose a photo…"), ("0", "koala (1)"), ("1", "koala (2)"), ("2", "pizza")]
    gallery = next(m for m in models if isinstance(m, Plot) and m.name == "gallery_plot")
    assert gallery.html_attributes["aria-label"].startswith("3 photos to choose from: koala, pizza.")


def test_the_overview_menu_lists_every_map_and_class_once():
    t = default_trace()
    neurons = overview_data(t)["neurons"]
    menu = neuron_menu(neurons, t.network.class_name)
    values = [value for group in menu.options.values() for value, _ in group]
    assert values == ["", *map(str, range(len(neurons["layer"])))]
    assert menu.options["input"][0] == ("0", "input, red channel")
    assert menu.options["conv_1_1"][3][1] == "conv_1_1, neuron 3"
    assert menu.options["output"][t.predicted_class][1] == f"output, {t.predicted_label}"


def test_a_picture_is_named_only_when_the_book_knows_it():
    t = default_trace()
    assert access.picture_name(t) == "a photo of an espresso"
    other = trace(t.network, np.zeros(t.network.input_shape, np.float32))
    assert access.picture_name(other) == "the picture"


def test_formatters_write_a_true_minus_sign():
    hover = access.signed_hover(2)
    ticks = access.signed_ticks()
    for formatter in (hover, ticks):
        assert formatter.name == protocol.SIGNED
        assert "\\u2212" in formatter.code and "toFixed(places)" in formatter.code
