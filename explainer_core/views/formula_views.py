"""Interactive formula views for convolution, ReLU and max pooling (CNN Explainer, Sect. 6.3, Fig. 6A-C).

Each view puts an input matrix and an output matrix side by side as heatmaps. A
window marks the input numbers that make one output number; hovering either
matrix, dragging the slider or pressing play moves it, and the formula under the
matrices shows that window's actual numbers:

* convolution: one input channel and one kernel slice give one intermediate result,
  ``Σ input × weight``; a second line adds the neuron's intermediate results over
  all channels and the bias, giving the neuron's output (as in the elastic view);
* ReLU: ``max(0, x) = y`` for one element;
* max pooling: ``max(a, b, c, d) = m``, the largest number highlighted.

A 64×64 matrix has no room for its numbers, so a "zoom" row below the heatmaps
repeats the window (and the kernel) with every number written out.

The ``*_formula_data`` functions compute what the views' data sources hold, from a
:class:`~explainer_core.arithmetic.trace.Trace` only; the views draw them. Every shown number is
the trace's (inputs, intermediate results, outputs) or the network's (weights, bias).
A picture the reader chooses in the page refills the sources (``js/refill_formula.js``).

Explained in "Convolutional layers", "Activation functions" and "Pooling layers"
(book/04_convolutional_layers.md, book/06_activation_functions.md, book/07_pooling_layers.md).
"""

from __future__ import annotations

import math

import numpy as np
from bokeh import events
from bokeh.layouts import column, row
from bokeh.models import CDSView, ColumnDataSource, Div, IndexFilter, LinearColorMapper, Range1d, Text
from bokeh.plotting import figure
from bokeh.transform import transform

from ..arithmetic.formulas import check_trace
from ..arithmetic.network import LayerSpec
from ..arithmetic.trace import Trace
from ..errors import TraceError
from .access import as_image, describe_callback, picture_name
from .conv_view import (
    VIEW_WIDTH,
    channel_name,
    check_index,
    conv_step,
    fmt,
    map_mapper,
    panel_css,
    play_controls,
)
from .jscode import custom_js
from .palettes import WEIGHT, bare_figure
from .refill import refill_callback

__all__ = [
    "conv_formula_data",
    "conv_formula_view",
    "fmt",
    "maxpool_formula_data",
    "maxpool_formula_view",
    "relu_formula_data",
    "relu_formula_view",
]

#: Grey of padding cells (zeros for a convolution, −∞ for max pooling).
PAD_COLOR = "#d9dde3"
#: Milliseconds per window position while playing: slow enough to read the formula.
FORMULA_INTERVAL = 450


# -- checking the request -------------------------------------------------------
def _spatial_step(trace: Trace, layer: str | None, kind: str, what: str) -> LayerSpec:
    """The image-shaped step ``layer`` of ``kind`` (default: the first one), or a TraceError naming the choices."""
    check_trace(trace)
    network = trace.network
    choices = [s.name for s in network.layers if s.kind == kind and len(s.output_shape) == 3]
    if not choices:
        raise TraceError(f"This network has no {what} layer on an image-shaped input to explain.")
    if layer is None:
        return network.layer(choices[0])
    if not isinstance(layer, str):
        raise TraceError(f"The layer must be given by its name, one of {', '.join(choices)}; got {layer!r}.")
    spec = network.layer(layer)
    if spec.name not in choices:
        detail = f"a {spec.kind} layer" if spec.kind != kind else "a layer that outputs a vector"
        raise TraceError(f"{layer!r} is {detail}, not a {what} layer of image maps; those are {', '.join(choices)}.")
    return spec


# -- the data -------------------------------------------------------------------
def _map_source(image: np.ndarray, pads=((0, 0), (0, 0))) -> dict[str, list]:
    """One heatmap, drawn with its top-left corner at (0, height) in its own figure."""
    height, width = image.shape
    return dict(image=[image], x=[0.0], y=[float(height)], dw=[width], dh=[height])


