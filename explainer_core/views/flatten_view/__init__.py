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

:func:`flatten_view` builds the skeleton from the network's shapes and weights
(positions, weights, names); every number of the picture is written by the browser,
for the first frame too: ``flatten_view/fill.js`` (run by ``page.js`` with the trace
of the picture the view was built for, then of every picture the reader chooses)
writes the maps, the units and the outputs and runs ``flatten_view/focus.js``, which
draws the edges and the readout of the focus.

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
from ...arithmetic.scales import weight_limit
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
    panel_css,
    picture_name,
    refill_callback,
)
from ..kit.refill import picture_source

__all__ = ["TOP_UNITS", "flatten_steps", "flatten_view"]

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
    usable = width - 2 * _PAD
    g = dict(height=height, wide=wide, channels=channels, targets=steps.dense.output_shape[0], total_w=float(width))
    g.update(_map_geometry(height, wide, channels, usable))
    g.update(_strip_geometry(height, wide, channels, usable, g["maps_bottom"]))
    g.update(_target_geometry(trace, steps, g["targets"], usable, g["strip_bottom"]))
    return g


def _map_geometry(height: int, wide: int, channels: int, usable: float) -> dict:
    """The source maps, in rows of at most ``per_row``, a map pixel ``cell`` pixels wide."""
    top = 24.0
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
    maps_bottom = top + math.ceil(channels / per_row) * (map_h + 18) - 4
    return dict(cell=cell, map_w=map_w, map_h=map_h, maps=maps, maps_bottom=maps_bottom)


def _strip_geometry(height: int, wide: int, channels: int, usable: float, maps_bottom: float) -> dict:
    """The flatten layer: lines of ``groups`` pixels, each a group of ``channels`` units."""
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
    line_len = groups * channels * unit_w + (groups - 1) * gap
    strip_left = _PAD + _ROW_LABEL + (strip_w - line_len) / 2
    return dict(groups=groups, gap=gap, unit_w=unit_w, lines_per_row=lines_per_row, bar_h=bar_h, pitch=pitch,
                strip_title=strip_title, strip_top=strip_top, strip_left=strip_left,
                strip_bottom=strip_top + lines * pitch)


