"""The convolutional elastic view: how one convolutional neuron builds its output map.

CNN Explainer (Sect. 6.2, Fig. 1B) opens this view when a learner clicks a
convolutional neuron: every input channel is convolved with its own slice of the
neuron's kernel into an *intermediate result*, and the intermediate results plus
the bias add up to the neuron's output map. A kernel slides over all input
channels at once while the output fills in, pixel by pixel.

:func:`conv_elastic_data` computes what the view's data sources hold, from a
:class:`~explainer_core.arithmetic.trace.Trace` only; :func:`conv_elastic_view` draws it.
The sliding-window player (:func:`play_controls`) and the colour mapper of a
heatmap (:func:`map_mapper`) are shared with the formula views and the
hyperparameter widget.

Explained in the chapter "Convolutional layers" (book/04_convolutional_layers.md).
"""

from __future__ import annotations

import math
from typing import Any

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

from ...arithmetic import formulas
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

__all__ = [
    "ELASTIC_BUDGET",
    "VIEW_WIDTH",
    "conv_elastic_data",
    "conv_elastic_view",
    "conv_step",
    "fmt",
    "map_mapper",
    "play_controls",
]

#: Most numbers (float32) the elastic view embeds to let the reader switch neurons in the
#: page (~5.3 bytes each once base64-encoded): about 1 MB. Above it only the chosen neuron is embedded.
ELASTIC_BUDGET = 200_000

# -- the data -------------------------------------------------------------------
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
    cell = max(wide, tall) / 7 / max(kh, kw) * 3  # a 3×3 kernel slice is ~ 3/7 of a map wide
    node = 0.1 * wide
    inputs, kernels, mids, edges = [], [], [], []
    if channels <= ROWS_UP_TO:
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
    else:
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
    return dict(
        inputs=inputs,
        kernels=kernels,
        mids=mids,
        out=out,
        node=(node_x, node_y),
        node_size=node,
        bias=bias,
        cell=cell,
        edges=edges,
        heads=heads,
        bounds=bounds,
        rows=channels <= ROWS_UP_TO,
    )


def conv_elastic_data(trace: Trace, layer: str | None = None, neuron: int = 0) -> dict[str, dict[str, list]]:
    """The columns of the elastic view's data sources for one neuron, from the trace.

    Keys are the sources: ``inputs`` (one row per input channel: ``image``, the
    channel as an (H, W) array, and where it is drawn), ``maps`` (one row per
    intermediate result, then the output map as the last row, ``role`` says which),
    ``kernel`` (one row per kernel weight, then the bias as the last row: ``value``,
    ``channel``, ``row``, ``col``, ``role``), ``edges`` and ``labels``. Every number
    is the trace's own (its input, its intermediate results and output) or the
    network's (kernel and bias); nothing is recomputed here.
    """
    spec = conv_step(trace, layer)
    neuron = check_index(neuron, spec.neurons, "neuron", spec.name)
    x = trace.input_of(spec.name)
    channels = x.shape[-1]
    g = _layout(spec, channels)
    parts = trace.intermediates[spec.name][neuron]
    output = trace.outputs[spec.name][:, :, neuron]
    kernel = spec.kernel[:, :, :, neuron]
    (kh, kw), cell = spec.window, g["cell"]
    names = [channel_name(trace, spec, c) for c in range(channels)]

    inputs = dict(
        image=[x[:, :, c] for c in range(channels)],
        x=[b[0] for b in g["inputs"]],
        y=[b[1] for b in g["inputs"]],
        dw=[b[2] for b in g["inputs"]],
        dh=[b[3] for b in g["inputs"]],
        channel=list(range(channels)),
        name=names,
    )
    boxes = g["mids"] + [g["out"]]
    maps = dict(
        image=[parts[c] for c in range(channels)] + [output],
        x=[b[0] for b in boxes],
        y=[b[1] for b in boxes],
        dw=[b[2] for b in boxes],
        dh=[b[3] for b in boxes],
        channel=list(range(channels)) + [-1],
        role=["intermediate"] * channels + ["output"],
    )

    k = dict(x=[], y=[], size=[], value=[], channel=[], row=[], col=[], role=[])
    for c, (kx, ky) in enumerate(g["kernels"]):
        for i in range(kh):
            for j in range(kw):
                for column_, value in zip(
                    ("x", "y", "size", "value", "channel", "row", "col", "role"),
                    (kx + (j + 0.5) * cell, ky - (i + 0.5) * cell, cell, float(kernel[i, j, c]), c, i, j, "weight"),
                    strict=True,
                ):
                    k[column_].append(value)
    for column_, value in zip(
        ("x", "y", "size", "value", "channel", "row", "col", "role"),
        (g["bias"][0], g["bias"][1], cell * 1.2, float(spec.bias[neuron]), -1, -1, -1, "bias"),
        strict=True,
    ):
        k[column_].append(value)

    edges = dict(xs=[[p[0] for p in e] for e in g["edges"]], ys=[[p[1] for p in e] for e in g["edges"]])

    label_gap = max(g["inputs"][0][3], g["out"][3]) * 0.05
    texts = [(hx, hy, text, "head") for hx, hy, text in g["heads"]]
    for c in range(channels):
        ix, iy, iw, _ = g["inputs"][c]
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
    texts.append((bx, by - cell * 0.65, "bias", "below"))
    labels = dict(
        x=[t[0] for t in texts], y=[t[1] for t in texts], text=[t[2] for t in texts], kind=[t[3] for t in texts]
    )
    return dict(inputs=inputs, maps=maps, kernel=k, edges=edges, labels=labels)