def conv_formula_data(trace: Trace, layer: str | None = None, neuron: int = 0, channel: int = 0) -> dict[str, dict]:
    """What the convolution formula view holds: input channel ``channel`` of ``layer`` and its
    intermediate result with neuron ``neuron``'s kernel slice.

    Sources: ``input`` (the channel, (H, W)), ``output`` (the intermediate result,
    (H', W')), ``kernel`` (the slice's weights in row-major order, then the neuron's
    bias as the last row; ``role`` says which) and ``sums`` (every channel's
    intermediate result, then the neuron's output map as the last row; the second line
    of the formula reads it).
    """
    spec = conv_step(trace, layer)
    neuron = check_index(neuron, spec.neurons, "neuron", spec.name)
    x = trace.input_of(spec.name)
    channel = check_index(channel, x.shape[-1], "channel", spec.name)
    parts = trace.intermediates[spec.name][neuron]
    kh, kw = spec.window
    weights = spec.kernel[:, :, channel, neuron]
    return dict(
        input=_map_source(x[:, :, channel]),
        output=_map_source(parts[channel]),
        kernel=dict(
            value=[float(v) for v in weights.ravel()] + [float(spec.bias[neuron])],
            row=[i for i in range(kh) for _ in range(kw)] + [-1],
            col=[j for _ in range(kh) for j in range(kw)] + [-1],
            role=["weight"] * (kh * kw) + ["bias"],
        ),
        sums=dict(
            image=[parts[c] for c in range(parts.shape[0])] + [trace.outputs[spec.name][:, :, neuron]],
            role=["intermediate"] * parts.shape[0] + ["output"],
        ),
    )


def relu_formula_data(trace: Trace, layer: str | None = None, neuron: int = 0) -> dict[str, dict]:
    """What the ReLU formula view holds: map ``neuron`` before (``input``) and after (``output``) the ReLU."""
    spec = _spatial_step(trace, layer, "relu", "ReLU")
    neuron = check_index(neuron, spec.neurons, "neuron", spec.name)
    return dict(
        input=_map_source(trace.input_of(spec.name)[:, :, neuron]),
        output=_map_source(trace.outputs[spec.name][:, :, neuron]),
    )


def maxpool_formula_data(trace: Trace, layer: str | None = None, neuron: int = 0) -> dict[str, dict]:
    """What the max pooling formula view holds: map ``neuron`` before (``input``) and after (``output``) pooling."""
    spec = _spatial_step(trace, layer, "maxpool", "max pooling")
    neuron = check_index(neuron, spec.neurons, "neuron", spec.name)
    return dict(
        input=_map_source(trace.input_of(spec.name)[:, :, neuron]),
        output=_map_source(trace.outputs[spec.name][:, :, neuron]),
    )


# -- drawing --------------------------------------------------------------------
def _heatmap(source: ColumnDataSource, mapper, title: str, name: str, size: int, pads) -> figure:
    """A heatmap figure of one matrix, about ``size`` pixels on its longer side, padding drawn grey."""
    height, width = source.data["dh"][0], source.data["dw"][0]
    (pt, pb), (pl, pr) = pads
    x0, x1 = -pl - 0.3, width + pr + 0.3
    y0, y1 = -pb - 0.3, height + pt + 0.3
    scale = size / max(x1 - x0, y1 - y0)
    p = bare_figure(
        x_range=Range1d(x0, x1),
        y_range=Range1d(y0, y1),
        frame_width=int(round((x1 - x0) * scale)),
        frame_height=int(round((y1 - y0) * scale)),
        tools="",
        toolbar_location=None,
        title=title,
        name=name,
        min_border=4,
        outline_line_color=None,
    )
    p.title.text_font_size = "12px"
    p.title.text_font_style = "normal"
    p.title.text_color = "#374151"
    if pt or pb or pl or pr:
        p.rect(
            [(width + pr - pl) / 2],
            [(height + pt - pb) / 2],
            width=[width + pl + pr],
            height=[height + pt + pb],
            fill_color=PAD_COLOR,
            line_color=None,
            hatch_pattern="/",
            hatch_color="white",
            hatch_alpha=0.8,
        )
    p.image(
        image="image",
        x="x",
        y="y",
        dw="dw",
        dh="dh",
        source=source,
        color_mapper=mapper,
        origin="top_left",
        anchor="top_left",
    )
    p.rect([width / 2], [height / 2], width=[width], height=[height], fill_color=None, line_color="#c8ced6")
    if scale >= 40:  # room for the numbers in every cell
        image = source.data["image"][0]
        xs = [j + 0.5 for i in range(height) for j in range(width)]
        ys = [height - i - 0.5 for i in range(height) for j in range(width)]
        p.text(
            xs,
            ys,
            text=[fmt(v) for v in image.ravel()],
            text_align="center",
            text_baseline="middle",
            text_font_size="10px",
            text_color="#111827",
        )
    return p


