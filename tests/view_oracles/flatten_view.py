"""The flatten elastic view's numbers, computed in Python: an independent Python reference of what
the page must show, used by the browser tests (tests/test_browser_output.py) and checked against
Keras (tests/test_views_output.py).

The product computes these numbers only in the browser: ``explainer_core/views/flatten_view/fill.js``
(the maps, the units, the outputs and the colour ranges) and ``focus.js`` (the edges, outlines,
links and the readout of the focus), for the first frame too; Python builds the view's skeleton
(positions, weights, names) with placeholders. Here :func:`flatten_data` gives every column of
every source as the page must hold it for a trace and a focus, :func:`readout_html` the readout,
and :func:`source_range` the maps' colour range.
"""

from __future__ import annotations

import numpy as np

from explainer_core.arithmetic.scales import color_ranges, symmetric
from explainer_core.arithmetic.trace import Trace
from explainer_core.errors import TraceError
from explainer_core.views.flatten_view import (
    _PAD,
    TOP_UNITS,
    FlattenSteps,
    _geometry,
    _labels,
    _source_values,
    _unit_xy,
    flatten_steps,
)
from explainer_core.views.kit import VIEW_WIDTH, fmt

__all__ = ["flatten_data", "readout_html", "source_range"]


def source_range(trace: Trace, steps: FlattenSteps | None = None) -> tuple[float, float]:
    """The activation colour range of the maps and the flatten units: the source layer's own.

    (The overview's "unit" range would share it with the convolution before, whose larger
    numbers would leave the pooled maps, all ReLU outputs, almost white.)
    """
    steps = steps or flatten_steps(trace)
    ranges = color_ranges(trace, "layer")
    if steps.source_name in ranges:
        return ranges[steps.source_name]
    return symmetric(float(np.abs(_source_values(trace, steps)).max()))


def _softmax_of(trace: Trace, steps: FlattenSteps) -> np.ndarray:
    return trace.probabilities if steps.is_logit else np.zeros(steps.dense.output_shape[0], np.float32)


def _auto_focus(values: np.ndarray) -> int:
    """The output unit shown before any hovering: the largest logit, i.e. the predicted class."""
    return int(np.argmax(values))


def flatten_data(trace: Trace, focus: tuple[str, int] | None = None, *, width: int = VIEW_WIDTH) -> dict[str, dict]:
    """The columns of every data source of the flatten view, from the trace.

    Sources: ``maps`` (one row per channel of the step before the flatten layer:
    ``image`` as an (H, W) array, top row first, and where it is drawn), ``units``
    (one row per flatten unit: its bar's centre ``x``, ``y``, its ``value`` and its
    source ``row``, ``col``, ``channel``), ``weights`` (one row: the dense kernel,
    Keras layout (inputs, outputs), flattened, and the bias), ``targets`` (one row
    per dense unit: where, ``label``, ``value`` (the logit), ``probability``, their
    texts and ``focus``), ``labels`` (fixed titles), and what the focus draws:
    ``edges``, ``marks`` (outlines of flatten units and their source pixels),
    ``links`` (a unit to its source pixel) and ``focus`` (``kind`` "auto", "unit"
    or "target", and ``index``; "auto" is the largest output unit, i.e. the
    predicted class). ``flatten_view/focus.js`` must draw any focus as :func:`_focus_columns` does.
    """
    steps = flatten_steps(trace)
    g = _geometry(trace, steps, width)
    source = _source_values(trace, steps)
    height, wide, channels = source.shape
    flattened = trace.input_of(steps.dense.name)
    values = trace.outputs[steps.dense.name]
    probabilities = _softmax_of(trace, steps)

    maps = dict(
        image=[np.ascontiguousarray(source[:, :, c]) for c in range(channels)],
        x=[float(m[0]) for m in g["maps"]],
        y=[-float(m[1]) for m in g["maps"]],
        dw=[float(g["map_w"])] * channels,
        dh=[float(g["map_h"])] * channels,
        channel=list(range(channels)),
    )
    count = flattened.shape[0]
    xy = np.array([_unit_xy(g, u) for u in range(count)], dtype=np.float64)
    index = trace.flatten_index
    units = dict(
        x=xy[:, 0],
        y=-xy[:, 1],
        value=np.asarray(flattened, dtype=np.float32).copy(),
        row=index[:, 0].astype(np.int32),
        col=index[:, 1].astype(np.int32),
        channel=index[:, 2].astype(np.int32),
    )
    weights = dict(
        kernel=[np.ascontiguousarray(steps.dense.kernel, dtype=np.float32).ravel()],
        bias=[np.asarray(steps.dense.bias, dtype=np.float32).copy()],
    )
    n = g["targets"]
    spacing = g["spacing"]
    targets = dict(
        x=[_PAD + (j + 0.5) * spacing for j in range(n)],
        y=[-g["target_y"]] * n,
        label=list(g["names"]),
        value=[float(v) for v in values],
        probability=[float(p) for p in probabilities],
        value_text=[_value_text(float(v), steps, g) for v in values],
        prob_text=[_prob_text(float(p), steps, g) for p in probabilities],
        focus=[0] * n,
    )
    focus = ("auto", _auto_focus(values)) if focus is None else _check_focus(focus, count, n)
    columns = _focus_columns(
        focus,
        units["x"],
        units["y"],
        units["value"],
        units["row"],
        units["col"],
        units["channel"],
        weights["kernel"][0],
        weights["bias"][0],
        targets,
        maps,
        g,
    )
    targets["focus"] = columns.pop("target_focus")
    return dict(
        maps=maps,
        units=units,
        weights=weights,
        targets=targets,
        labels=_labels(trace, steps, g),
        focus=dict(kind=[focus[0]], index=[focus[1]]),
        **columns,
    )