def _target_geometry(trace: Trace, steps: FlattenSteps, targets: int, usable: float, strip_bottom: float) -> dict:
    """The output units, evenly spaced in one row, with their names (and numbers, where they fit) under them."""
    spacing = usable / targets
    target_y = strip_bottom + _EDGE_ZONE
    radius = max(4.0, min(11.0, spacing * 0.3))
    chars = int(spacing // 6.6)
    names = [_wrap(trace.network.class_name(j) if steps.is_logit else f"unit {j}", chars) for j in range(targets)]
    name_lines = max(n.count("\n") + 1 for n in names)
    numbers = spacing >= 44  # room to write the logit and the probability under each unit
    bottom = target_y + radius + 8 + 13 * name_lines + (30 if numbers else 0) + 26
    return dict(spacing=spacing, target_y=target_y, radius=radius, names=names, name_lines=name_lines,
                numbers=numbers, total_h=bottom)


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


# -- the skeleton ----------------------------------------------------------------
def _skeleton(trace: Trace, steps: FlattenSteps, g: dict) -> dict[str, dict]:
    """The sources' columns before any picture: positions, weights, names, and placeholders.

    ``fill.js`` writes every picture-dependent column (the maps' images, the units' values,
    the outputs' values, probabilities and texts, the focus) and ``focus.js`` the edges,
    outlines and links of the focus, for the first frame too. The maps' images start as
    1×1 arrays (``fill.js`` makes full-size ones of the same kind); numbers are 0, texts "".
    """
    channels, n = g["channels"], g["targets"]
    maps = dict(
        image=[np.zeros((1, 1), np.float32) for _ in range(channels)],
        x=[float(m[0]) for m in g["maps"]],
        y=[-float(m[1]) for m in g["maps"]],
        dw=[float(g["map_w"])] * channels,
        dh=[float(g["map_h"])] * channels,
        channel=list(range(channels)),
    )
    index = trace.flatten_index  # which pixel each unit copies: from the shapes only
    xy = np.array([_unit_xy(g, u) for u in range(index.shape[0])], dtype=np.float64).reshape(-1, 2)
    units = dict(
        x=xy[:, 0],
        y=-xy[:, 1],
        value=np.zeros(index.shape[0], np.float32),
        row=index[:, 0].astype(np.int32),
        col=index[:, 1].astype(np.int32),
        channel=index[:, 2].astype(np.int32),
    )
    weights = dict(
        kernel=[np.ascontiguousarray(steps.dense.kernel, dtype=np.float32).ravel()],
        bias=[np.asarray(steps.dense.bias, dtype=np.float32).copy()],
    )
    targets = dict(
        x=[_PAD + (j + 0.5) * g["spacing"] for j in range(n)],
        y=[-g["target_y"]] * n,
        label=list(g["names"]),
        value=[0.0] * n,
        probability=[0.0] * n,
        value_text=[""] * n,
        prob_text=[""] * n,
        focus=[0] * n,
    )
    return dict(
        maps=maps,
        units=units,
        weights=weights,
        targets=targets,
        labels=_labels(trace, steps, g),
        focus=dict(kind=["auto"], index=[0]),
        edges=_empty("x0", "y0", "x1", "y1", "weight", "width", "casing", "unit", "target"),
        marks=_empty("x", "y", "w", "h", "kind"),
        links=_empty("x0", "y0", "x1", "y1"),
    )


def _empty(*columns: str) -> dict[str, list]:
    """A source's columns with no rows (``focus.js`` draws them)."""
    return {c: [] for c in columns}


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


# -- the view -------------------------------------------------------------------
def flatten_view(trace: Trace, *, key: str = "flatten", width: int = VIEW_WIDTH):
    """The flatten elastic view of ``trace`` (CNN Explainer's Fig. 5B), as a Bokeh layout.

    Hover over a map pixel or a flatten unit to see where it comes from and its
    edges to every output unit; hover over an output unit to see its strongest
    edges. Models are named ``<key>:...``: ``:figure``, ``:readout`` and the
    sources ``:maps``, ``:units``, ``:weights``, ``:targets``, ``:labels``, ``:focus``,
    ``:edges``, ``:marks``, ``:links``. The browser writes ``trace``'s numbers into them
    (``fill.js``), for the first frame too.
    """
    steps = flatten_steps(trace)
    g = _geometry(trace, steps, width)
    skeleton = _skeleton(trace, steps, g)
    src = {name: ColumnDataSource(columns, name=f"{key}:{name}") for name, columns in skeleton.items()}
    p = bare_figure(
        x_range=Range1d(0, g["total_w"]), y_range=Range1d(-g["total_h"], 0), frame_width=int(g["total_w"]),
        frame_height=int(round(g["total_h"])), tools="", toolbar_location=None, name=f"{key}:figure", min_border=0,
        outline_line_color=None,
    )
    # colour ranges: written by fill.js (the source layer's own range, the outputs' range)
    activation = LinearColorMapper(palette=list(ACTIVATION), low=0, high=1)
    target_mapper = LinearColorMapper(palette=list(LOGIT if steps.is_logit else ACTIVATION), low=0, high=1)
    _draw_maps_and_units(p, src, g, activation)
    _draw_edges(p, src, steps, key)
    _draw_targets(p, src, g, target_mapper)
    _draw_labels(p, src["labels"])
    readout = Div(
        text="", name=f"{key}:readout", stylesheets=[panel_css()], sizing_mode="stretch_width", min_height=48
    )
    meta = _meta(trace, steps, g)
    draw = _wire(p, src, readout, meta, key)
    note = Div(
        text="<div class='xv-note'>Hover over a pixel of a map or a short line of the flatten layer to see "
        "where it comes from and its edges to every output unit; hover over an output unit to see the "
        f"{TOP_UNITS} flatten units that push it hardest. Edge colour: the weight (green and solid "
        "positive, brown and dashed negative); edge width: how much it matters.</div>",
        stylesheets=[panel_css()],
        sizing_mode="stretch_width",
    )
    layout = column(p, readout, note, name=f"{key}:layout", width=width)
    fill = refill_callback(
        "flatten_view",
        picture=picture_source(trace),
        maps=src["maps"],
        units=src["units"],
        targets=src["targets"],
        focus=src["focus"],
        activation=activation,
        target_mapper=target_mapper,
        draw=draw,
        meta=meta,
    )
    describe = describe_callback(
        "flatten_view", plot=p, units=src["units"], targets=src["targets"], meta=dict(meta, picture=picture_name(trace))
    )
    layout.tags = [fill, describe]
    as_image(p, f"The flatten layer {steps.flatten.name}, between {steps.source_name} and {steps.dense.name}")
    return layout


def _draw_maps_and_units(p, src: dict, g: dict, activation: LinearColorMapper) -> None:
    """The maps (framed), the flatten units as short bars, and a frame around each line of units."""
    p.image(
        image="image", x="x", y="y", dw="dw", dh="dh", source=src["maps"], color_mapper=activation,
        origin="top_left", anchor="top_left",
    )
    maps = src["maps"].data
    p.rect(
        [x + w / 2 for x, w in zip(maps["x"], maps["dw"], strict=True)],
        [y - h / 2 for y, h in zip(maps["y"], maps["dh"], strict=True)],
        width=maps["dw"],
        height=maps["dh"],
        fill_color=None,
        line_color="#c8ced6",
    )
    p.rect(
        "x", "y", width=g["unit_w"], height=g["bar_h"], source=src["units"],
        fill_color=transform("value", activation), line_color=None,
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


def _draw_edges(p, src: dict, steps: FlattenSteps, key: str) -> None:
    """The focus's link, edges (on the weight scale, negative ones dashed) and outlines."""
    wlim = weight_limit(steps.dense)
    weight = LinearColorMapper(palette=list(WEIGHT), low=-wlim, high=wlim)
    # the focus's edges go over the flatten layer: the reader is following them
    p.segment("x0", "y0", "x1", "y1", source=src["links"], line_color="#374151", line_width=1.2, line_dash=[3, 2])
    # a negative weight's edge is dashed (its casing too), so that its sign does not rest on colour alone
    dashed = transform("weight", CustomJSTransform(v_func=NEGATIVE_DASHED, name=f"{key}:negative-dashed"))
    edge = dict(x0="x0", y0="y0", x1="x1", y1="y1", source=src["edges"], line_dash=dashed)
    p.segment(line_color="#6b7280", line_width="casing", line_alpha=0.45, **edge)
    p.segment(line_color=transform("weight", weight), line_width="width", **edge)
    p.rect("x", "y", width="w", height="h", source=src["marks"], fill_color=None, line_color="#111827", line_width=1.6)


def _draw_targets(p, src: dict, g: dict, target_mapper: LinearColorMapper) -> None:
    """The output units: circles on the logit scale, a ring on the focus, names and numbers under them."""
    circle = dict(source=src["targets"], marker="circle")
    p.scatter(
        "x", "y", size=2 * g["radius"], fill_color=transform("value", target_mapper), line_color="#9ca3af",
        line_width=1, **circle,
    )
    p.scatter(
        "x", "y", size=2 * g["radius"] + 5, fill_color=None, line_color="#111827", line_width=2.2,
        line_alpha="focus", **circle,
    )
    name_y = g["radius"] + 6
    text = dict(source=src["targets"], text_align="center", text_baseline="top", text_font_size="11px")
    p.text("x", "y", text="label", y_offset=name_y, text_color=_TEXT, **text)
    numbers_y = name_y + 13 * g["name_lines"] + 2
    p.text("x", "y", text="value_text", y_offset=numbers_y, text_color=_SOFT, **text)
    p.text("x", "y", text="prob_text", y_offset=numbers_y + 14, text_color=_SOFT, **text)


def _draw_labels(p, labels: ColumnDataSource) -> None:
    """The fixed texts: layer titles (bold), channel numbers under the maps, row numbers beside the lines."""
    kinds = labels.data["kind"]
    text = dict(x="x", y="y", text="text", source=labels, text_baseline="middle")
    styles = {
        "title": dict(text_align="left", text_font_size="12px", text_font_style="bold", text_color=_TEXT),
        "small": dict(text_align="center", text_font_size="10px", text_color=_SOFT),
        "row": dict(text_align="right", text_font_size="10px", text_color=_SOFT),
    }
    for kind, style in styles.items():
        view = CDSView(filter=IndexFilter([i for i, k in enumerate(kinds) if k == kind]))
        p.text(view=view, **text, **style)


def _meta(trace: Trace, steps: FlattenSteps, g: dict) -> dict:
    """Sizes and names the scripts read (``numbers``: whether the outputs' numbers are written)."""
    return dict(
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
        numbers=g["numbers"],
        labels=[target_label(trace, steps, j) for j in range(g["targets"])],
    )


def _wire(p, src: dict, readout: Div, meta: dict, key: str):
    """The pointer chooses the focus (``hover.js``); ``focus.js`` draws it. Returns the drawing callback."""
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
        "flatten_view/hover", units=src["units"], targets=src["targets"], maps=src["maps"], focus=src["focus"],
        draw=draw, meta=meta,
    )
    p.js_on_event(events.MouseMove, hover)
    p.js_on_event(events.Tap, hover)
    return draw