def _text_color(value: float, mapper: LinearColorMapper, sequential: bool) -> str:
    """Dark text on light cells, white on dark ones (same rule as formula_position.js)."""
    if value is None or not math.isfinite(value):
        return "#4b5563"
    t = (value - mapper.low) / ((mapper.high - mapper.low) or 1.0)
    dark = t > 0.62 if sequential else abs(t - 0.5) > 0.3
    return "white" if dark else "#111827"


class _Zoom:
    """The row of small number matrices under the heatmaps (the window, the kernel, the result, ...).

    Cells of all panels share one source; each panel has its own colour mapper and a
    role the JS uses to refill it: ``window`` (input numbers under the window),
    ``kernel`` (fixed weights), ``result`` (the output cell), ``near_in``/``near_out``
    (a 3×3 neighbourhood of the input/output, for ReLU).
    """

    def __init__(self):
        self.cols = dict(
            x=[], y=[], value=[], text=[], text_color=[], panel=[], role=[], i=[], j=[], lo=[], hi=[], seq=[]
        )
        self.panels: list[tuple[int, LinearColorMapper, list[int]]] = []
        self.signs: list[tuple[float, float, str]] = []
        self.captions: list[tuple[float, float, str]] = []
        self.x = 0.0
        self.rows = 1

    def panel(self, role: str, rows: int, cols: int, mapper, caption: str, values=None, sequential=False) -> float:
        """Add a rows × cols matrix at the current x; returns its left edge."""
        index = len(self.panels)
        left = self.x
        ids = []
        for i in range(rows):
            for j in range(cols):
                value = None if values is None else float(values[i * cols + j])
                ids.append(len(self.cols["x"]))
                self.cols["x"].append(left + j + 0.5)
                self.cols["y"].append(-(i + 0.5))
                self.cols["value"].append(value if value is not None else float("nan"))
                self.cols["text"].append(fmt(value) if value is not None else "")
                self.cols["text_color"].append(
                    _text_color(value, mapper, sequential) if value is not None else "#111827"
                )
                self.cols["panel"].append(index)
                self.cols["role"].append(role)
                self.cols["i"].append(i)
                self.cols["j"].append(j)
                self.cols["lo"].append(float(mapper.low))
                self.cols["hi"].append(float(mapper.high))
                self.cols["seq"].append(bool(sequential))
        self.panels.append((index, mapper, ids))
        self.captions.append((left + cols / 2, 0.25, caption))
        self.rows = max(self.rows, rows)
        self.x = left + cols
        return left

    def sign(self, text: str, width: float = 1.0) -> None:
        self.signs.append((self.x + width / 2, None, text))
        self.x += width

    def figure(self, name: str, cell_px: int, max_width: int) -> tuple[figure, ColumnDataSource, ColumnDataSource]:
        cell_px = min(cell_px, int(max_width / (self.x + 0.4)))
        x0, x1 = -0.2, self.x + 0.2
        y0, y1 = -self.rows - 0.15, 0.75
        p = bare_figure(
            x_range=Range1d(x0, x1),
            y_range=Range1d(y0, y1),
            frame_width=int(round((x1 - x0) * cell_px)),
            frame_height=int(round((y1 - y0) * cell_px)),
            tools="",
            toolbar_location=None,
            name=name,
            min_border=2,
            outline_line_color=None,
        )
        source = ColumnDataSource(self.cols, name=f"{name}-cells")
        for _index, mapper, ids in self.panels:
            mapper.nan_color = PAD_COLOR
            view = CDSView(filter=IndexFilter(ids))
            p.rect(
                "x",
                "y",
                width=0.96,
                height=0.96,
                source=source,
                view=view,
                fill_color=transform("value", mapper),
                line_color="#9ca3af",
                line_width=0.5,
            )
        font = f"{max(9, min(14, int(cell_px * 0.24)))}px"
        p.text(
            "x",
            "y",
            text="text",
            source=source,
            text_align="center",
            text_baseline="middle",
            text_font_size=font,
            text_color="text_color",
        )
        mid = -self.rows / 2
        p.text(
            [s[0] for s in self.signs],
            [mid] * len(self.signs),
            text=[s[2] for s in self.signs],
            text_align="center",
            text_baseline="middle",
            text_font_size="20px",
            text_color="#374151",
        )
        p.text(
            [c[0] for c in self.captions],
            [c[1] for c in self.captions],
            text=[c[2] for c in self.captions],
            text_align="center",
            text_baseline="middle",
            text_font_size="12px",
            text_color="#4b5563",
        )
        marks = ColumnDataSource(dict(x=[], y=[], width=[], height=[]), name=f"{name}-marks")
        p.rect(
            "x",
            "y",
            width="width",
            height="height",
            source=marks,
            fill_color=None,
            line_color="#111827",
            line_width=2.5,
        )
        return p, source, marks