def _value_text(value: float, steps: FlattenSteps, g: dict) -> str:
    if not g["numbers"]:
        return ""
    return f"z = {fmt(value)}" if steps.is_logit else fmt(value)


def _prob_text(probability: float, steps: FlattenSteps, g: dict) -> str:
    return f"p = {fmt(probability)}" if steps.is_logit and g["numbers"] else ""


def _check_focus(focus, units: int, targets: int) -> tuple[str, int]:
    kind, index = focus
    size = {"unit": units, "target": targets}.get(kind)
    if size is None:
        raise TraceError(f"The focus is ('unit', u) or ('target', k), not {focus!r}.")
    if not 0 <= int(index) < size:
        raise TraceError(f"{kind.capitalize()} {index} is out of range (0 to {size - 1}).")
    return kind, int(index)


def _focus_columns(focus, ux, uy, value, row, col, channel, kernel, bias, targets, maps, g) -> dict:
    """Edges, outlines and links for one focus (``flatten_view/focus.js`` must compute the same)."""
    n = g["targets"]
    kind, index = focus
    edges = dict(x0=[], y0=[], x1=[], y1=[], weight=[], width=[], casing=[], unit=[], target=[])
    marks = dict(x=[], y=[], w=[], h=[], kind=[])
    links = dict(x0=[], y0=[], x1=[], y1=[])
    target_focus = [0] * n
    wlim = float(np.abs(kernel).max()) or 1.0
    bar_h, r = g["bar_h"], g["radius"]

    def mark_unit(u: int) -> None:
        marks["x"].append(float(ux[u]))
        marks["y"].append(float(uy[u]))
        marks["w"].append(g["unit_w"] + 1.5)
        marks["h"].append(bar_h + 3)
        marks["kind"].append("unit")
        c = int(channel[u])
        marks["x"].append(maps["x"][c] + (int(col[u]) + 0.5) * g["cell"])
        marks["y"].append(maps["y"][c] - (int(row[u]) + 0.5) * g["cell"])
        marks["w"].append(g["cell"] + 1.5)
        marks["h"].append(g["cell"] + 1.5)
        marks["kind"].append("pixel")

    def edge(u: int, k: int, weight: float, strength: float) -> None:
        edges["x0"].append(float(ux[u]))
        edges["y0"].append(float(uy[u]) - bar_h / 2)
        edges["x1"].append(float(targets["x"][k]))
        edges["y1"].append(float(targets["y"][k]) + r)
        edges["weight"].append(weight)
        edges["width"].append(0.8 + 2.7 * strength)
        edges["casing"].append(2.2 + 2.7 * strength)  # a grey border, so that pale (small) weights still show
        edges["unit"].append(u)
        edges["target"].append(k)

    if kind == "unit":
        for k in range(n):
            w = float(kernel[index * n + k])
            edge(index, k, w, min(1.0, abs(w) / wlim))
        mark_unit(index)
        c = int(channel[index])
        links["x0"].append(maps["x"][c] + (int(col[index]) + 0.5) * g["cell"])
        links["y0"].append(maps["y"][c] - (int(row[index]) + 0.5) * g["cell"])
        links["x1"].append(float(ux[index]))
        links["y1"].append(float(uy[index]) + bar_h / 2)
    else:
        k = index
        target_focus[k] = 1
        for u, product in _top_terms(value, kernel, n, k):
            edge(u, k, float(kernel[u * n + k]), product)
        for u, _ in _top_terms(value, kernel, n, k):
            mark_unit(u)
    return dict(edges=edges, marks=marks, links=links, target_focus=target_focus)


