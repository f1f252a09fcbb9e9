"""The convolutional elastic view: how one convolutional neuron builds its output map.

CNN Explainer (Sect. 6.2, Fig. 1B) opens this view when a learner clicks a
convolutional neuron: every input channel is convolved with its own slice of the
neuron's kernel into an *intermediate result*, and the intermediate results plus
the bias add up to the neuron's output map. A kernel slides over all input
channels at once while the output fills in, pixel by pixel.

:func:`conv_elastic_view` builds the skeleton from a
:class:`~explainer_core.arithmetic.trace.Trace`: where every map is drawn, the
kernel and bias (the network's), the edges and labels. Every number of the picture
(the input channels, the intermediate results, the output map, the colour ranges and
the sentence under the view) is written by ``conv_view/fill.js`` in the browser, from
the browser's trace of the view's own picture (first frame) or of the reader's new
picture; the neuron menu draws another neuron from the same trace (``conv_view/neuron.js``).

Explained in the chapter "Convolutional layers" (book/04_convolutional_layers.md).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from bokeh import events
from bokeh.layouts import column, row
from bokeh.models import (
    CDSView,
    ColumnDataSource,
    CustomJSTransform,
    Div,
    HoverTool,
    IndexFilter,
    LinearColorMapper,
    Range1d,
    Select,
)
from bokeh.transform import transform

from ...arithmetic.network import LayerSpec
from ...arithmetic.scales import weight_limit
from ...arithmetic.trace import Trace
from ..kit import (
    MARK_COLOURS,
    SIGN_MARKS,
    VIEW_WIDTH,
    WEIGHT,
    as_image,
    bare_figure,
    channel_name,
    check_index,
    conv_step,
    custom_js,
    describe_callback,
    fmt,
    is_image_input,
    map_mapper,
    panel_css,
    picture_name,
    play_controls,
    refill_callback,
    signed_hover,
)
from ..kit.refill import picture_source

__all__ = [
    "VIEW_WIDTH",
    "conv_elastic_view",
    "conv_step",
    "fmt",
    "map_mapper",
    "play_controls",
]

# -- the skeleton ---------------------------------------------------------------
#: Above this many input channels the view turns: channels side by side as columns.
ROWS_UP_TO = 4


def _layout(spec: LayerSpec, channels: int) -> dict[str, Any]:
    """Where the view draws each part, in units of one input pixel (y grows upwards).

    Up to :data:`ROWS_UP_TO` input channels (Tiny VGG's first layer) the data flows left
    to right, one row per channel: input, kernel slice, intermediate result, then the
    sum node, the bias and the output, as in CNN Explainer's Fig. 1B. With more channels
    they stand side by side as columns, flowing downwards into a larger output map.
    Maps are (x, y, dw, dh) with (x, y) the top-left corner.
    """
    height, width, _ = spec.input_shape
    out_h, out_w, _ = spec.output_shape
    kh, kw = spec.window
    tall, wide = max(height, out_h), max(width, out_w)
    sizes = dict(height=height, width=width, out_h=out_h, out_w=out_w, kh=kh, kw=kw, tall=tall, wide=wide,
                 cell=max(wide, tall) / 7 / max(kh, kw) * 3)  # a 3×3 kernel slice is ~ 3/7 of a map wide
    parts = _rows_layout(channels, **sizes) if channels <= ROWS_UP_TO else _columns_layout(channels, **sizes)
    return dict(parts, cell=sizes["cell"], rows=channels <= ROWS_UP_TO)


def _rows_layout(channels, *, height, width, out_h, out_w, kh, kw, tall, wide, cell) -> dict[str, Any]:
    """One row per input channel, flowing left to right into the sum node and the output."""
    node = 0.1 * wide
    inputs, kernels, mids, edges = [], [], [], []
    pitch = tall * 1.3
    x_kernel = width + 0.23 * wide
    x_mid = x_kernel + kw * cell + 0.23 * wide
    node_x = x_mid + out_w + 0.315 * wide + node / 2
    x_out = node_x + node / 2 + 0.27 * wide
    for c in range(channels):
        top = -c * pitch
        inputs.append((0.0, top - (tall - height) / 2, width, height))
        kernels.append((x_kernel, top - (tall - kh * cell) / 2))
        mids.append((x_mid, top - (tall - out_h) / 2, out_w, out_h))
    node_y = (0 - (channels - 1) * pitch - tall) / 2
    out = (x_out, node_y + out_h / 2, out_w, out_h)
    bias = (node_x, node_y - node * 1.9)
    for (ix, iy, iw, ih), (kx, _), (mx, my, mw, mh) in zip(inputs, kernels, mids, strict=True):
        mid_y = iy - ih / 2
        edges += [
            [(ix + iw, mid_y), (kx, mid_y)],
            [(kx + kw * cell, mid_y), (mx, mid_y)],
            [(mx + mw, my - mh / 2), (node_x - node / 2, node_y)],
        ]
    edges += [
        [(node_x + node / 2, node_y), (x_out, node_y)],
        [(node_x, bias[1] + cell * 0.6), (node_x, node_y - node / 2)],
    ]
    head_y = tall * 0.3
    heads = [
        (width / 2, head_y, "input channels"),
        (x_kernel + kw * cell / 2, head_y, "kernel"),
        (x_mid + out_w / 2, head_y, "intermediate results"),
        (x_out + out_w / 2, head_y, "output"),
    ]
    bounds = (-0.04 * wide, x_out + out_w + 0.04 * wide, -(channels - 1) * pitch - tall * 1.08, tall * 0.42)
    return dict(inputs=inputs, kernels=kernels, mids=mids, out=out, node=(node_x, node_y), node_size=node,
                bias=bias, edges=edges, heads=heads, bounds=bounds)


def _columns_layout(channels, *, height, width, out_h, out_w, kh, kw, tall, wide, cell) -> dict[str, Any]:
    """One column per input channel, flowing downwards into the sum node and a larger output map."""
    inputs, kernels, mids, edges = [], [], [], []
    pitch = wide * 1.2
    margin = wide * 1.75  # room for the row titles on the left
    node = 0.25 * wide
    gap = 0.22 * tall
    k_top = -(height + gap)
    m_top = k_top - kh * cell - gap
    for c in range(channels):
        x = margin + c * pitch
        inputs.append((x + (wide - width) / 2, 0.0, width, height))
        kernels.append((x + (wide - kw * cell) / 2, k_top))
        mids.append((x + (wide - out_w) / 2, m_top, out_w, out_h))
    scale = 3.0
    center = margin + (channels * pitch - (pitch - wide)) / 2
    node_x, node_y = center, m_top - out_h - 0.9 * tall
    o_top = node_y - node / 2 - 0.3 * tall
    out = (center - out_w * scale / 2, o_top, out_w * scale, out_h * scale)
    bias = (node_x - 0.9 * wide, node_y)
    for (ix, iy, iw, ih), (_, ky), (_, my, _, mh) in zip(inputs, kernels, mids, strict=True):
        col_x = ix + iw / 2
        edges += [
            [(col_x, iy - ih), (col_x, ky)],
            [(col_x, ky - kh * cell), (col_x, my)],
            [(col_x, my - mh), (node_x, node_y + node / 2)],
        ]
    edges += [
        [(node_x, node_y - node / 2), (node_x, o_top)],
        [(bias[0] + cell * 0.6, node_y), (node_x - node / 2, node_y)],
    ]
    head_x = margin - 0.12 * wide
    heads = [
        (head_x, -height / 2, "input\nchannels"),
        (head_x, k_top - kh * cell / 2, "kernel\nslices"),
        (head_x, m_top - out_h / 2, "intermediate\nresults"),
        (head_x, o_top - out[3] / 2, "output"),
    ]
    bounds = (
        0.0,
        margin + channels * pitch - (pitch - wide) + 0.04 * wide,
        o_top - out[3] - 0.45 * tall,
        tall * 0.35,
    )
    return dict(inputs=inputs, kernels=kernels, mids=mids, out=out, node=(node_x, node_y), node_size=node,
                bias=bias, edges=edges, heads=heads, bounds=bounds)


def _placeholder(dtype=np.float32) -> np.ndarray:
    """An image cell fill.js replaces with the picture's map (``ExplainerKit.grid`` copies its kind)."""
    return np.zeros((1, 1), dtype)


def _boxes(boxes: list[tuple]) -> dict[str, list]:
    """The columns of maps drawn at ``boxes`` ((x, y, dw, dh), top-left corners), images to come:
    ``image`` the numbers (hover, readout, text alternatives), ``rgba`` their colours as drawn."""
    return dict(
        image=[_placeholder() for _ in boxes],
        rgba=[_placeholder(np.uint32) for _ in boxes],
        x=[b[0] for b in boxes],
        y=[b[1] for b in boxes],
        dw=[b[2] for b in boxes],
        dh=[b[3] for b in boxes],
    )


def _kernel_columns(spec: LayerSpec, neuron: int, g: dict) -> dict[str, list]:
    """One row per kernel weight of ``neuron`` (channel by channel, row-major), then its bias."""
    (kh, kw), cell, kernel = spec.window, g["cell"], spec.kernel[:, :, :, neuron]
    rows = [
        (kx + (j + 0.5) * cell, ky - (i + 0.5) * cell, cell, float(kernel[i, j, c]), c, i, j, "weight")
        for c, (kx, ky) in enumerate(g["kernels"])
        for i in range(kh)
        for j in range(kw)
    ]
    rows.append((*g["bias"], cell * 1.2, float(spec.bias[neuron]), -1, -1, -1, "bias"))
    names = ("x", "y", "size", "value", "channel", "row", "col", "role")
    return {name: [r[k] for r in rows] for k, name in enumerate(names)}


def _label_columns(spec: LayerSpec, neuron: int, g: dict, names: list[str]) -> dict[str, list]:
    """The headings, the maps' names, the neuron's name and the bias label."""
    label_gap = max(g["inputs"][0][3], g["out"][3]) * 0.05
    texts = [(hx, hy, text, "head") for hx, hy, text in g["heads"]]
    for c, (ix, iy, iw, _) in enumerate(g["inputs"]):
        texts.append((ix + iw / 2, iy + label_gap, names[c] if g["rows"] else str(c), "map"))
        if g["rows"]:
            mx, my, mw, _ = g["mids"][c]
            texts.append((mx + mw / 2, my + label_gap, f"channel {c} ∗ kernel", "map"))
    ox, oy, ow, oh = g["out"]
    if g["rows"]:
        texts.append((ox + ow / 2, oy + label_gap, f"{spec.name} · neuron {neuron}", "neuron"))
    else:
        texts.append((ox + ow / 2, oy - oh - label_gap, f"{spec.name} · neuron {neuron}", "neuron_below"))
    bx, by = g["bias"]
    texts.append((bx, by - g["cell"] * 0.65, "bias", "below"))
    return {name: [t[k] for t in texts] for k, name in enumerate(("x", "y", "text", "kind"))}


def _sources(trace: Trace, spec: LayerSpec, neuron: int, g: dict, key: str) -> dict[str, ColumnDataSource]:
    """The view's sources: the maps' places (their images: fill.js), the kernel, edges, labels, window."""
    channels = spec.input_shape[-1]
    names = [channel_name(trace, spec, c) for c in range(channels)]
    inputs = dict(_boxes(g["inputs"]), channel=list(range(channels)), name=names)
    maps = dict(
        _boxes(g["mids"] + [g["out"]]),
        channel=[*range(channels), -1],
        role=["intermediate"] * channels + ["output"],
    )
    edges = dict(xs=[[p[0] for p in e] for e in g["edges"]], ys=[[p[1] for p in e] for e in g["edges"]])
    columns = dict(
        inputs=inputs,
        maps=maps,
        kernel=_kernel_columns(spec, neuron, g),
        edges=edges,
        labels=_label_columns(spec, neuron, g, names),
        # the window outlines and the covers of what is not computed yet: position.js draws them
        windows=dict(x=[], y=[], width=[], height=[]),
        covers=dict(x=[], y=[], width=[], height=[]),
    )
    return {name: ColumnDataSource(data, name=f"{key}:{name}") for name, data in columns.items()}


def _mappers(trace: Trace, spec: LayerSpec, neuron: int) -> tuple[list[LinearColorMapper], LinearColorMapper]:
    """The palettes of the input channels (one per drawn input renderer) and of the maps; fill.js sets the ranges."""
    channels = spec.input_shape[-1]
    rgb = is_image_input(trace, spec.name) and trace.image.shape[-1] == 3
    inputs = [map_mapper(trace, spec.name, c, of_input=True) for c in range(channels if rgb else 1)]
    mappers = [*inputs, map_mapper(trace, spec.name, neuron)]
    for mapper in mappers:  # ranges of the picture: fill.js
        mapper.update(low=0.0, high=1.0)
    return inputs, mappers[-1]


# -- the view -------------------------------------------------------------------
def conv_elastic_view(
    trace: Trace,
    layer: str | None = None,
    neuron: int = 0,
    *,
    all_neurons: bool = True,
    key: str | None = None,
    width: int = VIEW_WIDTH,
):
    """The convolutional elastic view of neuron ``neuron`` of ``layer`` (default: the first convolution).

    With ``all_neurons`` (the default) a menu switches between the layer's neurons in the
    page; the browser draws the chosen neuron from its trace. Hovering a map, dragging the
    slider or pressing play moves the kernel. Models are named ``<key>:...`` (``key``
    defaults to ``elastic-<layer>``): ``:figure``, ``:play``, ``:position``, ``:neuron``,
    ``:readout`` and the sources. The picture's numbers are written by ``conv_view/fill.js``,
    for the view's own picture when the page is drawn and for every picture the reader chooses.
    """
    spec = conv_step(trace, layer)
    neuron = check_index(neuron, spec.neurons, "neuron", spec.name)
    key = key or f"elastic-{spec.name}"
    g = _layout(spec, spec.input_shape[-1])
    sources = _sources(trace, spec, neuron, g, key)
    p, scale = _figure(g, width, key)
    input_mappers, output_mapper = _mappers(trace, spec, neuron)
    edge_glyph = _draw_maps(p, sources, g, scale, input_mappers, output_mapper)
    marked = _draw_kernel(p, sources["kernel"], spec, g, scale, key)
    _draw_labels(p, sources["labels"], g, scale)
    toggle, slider, select, readout = _controls(spec, neuron, key, all_neurons)
    meta = _browser_meta(spec, neuron)
    update = custom_js(
        "conv_view/position",
        slider=slider,
        toggle=toggle,
        maps=sources["maps"],
        inputs=sources["inputs"],
        windows=sources["windows"],
        covers=sources["covers"],
        edges=edge_glyph,
        kernel=sources["kernel"],
        readout=readout,
        meta=meta,
        select=select,
    )
    slider.js_on_change("value", update)
    toggle.js_on_change("active", update)
    hover = custom_js(
        "conv_view/hover", slider=slider, toggle=toggle, maps=sources["maps"], inputs=sources["inputs"], meta=meta
    )
    p.js_on_event(events.MouseMove, hover)
    p.js_on_event(events.Tap, hover)
    as_image(p, f"The convolutional elastic view of {spec.name}")
    describe = _describe(trace, spec, neuron, p, sources, select, marked)
    # the picture's numbers, for the first frame and every new picture (conv_view/fill.js); the window stays
    fill = refill_callback(
        "conv_view",
        picture=picture_source(trace),
        inputs=sources["inputs"],
        maps=sources["maps"],
        select=select,
        input_mappers=input_mappers,
        map_mapper=output_mapper,
        position=update,
        slider=slider,
        meta=dict(layer=spec.name, neuron=neuron),
    )
    controls = [toggle, slider]
    if select is not None:
        _wire_menu(spec, key, select, sources, slider, meta, describe, fill)
        controls = [select, *controls]
    layout = column(p, row(*controls, sizing_mode="stretch_width"), readout, name=f"{key}:layout", width=width)
    layout.tags = [fill, describe]
    return layout


def _figure(g: dict, width: int, key: str):
    """One figure with square units, as large as the column allows, and its pixels per unit."""
    x0, x1, y0, y1 = g["bounds"]
    scale = min(width / (x1 - x0), 640 / (y1 - y0))
    p = bare_figure(
        x_range=Range1d(x0, x1),
        y_range=Range1d(y0, y1),
        frame_width=int(round((x1 - x0) * scale)),
        frame_height=int(round((y1 - y0) * scale)),
        tools="",
        toolbar_location=None,
        name=f"{key}:figure",
        min_border=0,
        outline_line_color=None,
    )
    return p, scale


def _draw_maps(p, sources: dict, g: dict, scale: float, input_mappers: list, output_mapper):
    """The edges, the input channels, the maps with their frames and covers, the sum node and the window.

    Returns the edges' glyph (position.js dashes it while playing).
    """
    edge_renderer = p.multi_line("xs", "ys", source=sources["edges"], line_color="#9aa5b1", line_width=1.4)
    # The maps are drawn in the colours fill.js gives them (ExplainerKit.colourRgba: exactly the
    # mappers' colours, without BokehJS colour-mapping every image); each renderer's tags are the
    # mappers that colour its rows (red, green and blue each their own; else one for all).
    image_args = dict(image="rgba", x="x", y="y", dw="dw", dh="dh", origin="top_left", anchor="top_left")
    for source, mappers in ((sources["inputs"], input_mappers), (sources["maps"], [output_mapper])):
        p.image_rgba(source=source, **image_args).tags = list(mappers)
    frames = [(x + w / 2, y - h / 2, w, h) for x, y, w, h in g["inputs"] + g["mids"] + [g["out"]]]
    p.rect(
        *([f[k] for f in frames] for k in (0, 1)),
        width=[f[2] for f in frames],
        height=[f[3] for f in frames],
        fill_color=None,
        line_color="#c8ced6",
        line_width=1,
    )
    box = dict(width="width", height="height")
    p.rect("x", "y", **box, source=sources["covers"], fill_color="#f4f5f7", fill_alpha=0.93, line_color=None)
    (node_x, node_y), node = g["node"], g["node_size"]
    p.scatter(
        [node_x], [node_y], size=node * scale, marker="circle", fill_color="white", line_color="#6b7280", line_width=1.5
    )
    p.text(
        [node_x],
        [node_y],
        text=["+"],
        text_align="center",
        text_baseline="middle",
        text_font_size=f"{max(12, int(node * scale * 0.8))}px",
        text_color="#374151",
    )
    p.rect("x", "y", **box, source=sources["windows"], fill_color=None, line_color="#111827", line_width=2)
    return edge_renderer.glyph


def _draw_kernel(p, kernel: ColumnDataSource, spec: LayerSpec, g: dict, scale: float, key: str) -> bool:
    """The kernel cells and the bias on the weight scale, with their signs when there is room; returns that."""
    wlim = weight_limit(spec)
    weight_mapper = LinearColorMapper(palette=list(WEIGHT), low=-wlim, high=wlim)
    renderer = p.rect(
        "x",
        "y",
        width="size",
        height="size",
        source=kernel,
        fill_color=transform("value", weight_mapper),
        line_color="#6b7280",
        line_width=0.6,
    )
    cell_px = g["cell"] * scale
    marked = cell_px >= 12
    if marked:  # the sign of every weight in words too ("+" or "−"), not only in colour
        p.text(
            "x",
            "y",
            text=transform("value", CustomJSTransform(v_func=SIGN_MARKS, name=f"{key}:sign-marks")),
            source=kernel,
            text_align="center",
            text_baseline="middle",
            text_font_size=f"{max(9, min(14, int(cell_px * 0.6)))}px",
            text_color=transform("value", CustomJSTransform(args=dict(limit=wlim), v_func=MARK_COLOURS)),
        )
    p.add_tools(
        HoverTool(
            renderers=[renderer],
            tooltips=[("weight", "@value{custom}"), ("channel", "@channel"), ("row, col", "@row, @col")],
            formatters={"@value": signed_hover(3)},
        )
    )
    return marked


def _draw_labels(p, labels: ColumnDataSource, g: dict, scale: float) -> None:
    """The headings (bold), the maps' and the neuron's names above them, the bias's below."""
    kinds = labels.data["kind"]

    def only(*wanted):
        return CDSView(filter=IndexFilter([i for i, k in enumerate(kinds) if k in wanted]))

    font = f"{max(10, min(13, int(g['inputs'][0][3] * scale * 0.09)))}px"
    text = dict(x="x", y="y", text="text", source=labels)
    p.text(
        **text,
        view=only("head"),
        text_align="center" if g["rows"] else "right",
        text_baseline="bottom" if g["rows"] else "middle",
        text_font_size="13px" if g["rows"] else "12px",
        text_font_style="bold",
        text_color="#374151",
    )
    for wanted, baseline in ((("map", "neuron"), "bottom"), (("below", "neuron_below"), "top")):
        p.text(
            **text,
            view=only(*wanted),
            text_align="center",
            text_baseline=baseline,
            text_font_size=font,
            text_color="#4b5563",
        )


def _controls(spec: LayerSpec, neuron: int, key: str, menu: bool):
    """The player, the neuron menu (or None) and the readout (written by position.js)."""
    positions = spec.output_shape[0] * spec.output_shape[1]
    toggle, slider = play_controls(key, positions, interval=50, step=max(1, math.ceil(positions / 300)))
    readout = Div(text="", name=f"{key}:readout", stylesheets=[panel_css()], sizing_mode="stretch_width")
    select = None
    if menu:
        select = Select(
            title="Neuron",
            value=str(neuron),
            options=[(str(n), f"neuron {n}") for n in range(spec.neurons)],
            name=f"{key}:neuron",
            width=120,
            margin=(5, 10, 5, 10),
        )
    return toggle, slider, select, readout


def _browser_meta(spec: LayerSpec, neuron: int) -> dict:
    """Sizes, window rule and names for position.js, hover.js and neuron.js."""
    height, width, channels = spec.input_shape
    (kh, kw), (sh, sw) = spec.window, spec.strides
    return dict(
        in_h=height,
        in_w=width,
        out_h=spec.output_shape[0],
        out_w=spec.output_shape[1],
        kh=kh,
        kw=kw,
        sh=sh,
        sw=sw,
        pt=spec.pads[0][0],
        pl=spec.pads[1][0],
        channels=channels,
        layer=spec.name,
        neuron=neuron,
    )


def _describe(trace: Trace, spec: LayerSpec, neuron: int, p, sources: dict, select, marked: bool):
    """The figure's text alternative (conv_view/describe.js), written for every picture and neuron."""
    height, width, channels = spec.input_shape
    if is_image_input(trace, spec.name):
        names = [channel_name(trace, spec, c) for c in range(channels)]
        inputs_text = ", ".join(names[:-1]) + " and " + names[-1] if channels > 1 else names[0]
    else:
        inputs_text = f"the maps of {trace.network.previous(spec.name)}"
    (kh, kw) = spec.window
    meta = dict(
        picture=picture_name(trace),
        layer=spec.name,
        neuron=neuron,
        inputs=inputs_text,
        channels=channels,
        marked=marked,
        in_h=height,
        in_w=width,
        kh=kh,
        kw=kw,
    )
    return describe_callback(
        "conv_view", plot=p, maps=sources["maps"], kernel=sources["kernel"], select=select, meta=meta
    )


def _wire_menu(spec: LayerSpec, key: str, select, sources: dict, slider, meta: dict, describe, fill) -> None:
    """The neuron menu swaps in that neuron's kernel (the network's, held for every neuron) and names,
    and runs the fill again for its maps, from the trace the fill last drew (conv_view/neuron.js)."""
    bank_kernel = {
        f"n{n}": [float(v) for v in spec.kernel[:, :, :, n].transpose(2, 0, 1).ravel()] + [float(spec.bias[n])]
        for n in range(spec.neurons)
    }
    select.js_on_change(
        "value",
        custom_js(
            "conv_view/neuron",
            select=select,
            kernel=sources["kernel"],
            labels=sources["labels"],
            bank_kernel=ColumnDataSource(bank_kernel, name=f"{key}:bank_kernel"),
            meta=meta,
            describe=describe,
            fill=fill,
            slider=slider,
        ),
    )
