"""The flatten elastic view: how the last image-shaped layer becomes one vector of class scores.

CNN Explainer (Sect. 6.2, Fig. 5B) shows the often-overlooked flatten layer
between the last pooling layer and the output layer: every pixel of every
activation map becomes one unit of a long vector, drawn as a short line in the
colour of its source pixel, and each output neuron is connected to every one of
those units by a weight. This view draws, from top to bottom:

* the activation maps of the step before the flatten layer (``max_pool_2`` in
  Tiny VGG), on the red-white-blue activation scale;
* the flatten layer, wrapped like a paragraph: each line is one row of the maps,
  and within a line the units come pixel by pixel, all channels of a pixel
  together (Keras flattens channels-last arrays in row-major order, so the
  channel index changes fastest);
* the units of the dense layer after it, for Tiny VGG the ten logits, labelled
  with class names, logits and probabilities.

A dense layer after 1,690 units has 16,900 edges; drawing all of them would
only paint the view grey. So only the edges of one thing are drawn: of the
hovered flatten unit (or map pixel) to every output unit, or of the hovered
output unit to its 40 units with the largest ``|value × weight|`` (the terms of
its weighted sum that matter most). Edges are coloured by weight on the
brown-white-green weight scale, and a negative weight's edge is dashed, so
that its sign does not rest on colour alone. Before any hovering the view shows the
predicted class's edges.

:func:`flatten_data` computes what every data source holds, from a
:class:`~explainer_core.arithmetic.trace.Trace` only; :func:`flatten_view` draws it. The
browser redraws the edges with ``js/flatten_focus.js`` and follows a new
picture with ``js/refill_flatten.js``.

Explained in "The flatten layer and the output" (book/08_flatten_and_output.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from bokeh import events
from bokeh.layouts import column
from bokeh.models import CDSView, ColumnDataSource, CustomJSTransform, Div, IndexFilter, LinearColorMapper, Range1d
from bokeh.transform import transform

from ...arithmetic.formulas import check_trace
from ...arithmetic.network import LayerSpec
from ...arithmetic.scales import color_ranges, symmetric, target_range, weight_limit
from ...arithmetic.trace import Trace
from ...errors import TraceError
from ..kit import (
    ACTIVATION,
    LOGIT,
    VIEW_WIDTH,
    WEIGHT,
    as_image,
    bare_figure,
    custom_js,
    describe_callback,
    fmt,
    panel_css,
    picture_name,
    refill_callback,
)

__all__ = ["TOP_UNITS", "flatten_data", "flatten_steps", "flatten_view", "source_range", "target_range"]

#: How many edges a hovered output unit shows: its units with the largest |value × weight|.
TOP_UNITS = 40

#: Edges of negative weights dashed, of positive ones solid (a CustomJSTransform's v_func).
NEGATIVE_DASHED = "return xs.map((w) => (w < 0 ? [5, 3] : []));"

# Layout, in screen pixels (the figure's data units are pixels, y growing downwards as -y).
_PAD = 6
_MAP_GAP = 8
_ROW_LABEL = 44
_GROUP_GAP = 2.0
_MIN_UNIT = 2.5
_MAX_UNIT = 8.0
_EDGE_ZONE = 120
_TEXT = "#374151"
_SOFT = "#4b5563"


# -- which steps ------------------------------------------------------------------
@dataclass(frozen=True)
class FlattenSteps:
    """The three steps the view shows: the source of the flatten layer, the flatten layer, the dense layer."""

    source: LayerSpec | None  # None when the flatten layer reads the input image itself
    source_name: str
    flatten: LayerSpec
    dense: LayerSpec
    is_logit: bool  # the dense layer's outputs are the logits the softmax reads


def flatten_steps(trace: Trace) -> FlattenSteps:
    """The flatten step, the step before it and the dense step after it, found from the network's structure."""
    check_trace(trace)
    layers = trace.network.layers
    index = next(i for i, s in enumerate(layers) if s.kind == "flatten")
    if index + 1 >= len(layers) or layers[index + 1].kind != "dense":
        raise TraceError(
            f"The flatten view needs a dense layer right after {layers[index].name!r}; "
            f"this network has {layers[index + 1].kind if index + 1 < len(layers) else 'nothing'} there."
        )
    dense = layers[index + 1]
    after = layers[index + 2] if index + 2 < len(layers) else None
    return FlattenSteps(
        source=layers[index - 1] if index else None,
        source_name=layers[index - 1].name if index else "input",
        flatten=layers[index],
        dense=dense,
        is_logit=after is not None and after.kind == "softmax",
    )