def _window_columns(data: dict, spec: LayerSpec, position: int) -> tuple[dict, dict]:
    """The window outlines and the not-yet-computed covers for one position (conv_elastic_position.js redoes this)."""
    maps, inputs = data["maps"], data["inputs"]
    height, width, _ = spec.input_shape
    out_h, out_w, _ = spec.output_shape
    r, c = divmod(position, out_w)
    kh, kw = spec.window
    top, left = formulas.window_origin(spec, r, c)
    windows = dict(x=[], y=[], width=[], height=[])
    for x0, y0, dw in zip(inputs["x"], inputs["y"], inputs["dw"], strict=True):
        unit = dw / width
        for column_, value in zip(
            windows, (x0 + (left + kw / 2) * unit, y0 - (top + kh / 2) * unit, kw * unit, kh * unit), strict=True
        ):
            windows[column_].append(value)
    covers = dict(x=[], y=[], width=[], height=[])
    for x0, y0, dw in zip(maps["x"], maps["y"], maps["dw"], strict=True):
        unit = dw / out_w
        for column_, value in zip(windows, (x0 + (c + 0.5) * unit, y0 - (r + 0.5) * unit, unit, unit), strict=True):
            windows[column_].append(value)
        if c + 1 < out_w:  # the rest of the current row
            for column_, value in zip(
                covers,
                (x0 + (c + 1 + out_w) / 2 * unit, y0 - (r + 0.5) * unit, (out_w - c - 1) * unit, unit),
                strict=True,
            ):
                covers[column_].append(value)
        if r + 1 < out_h:  # every row below
            for column_, value in zip(
                covers,
                (x0 + out_w / 2 * unit, y0 - (r + 1 + out_h) / 2 * unit, out_w * unit, (out_h - r - 1) * unit),
                strict=True,
            ):
                covers[column_].append(value)
    return windows, covers