def _window_rect(spec_window, strides, pads, height: int, position: int, out_w: int) -> dict[str, list]:
    (kh, kw), (sh, sw), ((pt, _), (pl, _)) = spec_window, strides, pads
    r, c = divmod(position, out_w)
    top, left = r * sh - pt, c * sw - pl
    return dict(x=[left + kw / 2], y=[height - top - kh / 2], width=[kw], height=[kh])


def _formula_layout(
    *,
    kind: str,
    key: str,
    data: dict,
    spec: LayerSpec,
    window: tuple[int, int],
    strides: tuple[int, int],
    pads,
    in_mapper,
    out_mapper,
    in_title: str,
    out_title: str,
    zoom: _Zoom,
    meta: dict,
    formula_html: str,
    width: int,
    note: str,
    position: int,
    picture: str,
):
    """The common layout: two heatmaps, the zoom row, the formula, and the player."""
    in_src = ColumnDataSource(data["input"], name=f"{key}:input")
    out_src = ColumnDataSource(data["output"], name=f"{key}:output")
    in_h, in_w = data["input"]["dh"][0], data["input"]["dw"][0]
    out_h, out_w = data["output"]["dh"][0], data["output"]["dw"][0]
    size = min(300, (width - 60) // 2)
    p_in = _heatmap(in_src, in_mapper, in_title, f"{key}:input-figure", size, pads)
    p_out = _heatmap(out_src, out_mapper, out_title, f"{key}:output-figure", size, ((0, 0), (0, 0)))
    win_in = ColumnDataSource(_window_rect(window, strides, pads, in_h, position, out_w), name=f"{key}:window-in")
    r, c = divmod(position, out_w)
    win_out = ColumnDataSource(dict(x=[c + 0.5], y=[out_h - r - 0.5], width=[1], height=[1]), name=f"{key}:window-out")
    for p, src in ((p_in, win_in), (p_out, win_out)):
        p.rect(
            "x",
            "y",
            width="width",
            height="height",
            source=src,
            fill_color="#fde047",
            fill_alpha=0.18,
            line_color="#111827",
            line_width=2.5,
        )

    p_zoom, zoom_src, marks = zoom.figure(f"{key}:zoom", cell_px=58, max_width=width)
    positions = out_h * out_w
    toggle, slider = play_controls(key, positions, interval=FORMULA_INTERVAL, value=position)
    formula = Div(
        text=formula_html,
        name=f"{key}:formula",
        stylesheets=[panel_css()],
        sizing_mode="stretch_width",
        min_height=72 if kind == "conv" else 30,
    )
    meta = dict(
        meta,
        in_h=in_h,
        in_w=in_w,
        out_h=out_h,
        out_w=out_w,
        kh=window[0],
        kw=window[1],
        sh=strides[0],
        sw=strides[1],
        pt=pads[0][0],
        pl=pads[1][0],
        kind=kind,
    )
    args = dict(
        slider=slider,
        toggle=toggle,
        src_in=in_src,
        src_out=out_src,
        zoom=zoom_src,
        marks=marks,
        win_in=win_in,
        win_out=win_out,
        formula=formula,
        meta=meta,
    )
    if kind == "conv":
        args.update(
            kernel=ColumnDataSource(data["kernel"], name=f"{key}:kernel"),
            sums=ColumnDataSource(data["sums"], name=f"{key}:sums"),
        )
    else:
        args.update(kernel=None, sums=None)
    update = custom_js("formula_position", **args)
    slider.js_on_change("value", update)
    for p, which in ((p_in, "input"), (p_out, "output")):
        hover = custom_js("formula_hover", slider=slider, toggle=toggle, which=which, meta=meta)
        p.js_on_event(events.MouseMove, hover)
        p.js_on_event(events.Tap, hover)
    _mark_zoom(zoom_src, marks, kind, data, position, meta)

    arrow = Div(text="<div style='font-size:26px;color:#6b7280;padding-top:40px'>→</div>", width=30)
    heatmaps = row(p_in, arrow, p_out)
    note_div = Div(text=f"<div class='xv-note'>{note}</div>", stylesheets=[panel_css()], sizing_mode="stretch_width")
    layout = column(
        heatmaps,
        p_zoom,
        formula,
        row(toggle, slider, sizing_mode="stretch_width"),
        note_div,
        name=f"{key}:layout",
        width=width,
    )
    # a new picture in the browser refills the matrices (js/refill_formula.js); the window stays
    numbers = [next((r.data_source for r in p.renderers if isinstance(r.glyph, Text)), None) for p in (p_in, p_out)]
    layout.tags = [
        refill_callback(
            "formula",
            src_in=in_src,
            src_out=out_src,
            sums=args["sums"],
            zoom=zoom_src,
            in_mapper=in_mapper,
            out_mapper=out_mapper,
            numbers_in=numbers[0],
            numbers_out=numbers[1],
            position=update,
            slider=slider,
            meta=dict(kind=kind, layer=meta["layer"], neuron=meta["neuron"], channel=meta.get("channel", 0)),
        ),
        _describe(p_in, p_out, p_zoom, in_src, out_src, picture),
    ]
    return layout


def _describe(p_in, p_out, p_zoom, in_src, out_src, picture: str):
    """Text alternatives of the two heatmaps (their titles, the picture and their numbers) and the zoom."""
    as_image(p_in, p_in.title.text)
    as_image(p_out, p_out.title.text)
    as_image(p_zoom, "The numbers under the window, written out; the formula below them reads the same numbers")
    return describe_callback(
        "formula", plot_in=p_in, plot_out=p_out, plot_zoom=p_zoom, src_in=in_src, src_out=out_src,
        meta=dict(picture=picture),
    )


def _mark_zoom(zoom_src, marks, kind, data, position, meta) -> None:
    """Fill the zoom cells and outlines for the first render (formula_position.js does it afterwards)."""
    cols = zoom_src.data
    image_in = data["input"]["image"][0]
    image_out = data["output"]["image"][0]
    out_w, out_h = meta["out_w"], meta["out_h"]
    r, c = divmod(position, out_w)
    top, left = r * meta["sh"] - meta["pt"], c * meta["sw"] - meta["pl"]
    nt, nl = _near(r, out_h), _near(c, out_w)
    mark = dict(x=[], y=[], width=[], height=[])
    for k, role in enumerate(cols["role"]):
        i, j = cols["i"][k], cols["j"][k]
        value = None
        if role == "window":
            y, x = top + i, left + j
            if 0 <= y < meta["in_h"] and 0 <= x < meta["in_w"]:
                value = float(image_in[y, x])
        elif role == "result":
            value = float(image_out[r, c])
        elif role == "near_in":
            value = float(image_in[nt + i, nl + j])
        elif role == "near_out":
            value = float(image_out[nt + i, nl + j])
        else:
            continue
        lo, hi, seq = cols["lo"][k], cols["hi"][k], cols["seq"][k]
        mapper = LinearColorMapper(low=lo, high=hi)
        cols["value"][k] = value if value is not None else float("nan")
        cols["text"][k] = fmt(value) if value is not None else ("0" if kind == "conv" else "\u2212\u221e")
        cols["text_color"][k] = _text_color(value, mapper, seq)
        if role in ("near_in", "near_out") and nt + i == r and nl + j == c:
            _add_mark(mark, cols["x"][k], cols["y"][k])
    if kind == "maxpool":
        result = float(image_out[r, c])
        for k, role in enumerate(cols["role"]):
            if role == "window" and cols["value"][k] == result:
                _add_mark(mark, cols["x"][k], cols["y"][k])
                break
    marks.data = mark


def _add_mark(mark: dict, x: float, y: float) -> None:
    mark["x"].append(x)
    mark["y"].append(y)
    mark["width"].append(1)
    mark["height"].append(1)


def _near(index: int, size: int) -> int:
    """First row (or column) of the 3×3 neighbourhood around ``index`` that stays inside a map of ``size``."""
    return max(0, min(index - 1, size - 3))


# -- the three views ------------------------------------------------------------
def conv_formula_view(
    trace: Trace,
    layer: str | None = None,
    neuron: int = 0,
    channel: int = 0,
    *,
    position: int = 0,
    key: str | None = None,
    width: int = VIEW_WIDTH,
):
    """The convolution formula view: input channel ``channel`` ∗ neuron ``neuron``'s kernel slice → intermediate result.

    ``position`` is the output pixel (row-major index) the window starts on. Models
    are named ``<key>:...`` (default ``conv-formula-<layer>``): ``:formula`` (the Div),
    ``:input-figure``, ``:output-figure``, ``:position``, ``:play``.
    """
    spec = conv_step(trace, layer)
    data = conv_formula_data(trace, spec.name, neuron, channel)
    neuron = check_index(neuron, spec.neurons, "neuron", spec.name)
    channels = trace.input_of(spec.name).shape[-1]
    out_h, out_w = data["output"]["dh"][0], data["output"]["dw"][0]
    position = check_index(position, out_h * out_w, "position", spec.name)
    key = key or f"conv-formula-{spec.name}"
    kh, kw = spec.window
    in_mapper = map_mapper(trace, spec.name, channel, of_input=True)
    out_mapper = map_mapper(trace, spec.name, neuron)
    wlim = max(float(np.abs(spec.kernel).max()), float(np.abs(spec.bias).max())) or 1e-6
    weight_mapper = LinearColorMapper(palette=list(WEIGHT), low=-wlim, high=wlim)
    sequential = trace.network.index(spec.name) == 0 and trace.image.shape[-1] == 3

    zoom = _Zoom()
    zoom.panel("window", kh, kw, in_mapper, "input window", sequential=sequential)
    zoom.sign("×")
    zoom.panel("kernel", kh, kw, weight_mapper, "kernel slice", values=data["kernel"]["value"][:-1])
    zoom.sign("=")
    zoom.panel("result", 1, 1, out_mapper, "result")
    cname = channel_name(trace, spec, channel)
    meta = dict(layer=spec.name, neuron=neuron, channel=channel, channels=channels)
    note = (
        f"One of the {channels} intermediate results of {spec.name} · neuron {neuron}: each of its numbers is "
        f"the window's numbers times the kernel weights at the same places, added up."
    )
    return _formula_layout(
        picture=picture_name(trace),
        kind="conv",
        key=key,
        data=data,
        spec=spec,
        window=spec.window,
        strides=spec.strides,
        pads=spec.pads,
        in_mapper=in_mapper,
        out_mapper=out_mapper,
        in_title=f"Input: {cname} ({data['input']['dh'][0]}×{data['input']['dw'][0]})",
        out_title=f"Intermediate result: channel {channel} ∗ kernel ({out_h}×{out_w})",
        zoom=zoom,
        meta=meta,
        formula_html=_conv_formula_html(data, spec, neuron, channel, position),
        width=width,
        note=note,
        position=position,
    )


def relu_formula_view(
    trace: Trace,
    layer: str | None = None,
    neuron: int = 0,
    *,
    position: int = 0,
    key: str | None = None,
    width: int = VIEW_WIDTH,
):
    """The ReLU formula view of activation map ``neuron`` of ``layer`` (default: the first ReLU)."""
    spec = _spatial_step(trace, layer, "relu", "ReLU")
    data = relu_formula_data(trace, spec.name, neuron)
    neuron = check_index(neuron, spec.neurons, "neuron", spec.name)
    out_h, out_w = data["output"]["dh"][0], data["output"]["dw"][0]
    position = check_index(position, out_h * out_w, "position", spec.name)
    key = key or f"relu-formula-{spec.name}"
    previous = trace.network.layers[trace.network.index(spec.name) - 1].name
    in_mapper = map_mapper(trace, spec.name, neuron, of_input=True)
    out_mapper = map_mapper(trace, spec.name, neuron)
    zoom = _Zoom()
    n_h, n_w = min(3, out_h), min(3, out_w)
    zoom.panel("near_in", n_h, n_w, in_mapper, "before ReLU")
    zoom.sign("→", 1.4)
    zoom.panel("near_out", n_h, n_w, out_mapper, "after ReLU")
    meta = dict(layer=spec.name, neuron=neuron, previous=previous)
    note = (
        "ReLU looks at one number at a time: negative numbers (red) become zero (white), positive ones (blue) pass "
        "unchanged. The small matrices show the 3×3 neighbourhood of the chosen pixel before and after."
    )
    return _formula_layout(
        picture=picture_name(trace),
        kind="relu",
        key=key,
        data=data,
        spec=spec,
        window=(1, 1),
        strides=(1, 1),
        pads=((0, 0), (0, 0)),
        in_mapper=in_mapper,
        out_mapper=out_mapper,
        in_title=f"Input: {previous} · neuron {neuron} ({out_h}×{out_w})",
        out_title=f"Output: {spec.name} · neuron {neuron} ({out_h}×{out_w})",
        zoom=zoom,
        meta=meta,
        formula_html=_relu_formula_html(data, spec, neuron, position),
        width=width,
        note=note,
        position=position,
    )


def maxpool_formula_view(
    trace: Trace,
    layer: str | None = None,
    neuron: int = 0,
    *,
    position: int = 0,
    key: str | None = None,
    width: int = VIEW_WIDTH,
):
    """The max pooling formula view of activation map ``neuron`` of ``layer`` (default: the first pooling layer)."""
    spec = _spatial_step(trace, layer, "maxpool", "max pooling")
    data = maxpool_formula_data(trace, spec.name, neuron)
    neuron = check_index(neuron, spec.neurons, "neuron", spec.name)
    in_h, in_w = data["input"]["dh"][0], data["input"]["dw"][0]
    out_h, out_w = data["output"]["dh"][0], data["output"]["dw"][0]
    position = check_index(position, out_h * out_w, "position", spec.name)
    key = key or f"maxpool-formula-{spec.name}"
    previous = trace.network.layers[trace.network.index(spec.name) - 1].name
    in_mapper = map_mapper(trace, spec.name, neuron, of_input=True)
    out_mapper = map_mapper(trace, spec.name, neuron)
    kh, kw = spec.window
    zoom = _Zoom()
    zoom.panel("window", kh, kw, in_mapper, "window")
    zoom.sign("→", 1.4)
    zoom.panel("result", 1, 1, out_mapper, "maximum")
    meta = dict(layer=spec.name, neuron=neuron, previous=previous)
    note = (
        f"Max pooling keeps the largest number of each {kh}×{kw} window and moves the window {spec.strides[1]} "
        f"pixels at a time, so the {in_h}×{in_w} map shrinks to {out_h}×{out_w}. It has no weights to learn."
    )
    return _formula_layout(
        picture=picture_name(trace),
        kind="maxpool",
        key=key,
        data=data,
        spec=spec,
        window=spec.window,
        strides=spec.strides,
        pads=spec.pads,
        in_mapper=in_mapper,
        out_mapper=out_mapper,
        in_title=f"Input: {previous} · neuron {neuron} ({in_h}×{in_w})",
        out_title=f"Output: {spec.name} · neuron {neuron} ({out_h}×{out_w})",
        zoom=zoom,
        meta=meta,
        formula_html=_maxpool_formula_html(data, spec, neuron, position),
        width=width,
        note=note,
        position=position,
    )


# -- the formula text for the first render (formula_position.js writes the same HTML) --
def _num(value: float, cls: str) -> str:
    return f"<span class='xv-num {cls}'>{fmt(value)}</span>"


def _conv_formula_html(data: dict, spec: LayerSpec, neuron: int, channel: int, position: int) -> str:
    image_in = data["input"]["image"][0]
    in_h, in_w = image_in.shape
    out_w = data["output"]["dw"][0]
    r, c = divmod(position, out_w)
    (kh, kw), (sh, sw), ((pt, _), (pl, _)) = spec.window, spec.strides, spec.pads
    top, left = r * sh - pt, c * sw - pl
    weights = data["kernel"]["value"]
    terms = []
    for i in range(kh):
        for j in range(kw):
            y, x = top + i, left + j
            inside = 0 <= y < in_h and 0 <= x < in_w
            xv = _num(float(image_in[y, x]), "xv-x") if inside else "<span class='xv-num xv-x xv-muted'>0</span>"
            terms.append(f"({xv} × {_num(weights[i * kw + j], 'xv-w')})")
    result = float(data["output"]["image"][0][r, c])
    sums = data["sums"]["image"]
    parts = []
    for k in range(len(sums) - 1):
        cls = "xv-part xv-hi" if k == channel else "xv-part"
        parts.append(_num(float(sums[k][r, c]), cls))
    out = float(sums[-1][r, c])
    return (
        f"<div class='xv-line'>Intermediate result at (row {r}, column {c}) = "
        f"{' + '.join(terms)} = {_num(result, 'xv-result')}</div>"
        f"<div class='xv-line'>{spec.name} · neuron {neuron} at (row {r}, column {c}) = "
        f"{' + '.join(parts)} + bias {_num(weights[-1], 'xv-bias')} = {_num(out, 'xv-out xv-result')}</div>"
    )


def _relu_formula_html(data: dict, spec: LayerSpec, neuron: int, position: int) -> str:
    out_w = data["output"]["dw"][0]
    r, c = divmod(position, out_w)
    x = float(data["input"]["image"][0][r, c])
    y = float(data["output"]["image"][0][r, c])
    return (
        f"<div class='xv-line'>{spec.name} · neuron {neuron} at (row {r}, column {c}) = "
        f"max(0, {_num(x, 'xv-x')}) = {_num(y, 'xv-result')}</div>"
    )


def _maxpool_formula_html(data: dict, spec: LayerSpec, neuron: int, position: int) -> str:
    image_in = data["input"]["image"][0]
    in_h, in_w = image_in.shape
    out_w = data["output"]["dw"][0]
    r, c = divmod(position, out_w)
    (kh, kw), (sh, sw), ((pt, _), (pl, _)) = spec.window, spec.strides, spec.pads
    top, left = r * sh - pt, c * sw - pl
    result = float(data["output"]["image"][0][r, c])
    terms, marked = [], False
    for i in range(kh):
        for j in range(kw):
            y, x = top + i, left + j
            if 0 <= y < in_h and 0 <= x < in_w:
                v = float(image_in[y, x])
                cls = "xv-x"
                if not marked and v == result:
                    cls, marked = "xv-x xv-hi", True
                terms.append(_num(v, cls))
            else:
                terms.append("<span class='xv-num xv-x xv-muted'>\u2212\u221e</span>")
    return (
        f"<div class='xv-line'>{spec.name} · neuron {neuron} at (row {r}, column {c}) = "
        f"max({', '.join(terms)}) = {_num(result, 'xv-result')}</div>"
    )