def _source_values(trace: Trace, steps: FlattenSteps) -> np.ndarray:
    return trace.input_of(steps.flatten.name)


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


def target_label(trace: Trace, steps: FlattenSteps, unit: int) -> str:
    """What an output unit is called: its class name, or ``<dense layer> · <unit>`` for a hidden layer."""
    return trace.network.class_name(unit) if steps.is_logit else f"{steps.dense.name} · {unit}"


# -- the geometry -----------------------------------------------------------------
def _wrap(text: str, chars: int) -> str:
    """``text`` on at most two lines of about ``chars`` characters, cut with "…" beyond."""
    chars = max(chars, 3)
    if len(text) <= chars:
        return text
    words, lines, line = text.split(" "), [], ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if len(candidate) <= chars or not line:
            line = candidate
        else:
            lines.append(line)
            line = word
    lines.append(line)
    if len(lines) > 2:
        lines = [lines[0], " ".join(lines[1:])]
    return "\n".join(part if len(part) <= chars else part[: chars - 1] + "…" for part in lines)


def _geometry(trace: Trace, steps: FlattenSteps, width: int) -> dict:
    """Where everything is drawn, in pixels from the top-left corner (deterministic from the shapes)."""
    height, wide, channels = _source_values(trace, steps).shape
    targets = steps.dense.output_shape[0]
    usable = width - 2 * _PAD
    top = 24.0

    # the maps, in rows of at most `per_row`, a map pixel `cell` pixels wide
    per_row = channels
    cell = (usable - _MAP_GAP * (per_row - 1)) / (per_row * wide)
    if cell < 3:
        per_row = max(1, int((usable + _MAP_GAP) // (3 * wide + _MAP_GAP)))
        cell = (usable - _MAP_GAP * (per_row - 1)) / (per_row * wide)
    cell = min(cell, 6.0, 96 / height)
    map_w, map_h = wide * cell, height * cell
    span = per_row * map_w + (per_row - 1) * _MAP_GAP
    left0 = _PAD + (usable - span) / 2
    maps = []
    for c in range(channels):
        r, k = divmod(c, per_row)
        maps.append((left0 + k * (map_w + _MAP_GAP), top + r * (map_h + 18)))
    map_rows = math.ceil(channels / per_row)
    maps_bottom = top + map_rows * (map_h + 18) - 4

    # the flatten layer: lines of `groups` pixels, each a group of `channels` units
    strip_w = usable - _ROW_LABEL
    gap = _GROUP_GAP if channels > 1 else 0.0
    groups = wide
    if groups * channels * _MIN_UNIT + (groups - 1) * gap > strip_w:
        groups = max(1, int((strip_w + gap) // (channels * _MIN_UNIT + gap)))
    unit_w = min(_MAX_UNIT, (strip_w - (groups - 1) * gap) / (groups * channels))
    lines_per_row = math.ceil(wide / groups)
    lines = height * lines_per_row
    bar_h = max(4.0, min(12.0, 260 / lines - 4))
    pitch = bar_h + 4
    strip_title = maps_bottom + 16
    strip_top = strip_title + 14
    strip_left = _PAD + _ROW_LABEL
    line_len = groups * channels * unit_w + (groups - 1) * gap
    strip_left += (strip_w - line_len) / 2
    strip_bottom = strip_top + lines * pitch

    # the output units, evenly spaced in one row
    spacing = usable / targets
    target_y = strip_bottom + _EDGE_ZONE
    radius = max(4.0, min(11.0, spacing * 0.3))
    name_lines = 1
    chars = int(spacing // 6.6)
    names = [_wrap(trace.network.class_name(j) if steps.is_logit else f"unit {j}", chars) for j in range(targets)]
    name_lines = max(n.count("\n") + 1 for n in names)
    numbers = spacing >= 44  # room to write the logit and the probability under each unit
    bottom = target_y + radius + 8 + 13 * name_lines + (30 if numbers else 0) + 26
    return dict(
        height=height,
        wide=wide,
        channels=channels,
        targets=targets,
        cell=cell,
        map_w=map_w,
        map_h=map_h,
        maps=maps,
        maps_bottom=maps_bottom,
        groups=groups,
        gap=gap,
        unit_w=unit_w,
        lines_per_row=lines_per_row,
        bar_h=bar_h,
        pitch=pitch,
        strip_title=strip_title,
        strip_top=strip_top,
        strip_left=strip_left,
        strip_bottom=strip_bottom,
        spacing=spacing,
        target_y=target_y,
        radius=radius,
        names=names,
        name_lines=name_lines,
        numbers=numbers,
        total_w=float(width),
        total_h=bottom,
    )


def _unit_xy(g: dict, unit: int) -> tuple[float, float]:
    """Centre of flatten unit ``unit``'s bar, in pixels from the top-left corner."""
    channels, groups = g["channels"], g["groups"]
    pixel, channel = divmod(unit, channels)
    row, col = divmod(pixel, g["wide"])
    line = row * g["lines_per_row"] + col // groups
    slot = col % groups
    x = g["strip_left"] + slot * (channels * g["unit_w"] + g["gap"]) + (channel + 0.5) * g["unit_w"]
    y = g["strip_top"] + line * g["pitch"] + g["bar_h"] / 2
    return x, y


# -- the data -------------------------------------------------------------------
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
    predicted class). ``js/flatten_focus.js`` draws any focus exactly as
    :func:`_focus_columns` does.
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
    """Edges, outlines and links for one focus (``js/flatten_focus.js`` computes the same)."""
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
    ties go to the lower unit, as in flatten_focus.js.
    """
    terms = np.abs(value.astype(np.float32) * kernel[k::n].astype(np.float32))
    order = sorted((i for i in range(len(terms)) if terms[i] > 0), key=lambda i: (-terms[i], i))[:TOP_UNITS]
    if not order:
        return []
    largest = float(terms[order[0]])
    return [(i, float(terms[i]) / largest) for i in order]


def _labels(trace: Trace, steps: FlattenSteps, g: dict) -> dict[str, list]:
    """The fixed texts: titles of the three layers, the channel numbers and the row numbers."""
    height, wide, channels = g["height"], g["wide"], g["channels"]
    texts: list[tuple[float, float, str, str]] = []
    texts.append((_PAD, 10, f"{steps.source_name}: {channels} activation maps of {height}×{wide}", "title"))
    for c, (x, y) in enumerate(g["maps"]):
        texts.append((x + g["map_w"] / 2, y + g["map_h"] + 7, str(c), "small"))
    count = steps.flatten.output_shape[0]
    texts.append(
        (_PAD, g["strip_title"], f"{steps.flatten.name}: {count:,} units, one line per row of the maps", "title")
    )
    for r in range(height):
        y = g["strip_top"] + r * g["lines_per_row"] * g["pitch"] + g["bar_h"] / 2
        texts.append((g["strip_left"] - 6, y, f"row {r}", "row"))
    n = g["targets"]
    what = "logits" if steps.is_logit else "units"
    texts.append((_PAD, g["total_h"] - 10, f"{steps.dense.name}: {n} {what}", "title"))
    return dict(
        x=[t[0] for t in texts],
        y=[-t[1] for t in texts],
        text=[t[2] for t in texts],
        kind=[t[3] for t in texts],
    )


# -- the readout ------------------------------------------------------------------
def _num(value: float, cls: str = "") -> str:
    return f"<span class='xv-num{' ' + cls if cls else ''}'>{fmt(value)}</span>"


def _readout_html(trace: Trace, data: dict) -> str:
    """The sentence under the view for the first render (flatten_focus.js writes the same HTML)."""
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


# -- the view -------------------------------------------------------------------
def flatten_view(trace: Trace, *, key: str = "flatten", width: int = VIEW_WIDTH):
    """The flatten elastic view of ``trace`` (CNN Explainer's Fig. 5B), as a Bokeh layout.

    Hover over a map pixel or a flatten unit to see where it comes from and its
    edges to every output unit; hover over an output unit to see its strongest
    edges. Models are named ``<key>:...``: ``:figure``, ``:readout`` and the
    sources of :func:`flatten_data` (``:maps``, ``:units``, ...).
    """
    steps = flatten_steps(trace)
    g = _geometry(trace, steps, width)
    data = flatten_data(trace, width=width)
    src = {name: ColumnDataSource(columns, name=f"{key}:{name}") for name, columns in data.items()}

    p = bare_figure(
        x_range=Range1d(0, g["total_w"]),
        y_range=Range1d(-g["total_h"], 0),
        frame_width=int(g["total_w"]),
        frame_height=int(round(g["total_h"])),
        tools="",
        toolbar_location=None,
        name=f"{key}:figure",
        min_border=0,
        outline_line_color=None,
    )

    low, high = source_range(trace, steps)
    activation = LinearColorMapper(palette=list(ACTIVATION), low=low, high=high)
    p.image(
        image="image",
        x="x",
        y="y",
        dw="dw",
        dh="dh",
        source=src["maps"],
        color_mapper=activation,
        origin="top_left",
        anchor="top_left",
    )
    maps = data["maps"]
    p.rect(
        [x + w / 2 for x, w in zip(maps["x"], maps["dw"], strict=True)],
        [y - h / 2 for y, h in zip(maps["y"], maps["dh"], strict=True)],
        width=maps["dw"],
        height=maps["dh"],
        fill_color=None,
        line_color="#c8ced6",
    )

    wlim = weight_limit(steps.dense)
    weight = LinearColorMapper(palette=list(WEIGHT), low=-wlim, high=wlim)
    p.rect(
        "x",
        "y",
        width=g["unit_w"],
        height=g["bar_h"],
        source=src["units"],
        fill_color=transform("value", activation),
        line_color=None,
    )
    # a thin frame around each line of the flatten layer, so that white (zero) units still show where they are
    lines = g["height"] * g["lines_per_row"]
    line_len = g["groups"] * g["channels"] * g["unit_w"] + (g["groups"] - 1) * g["gap"]
    p.rect(
        [g["strip_left"] + line_len / 2] * lines,
        [-(g["strip_top"] + i * g["pitch"] + g["bar_h"] / 2) for i in range(lines)],
        width=line_len + 1,
        height=g["bar_h"] + 1,
        fill_color=None,
        line_color="#d1d5db",
        line_width=0.6,
    )
    # the focus's edges go over the flatten layer: the reader is following them
    p.segment("x0", "y0", "x1", "y1", source=src["links"], line_color="#374151", line_width=1.2, line_dash=[3, 2])
    # a negative weight's edge is dashed (its casing too), so that its sign does not rest on colour alone
    dashed = transform("weight", CustomJSTransform(v_func=NEGATIVE_DASHED, name=f"{key}:negative-dashed"))
    p.segment(
        "x0",
        "y0",
        "x1",
        "y1",
        source=src["edges"],
        line_color="#6b7280",
        line_width="casing",
        line_alpha=0.45,
        line_dash=dashed,
    )
    p.segment(
        "x0",
        "y0",
        "x1",
        "y1",
        source=src["edges"],
        line_color=transform("weight", weight),
        line_width="width",
        line_dash=dashed,
    )
    p.rect("x", "y", width="w", height="h", source=src["marks"], fill_color=None, line_color="#111827", line_width=1.6)

    lo, hi = target_range(data["targets"]["value"], steps.is_logit)
    target_mapper = LinearColorMapper(palette=list(LOGIT if steps.is_logit else ACTIVATION), low=lo, high=hi)
    p.scatter(
        "x",
        "y",
        source=src["targets"],
        size=2 * g["radius"],
        marker="circle",
        fill_color=transform("value", target_mapper),
        line_color="#9ca3af",
        line_width=1,
    )
    p.scatter(
        "x",
        "y",
        source=src["targets"],
        size=2 * g["radius"] + 5,
        marker="circle",
        fill_color=None,
        line_color="#111827",
        line_width=2.2,
        line_alpha="focus",
    )
    name_y = g["radius"] + 6
    text = dict(source=src["targets"], text_align="center", text_baseline="top", text_font_size="11px")
    p.text("x", "y", text="label", y_offset=name_y, text_color=_TEXT, **text)
    numbers_y = name_y + 13 * g["name_lines"] + 2
    p.text("x", "y", text="value_text", y_offset=numbers_y, text_color=_SOFT, **text)
    p.text("x", "y", text="prob_text", y_offset=numbers_y + 14, text_color=_SOFT, **text)

    kinds = data["labels"]["kind"]

    def only(kind: str) -> CDSView:
        return CDSView(filter=IndexFilter([i for i, k in enumerate(kinds) if k == kind]))

    p.text(
        "x",
        "y",
        text="text",
        source=src["labels"],
        view=only("title"),
        text_align="left",
        text_baseline="middle",
        text_font_size="12px",
        text_font_style="bold",
        text_color=_TEXT,
    )
    p.text(
        "x",
        "y",
        text="text",
        source=src["labels"],
        view=only("small"),
        text_align="center",
        text_baseline="middle",
        text_font_size="10px",
        text_color=_SOFT,
    )
    p.text(
        "x",
        "y",
        text="text",
        source=src["labels"],
        view=only("row"),
        text_align="right",
        text_baseline="middle",
        text_font_size="10px",
        text_color=_SOFT,
    )

    readout = Div(
        text=_readout_html(trace, data),
        name=f"{key}:readout",
        stylesheets=[panel_css()],
        sizing_mode="stretch_width",
        min_height=48,
    )
    meta = dict(
        unit_w=g["unit_w"],
        bar_h=g["bar_h"],
        cell=g["cell"],
        radius=g["radius"],
        spacing=g["spacing"],
        label_h=g["radius"] + 6 + 13 * g["name_lines"] + (30 if g["numbers"] else 0),
        height=g["height"],
        wide=g["wide"],
        channels=g["channels"],
        targets=g["targets"],
        top=TOP_UNITS,
        source=steps.source_name,
        dense=steps.dense.name,
        is_logit=steps.is_logit,
        labels=[target_label(trace, steps, j) for j in range(g["targets"])],
    )
    draw = custom_js(
        "flatten_view/focus",
        units=src["units"],
        weights=src["weights"],
        targets=src["targets"],
        maps=src["maps"],
        edges=src["edges"],
        marks=src["marks"],
        links=src["links"],
        focus=src["focus"],
        readout=readout,
        meta=meta,
    )
    draw.name = f"{key}:draw"
    hover = custom_js(
        "flatten_view/hover",
        units=src["units"],
        targets=src["targets"],
        maps=src["maps"],
        focus=src["focus"],
        draw=draw,
        meta=meta,
    )
    p.js_on_event(events.MouseMove, hover)
    p.js_on_event(events.Tap, hover)

    note = Div(
        text="<div class='xv-note'>Hover over a pixel of a map or a short line of the flatten layer to see "
        "where it comes from and its edges to every output unit; hover over an output unit to see the "
        f"{TOP_UNITS} flatten units that push it hardest. Edge colour: the weight (green and solid "
        "positive, brown and dashed negative); edge width: how much it matters.</div>",
        stylesheets=[panel_css()],
        sizing_mode="stretch_width",
    )
    layout = column(p, readout, note, name=f"{key}:layout", width=width)
    layout.tags = [
        refill_callback(
            "flatten_view",
            maps=src["maps"],
            units=src["units"],
            targets=src["targets"],
            focus=src["focus"],
            activation=activation,
            target_mapper=target_mapper,
            draw=draw,
            meta=meta,
        ),
        describe_callback(
            "flatten_view",
            plot=p,
            units=src["units"],
            targets=src["targets"],
            meta=dict(meta, picture=picture_name(trace)),
        ),
    ]
    as_image(p, f"The flatten layer {steps.flatten.name}, between {steps.source_name} and {steps.dense.name}")
    return layout