# -- the view -------------------------------------------------------------------
def conv_elastic_view(
    trace: Trace,
    layer: str | None = None,
    neuron: int = 0,
    *,
    all_neurons: bool | None = None,
    key: str | None = None,
    width: int = VIEW_WIDTH,
):
    """The convolutional elastic view of neuron ``neuron`` of ``layer`` (default: the first convolution).

    With ``all_neurons`` (by default: when it fits in :data:`ELASTIC_BUDGET` numbers)
    every neuron of the layer is embedded and a menu switches between them in the
    page. Hovering a map, dragging the slider or pressing play moves the kernel.
    Models are named ``<key>:...`` (``key`` defaults to ``elastic-<layer>``):
    ``:figure``, ``:play``, ``:position``, ``:neuron``, ``:readout`` and the sources.
    A picture the reader chooses in the page refills every source (``js/refill_conv_elastic.js``).
    """
    spec = conv_step(trace, layer)
    neuron = check_index(neuron, spec.neurons, "neuron", spec.name)
    key = key or f"elastic-{spec.name}"
    data = conv_elastic_data(trace, spec.name, neuron)
    height, width_in, channels = spec.input_shape
    out_h, out_w, _ = spec.output_shape
    kh, kw = spec.window
    positions = out_h * out_w
    g = _layout(spec, channels)
    per_neuron = channels * positions + positions + channels * kh * kw + 1
    if all_neurons is None:
        all_neurons = spec.neurons * per_neuron + channels * height * width_in <= ELASTIC_BUDGET

    inputs = ColumnDataSource(data["inputs"], name=f"{key}:inputs")
    maps = ColumnDataSource(data["maps"], name=f"{key}:maps")
    kernel = ColumnDataSource(data["kernel"], name=f"{key}:kernel")
    edges = ColumnDataSource(data["edges"], name=f"{key}:edges")
    labels = ColumnDataSource(data["labels"], name=f"{key}:labels")
    win, cov = _window_columns(data, spec, positions - 1)
    windows = ColumnDataSource(win, name=f"{key}:windows")
    covers = ColumnDataSource(cov, name=f"{key}:covers")

    # one figure with square units, as large as the column allows
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

    edge_renderer = p.multi_line("xs", "ys", source=edges, line_color="#9aa5b1", line_width=1.4)
    image_args = dict(image="image", x="x", y="y", dw="dw", dh="dh", origin="top_left", anchor="top_left")
    if is_image_input(trace, spec.name) and trace.image.shape[-1] == 3:
        input_mappers = [map_mapper(trace, spec.name, c, of_input=True) for c in range(channels)]
        for c, mapper in enumerate(input_mappers):  # red, green and blue each in their own colour
            p.image(source=inputs, view=CDSView(filter=IndexFilter([c])), color_mapper=mapper, **image_args)
    else:
        input_mappers = [map_mapper(trace, spec.name, 0, of_input=True)]
        p.image(source=inputs, color_mapper=input_mappers[0], **image_args)
    output_mapper = map_mapper(trace, spec.name, neuron)
    p.image(source=maps, color_mapper=output_mapper, **image_args)
    frames = [
        (x + w / 2, y - h / 2, w, h)
        for d in (data["inputs"], data["maps"])
        for x, y, w, h in zip(d["x"], d["y"], d["dw"], d["dh"], strict=True)
    ]
    p.rect(
        [f[0] for f in frames],
        [f[1] for f in frames],
        width=[f[2] for f in frames],
        height=[f[3] for f in frames],
        fill_color=None,
        line_color="#c8ced6",
        line_width=1,
    )
    p.rect(
        "x", "y", width="width", height="height", source=covers, fill_color="#f4f5f7", fill_alpha=0.93, line_color=None
    )

    wlim = weight_limit(spec)
    weight_mapper = LinearColorMapper(palette=list(WEIGHT), low=-wlim, high=wlim)
    kernel_renderer = p.rect(
        "x",
        "y",
        width="size",
        height="size",
        source=kernel,
        fill_color=transform("value", weight_mapper),
        line_color="#6b7280",
        line_width=0.6,
    )
    # the sign of every weight in words too ("+" or "−"), not only in colour
    cell_px = g["cell"] * scale
    if cell_px >= 12:
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
    p.rect(
        "x", "y", width="width", height="height", source=windows, fill_color=None, line_color="#111827", line_width=2
    )

    kinds = labels.data["kind"]

    def only(*wanted):
        return CDSView(filter=IndexFilter([i for i, k in enumerate(kinds) if k in wanted]))

    map_px = g["inputs"][0][3] * scale
    font = f"{max(10, min(13, int(map_px * 0.09)))}px"
    p.text(
        "x",
        "y",
        text="text",
        source=labels,
        view=only("head"),
        text_align="center" if g["rows"] else "right",
        text_baseline="bottom" if g["rows"] else "middle",
        text_font_size="13px" if g["rows"] else "12px",
        text_font_style="bold",
        text_color="#374151",
    )
    p.text(
        "x",
        "y",
        text="text",
        source=labels,
        view=only("map", "neuron"),
        text_align="center",
        text_baseline="bottom",
        text_font_size=font,
        text_color="#4b5563",
    )
    p.text(
        "x",
        "y",
        text="text",
        source=labels,
        view=only("below", "neuron_below"),
        text_align="center",
        text_baseline="top",
        text_font_size=font,
        text_color="#4b5563",
    )
    p.add_tools(
        HoverTool(
            renderers=[kernel_renderer],
            tooltips=[("weight", "@value{custom}"), ("channel", "@channel"), ("row, col", "@row, @col")],
            formatters={"@value": signed_hover(3)},
        )
    )

    toggle, slider = play_controls(key, positions, interval=50, step=max(1, math.ceil(positions / 300)))
    readout = Div(
        text=_readout_html(data, spec, positions - 1, neuron),
        name=f"{key}:readout",
        stylesheets=[panel_css()],
        sizing_mode="stretch_width",
    )
    meta = dict(
        in_h=height,
        in_w=width_in,
        out_h=out_h,
        out_w=out_w,
        kh=kh,
        kw=kw,
        sh=spec.strides[0],
        sw=spec.strides[1],
        pt=spec.pads[0][0],
        pl=spec.pads[1][0],
        channels=channels,
        layer=spec.name,
        neuron=neuron,
    )
    select = None
    if all_neurons:
        select = Select(
            title="Neuron",
            value=str(neuron),
            options=[(str(n), f"neuron {n}") for n in range(spec.neurons)],
            name=f"{key}:neuron",
            width=120,
            margin=(5, 10, 5, 10),
        )
    update = custom_js(
        "conv_view/position",
        slider=slider,
        toggle=toggle,
        maps=maps,
        inputs=inputs,
        windows=windows,
        covers=covers,
        edges=edge_renderer.glyph,
        kernel=kernel,
        readout=readout,
        meta=meta,
        select=select,
    )
    slider.js_on_change("value", update)
    toggle.js_on_change("active", update)
    if is_image_input(trace, spec.name):
        names = [channel_name(trace, spec, c) for c in range(channels)]
        inputs_text = ", ".join(names[:-1]) + " and " + names[-1] if channels > 1 else names[0]
    else:
        inputs_text = f"the maps of {trace.network.previous(spec.name)}"
    as_image(p, f"The convolutional elastic view of {spec.name}")
    describe = describe_callback(
        "conv_view",
        plot=p,
        maps=maps,
        kernel=kernel,
        select=select,
        meta=dict(
            picture=picture_name(trace),
            layer=spec.name,
            neuron=neuron,
            inputs=inputs_text,
            channels=channels,
            marked=cell_px >= 12,
            in_h=height,
            in_w=width_in,
            kh=kh,
            kw=kw,
        ),
    )
    hover = custom_js("conv_view/hover", slider=slider, toggle=toggle, maps=maps, inputs=inputs, meta=meta)
    p.js_on_event(events.MouseMove, hover)
    p.js_on_event(events.Tap, hover)

    controls = [toggle, slider]
    bank = None
    if select is not None:
        bank_maps, bank_kernel = {}, {}
        for n in range(spec.neurons):
            d = data if n == neuron else conv_elastic_data(trace, spec.name, n)
            bank_maps[f"n{n}"] = d["maps"]["image"]
            bank_kernel[f"n{n}"] = d["kernel"]["value"]
        bank = ColumnDataSource(bank_maps, name=f"{key}:bank_maps")
        select.js_on_change(
            "value",
            custom_js(
                "conv_view/neuron",
                select=select,
                maps=maps,
                kernel=kernel,
                labels=labels,
                slider=slider,
                bank_maps=bank,
                bank_kernel=ColumnDataSource(bank_kernel, name=f"{key}:bank_kernel"),
                meta=meta,
                describe=describe,
            ),
        )
        controls = [select, toggle, slider]
    layout = column(p, row(*controls, sizing_mode="stretch_width"), readout, name=f"{key}:layout", width=width)
    # a new picture in the browser refills the maps (js/refill_conv_elastic.js); the window stays
    layout.tags = [
        refill_callback(
            "conv_view",
            inputs=inputs,
            maps=maps,
            bank_maps=bank,
            select=select,
            input_mappers=input_mappers,
            map_mapper=output_mapper,
            position=update,
            slider=slider,
            meta=dict(layer=spec.name, neuron=neuron),
        ),
        describe,
    ]
    return layout


def _readout_html(data: dict, spec: LayerSpec, position: int, neuron: int) -> str:
    """The sentence under the view for the first render (conv_elastic_position.js writes the same HTML)."""
    maps = data["maps"]
    out_w = spec.output_shape[1]
    r, c = divmod(position, out_w)
    parts = [float(img[r, c]) for img, role in zip(maps["image"], maps["role"], strict=True) if role == "intermediate"]
    bias = data["kernel"]["value"][-1]
    output = float(maps["image"][-1][r, c])
    terms = " + ".join(f"<span class='xv-num'>{fmt(v)}</span>" for v in parts)
    return (
        f"<div class='xv-line'>Output pixel (row {r}, column {c}) of {spec.name} · neuron {neuron}: "
        f"intermediate results {terms} + bias <span class='xv-num'>{fmt(bias)}</span> = "
        f"<span class='xv-num xv-result'>{fmt(output)}</span></div>"
    )
