"""The hyperparameter widget draws what explainer_core.arithmetic.hyperparams computes, for every slider setting.

The browser half (the JavaScript port gives the same answers) is in
tests/test_browser_hyperparameters.py.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from bokeh.embed import components
from bokeh.models import CustomJS, Div, Slider

from explainer_core.arithmetic.hyperparams import check_hyperparameters, window_positions
from explainer_core.errors import HyperparameterError
from explainer_core.twins import twin
from explainer_core.views import hyperparameter_widget as widget_module
from explainer_core.views.hyperparameter_widget import RANGES, hyperparameter_data, hyperparameter_widget
from explainer_core.views.kit import js_source

GRID = list(
    itertools.product(
        *(
            range(low, high + 1)
            for low, high in (RANGES["input_size"], RANGES["padding"], RANGES["kernel_size"], RANGES["stride"])
        )
    )
)


@pytest.mark.parametrize("n", range(RANGES["input_size"][0], RANGES["input_size"][1] + 1))
def test_data_follows_hyperparams_for_every_slider_setting(n):
    for n_, p, k, s in GRID:
        if n_ == n:
            _check_data(n, p, k, s)


def _check_data(n, p, k, s):
    data = hyperparameter_data(n, p, k, s)
    check = check_hyperparameters(n, k, s, p)
    padded = n + 2 * p
    cells = data["cells"]
    assert len(cells["x"]) == padded * padded
    assert cells["kind"].count("input") == n * n
    assert cells["kind"].count("padding") == padded * padded - n * n
    assert all(
        text == ("0" if kind == "padding" else "") for kind, text in zip(cells["kind"], cells["text"], strict=True)
    )
    never = padded * padded - (padded - check.left_out) ** 2
    assert cells["hatch"].count("/") == never
    if check.output_size is None:
        assert data["positions"]["top"] == [] and data["out"]["x"] == [] and data["current"]["x"] == []
        assert data["titles"]["text"][1] == "No output"
        assert len(data["kernel"]["x"]) == k * k  # the kernel is still drawn, sticking out of the input
        return
    stops = window_positions(n, k, s, p)
    assert data["positions"]["top"] == [w.top for w in stops]
    assert data["positions"]["left"] == [w.left for w in stops]
    assert data["positions"]["output_row"] == [w.output_row for w in stops]
    assert data["positions"]["output_col"] == [w.output_col for w in stops]
    assert len(data["out"]["x"]) == check.output_size**2
    assert data["titles"]["text"][1] == f"Output {check.output_size}×{check.output_size}"
    # by default the kernel sits at its last stop, and every output cell is computed
    last = stops[-1]
    assert min(data["kernel"]["x"]) == last.left + 0.5 and max(data["kernel"]["y"]) == -(last.top + 0.5)
    assert set(data["out"]["fill"]) == {"#60a5fa"}


def test_the_kernel_moves_with_the_position():
    stops = window_positions(6, 2, 2, 0)
    for i, stop in enumerate(stops):
        data = hyperparameter_data(6, 0, 2, 2, position=i)
        assert (min(data["kernel"]["x"]), max(data["kernel"]["y"])) == (stop.left + 0.5, -(stop.top + 0.5))
        assert data["out"]["fill"].count("#60a5fa") == i + 1


@pytest.mark.parametrize(("n", "p", "k", "s"), [(5, 0, 3, 1), (5, 1, 3, 2), (4, 0, 6, 1), (5, 0, 2, 2), (7, 2, 4, 3)])
def test_widget_states_the_verdict(n, p, k, s):
    layout = hyperparameter_widget(n, p, k, s)
    message = layout.select_one({"name": "hyper:message", "type": Div}).text
    check = check_hyperparameters(n, k, s, p)
    if check.valid:
        assert "Valid" in message and f"the output is {check.output_size}×{check.output_size}" in message
    else:
        assert f"<span class='xv-reason'>{check.reason}</span>" in message
    for name, value in (("input_size", n), ("padding", p), ("kernel_size", k), ("stride", s)):
        slider = layout.select_one({"name": f"hyper:{name}", "type": Slider})
        assert slider.value == value and (slider.start, slider.end) == RANGES[name]
    components(layout)


def test_the_arithmetic_in_the_page_is_the_js_port():
    layout = hyperparameter_widget()
    math = layout.select_one({"name": "hyper:math", "type": CustomJS})
    assert math.code == js_source("hyperparameter_widget/math")
    source = js_source("hyperparameter_widget/math")
    for sentence in (
        "The input must be at least 1",
        "does not fit inside",
        "cannot reach the edge",
        "are never visited",
        "Padding cannot be negative",
    ):
        assert sentence in source


@pytest.mark.parametrize(("name", "value"), [("input_size", 0), ("padding", 4), ("kernel_size", 7), ("stride", 1.0)])
def test_values_outside_the_sliders_are_refused(name, value):
    values = dict(input_size=5, padding=0, kernel_size=3, stride=1)
    values[name] = value
    with pytest.raises(HyperparameterError, match="goes from"):
        hyperparameter_widget(**values)


def test_the_first_frame_and_update_js_name_each_other_as_twins():
    """hyperparameter_data (Python's first frame) and update.js (every later frame) each name the other,
    the registry entry that lists them and the test that compares them; that entry and that test exist."""
    comparing = "test_the_browser_draws_what_python_draws"
    browser_tests = "tests/test_browser_hyperparameters.py"
    update_js = Path(widget_module.__file__).with_name("update.js").read_text(encoding="utf-8")
    header = "".join(line for line in update_js.splitlines(keepends=True) if line.startswith("//"))
    for text, other, registry in (
        (widget_module.__doc__, "update.js", "explainer_core.twins"),
        (header, "hyperparameter_data()", "explainer_core/twins.py"),
    ):
        for needle in (other, registry, '"hyperparameters"', comparing, browser_tests):
            assert needle in text, needle
    assert browser_tests in twin("hyperparameters").cases_in
    repo = Path(__file__).resolve().parents[1]
    assert f"def {comparing}(" in (repo / browser_tests).read_text(encoding="utf-8")