def _top_terms(value: np.ndarray, kernel: np.ndarray, n: int, k: int) -> list[tuple[int, float]]:
    """The (unit, |term| / largest |term|) of output ``k``'s :data:`TOP_UNITS` largest non-zero terms.

    Terms are the float32 products value × weight (as ops.dense_terms forms them);
    ties go to the lower unit, as in focus.js.
    """
    terms = np.abs(value.astype(np.float32) * kernel[k::n].astype(np.float32))
    order = sorted((i for i in range(len(terms)) if terms[i] > 0), key=lambda i: (-terms[i], i))[:TOP_UNITS]
    if not order:
        return []
    largest = float(terms[order[0]])
    return [(i, float(terms[i]) / largest) for i in order]


def _num(value: float, cls: str = "") -> str:
    return f"<span class='xv-num{' ' + cls if cls else ''}'>{fmt(value)}</span>"


def readout_html(trace: Trace, data: dict) -> str:
    """The sentence under the view for ``data``'s focus (focus.js must write the same HTML)."""
    steps = flatten_steps(trace)
    kind, index = data["focus"]["kind"][0], data["focus"]["index"][0]
    units, targets = data["units"], data["targets"]
    kernel, bias = data["weights"]["kernel"][0], data["weights"]["bias"][0]
    n = len(targets["x"])
    count = len(units["x"])
    label = trace.network.class_name if steps.is_logit else (lambda j: f"{steps.dense.name} · {j}")
    if kind == "unit":
        value = float(units["value"][index])
        effect = (
            f"It is zero, so none of its {n} edges changes an output, whatever its weight."
            if value == 0
            else f"Its {n} edges carry it to every output unit, each with its own weight: green, solid edges add; "
            "brown, dashed ones subtract."
        )
        return (
            f"<div class='xv-line'>Flatten unit {index} is pixel (row {int(units['row'][index])}, column "
            f"{int(units['col'][index])}) of {steps.source_name} · channel {int(units['channel'][index])}, value "
            f"{_num(value, 'xv-x')}. {effect}</div>"
        )
    terms = units["value"].astype(np.float32) * kernel[index::n].astype(np.float32)
    total = float(np.float32(terms.astype(np.float64).sum()))
    shown = [u for u, _ in _top_terms(units["value"], kernel, n, index)]
    top = float(np.float32(terms[shown].astype(np.float64).sum())) if shown else 0.0
    name = "logit" if steps.is_logit else "value"
    return (
        f"<div class='xv-line'><b>{label(index)}</b>: {name} = Σ value × weight over all {count:,} flatten "
        f"units + bias = {_num(total, 'xv-part')} + {_num(float(bias[index]), 'xv-bias')} = "
        f"{_num(float(targets['value'][index]), 'xv-result')}. The {len(shown)} edges drawn are its largest "
        f"terms; together they add up to {_num(top, 'xv-part')}.</div>"
    )
