"""The overview: every layer's activation maps at once (CNN Explainer, Sect. 6.1 and 6.6).

Each layer is a column of heatmaps, one per neuron: the input's colour
channels, every convolution, ReLU and max-pooling map on the diverging
red-white-blue scale, and the output classes with their probabilities.
Hovering a neuron draws its edges to the neurons it reads from; clicking one
opens its detail below the overview; "show details" adds the layer dimensions
and a colour legend, and the colour-range control chooses which layers share a
scale (one per layer, unit, module, or the whole network).

:func:`overview` builds the view's skeleton from the network alone: where every map,
name and class sits, and placeholders for the picture's numbers. ``overview/fill.js``
computes every number that depends on the picture (the maps, their value ranges, the
output probabilities, the colour ranges), for the first frame (the trace's own picture,
traced in the browser) and after the reader picks a new one.

Explained in the chapter "The network at a glance" (book/02_overview.md).
"""

from __future__ import annotations

import numpy as np
from bokeh.layouts import column, row
from bokeh.models import (
    ColorBar,
    ColumnDataSource,
    Div,
    HoverTool,
    LabelSet,
    LinearColorMapper,
    RadioButtonGroup,
    Range1d,
    Select,
    TapTool,
    Toggle,
)

from ...arithmetic.network import SPATIAL_KINDS, Network
from ...arithmetic.scales import MODES
from ...arithmetic.trace import Trace
from ..kit import (
    ACTIVATION,
    INPUT_CHANNELS,
    LOGIT,
    as_image,
    bare_figure,
    custom_js,
    describe_callback,
    network_title,
    picture_name,
    refill_callback,
    signed_hover,
    signed_ticks,
)
from ..kit.refill import picture_source

__all__ = ["CHAPTER_OF_KIND", "overview", "overview_layers"]

#: Width of the view in pixels: the book's text column at a 1280-pixel window.
WIDTH = 680
#: Width kept for the output column (class names and probabilities).
OUTPUT_WIDTH = 150
#: Longest probability bar in the output column, in pixels.
BAR = 28.0
#: Where each kind of layer is explained in the book (pages next to the overview's page).
CHAPTER_OF_KIND = {
    "input": ("03_input_layer.html", "The input layer"),
    "conv": ("04_convolutional_layers.html", "Convolutional layers"),
    "relu": ("06_activation_functions.html", "Activation functions"),
    "maxpool": ("07_pooling_layers.html", "Pooling layers"),
    "output": ("08_flatten_and_output.html", "The flatten layer and the output"),
}
KIND_LABEL = {"input": "input", "conv": "convolution", "relu": "ReLU", "maxpool": "max pooling", "output": "output"}
#: What an image column holds until fill.js draws the picture (fill.js makes full-size maps of its kind).
_PLACEHOLDER = np.zeros((1, 1), np.float32)
#: A column's mosaic until mode.js colours the picture's maps (a packed RGBA pixel, as image_rgba draws).
_RGBA = np.zeros((1, 1), np.uint32)


def overview_layers(trace: Trace | Network) -> list[str]:
    """The heatmap columns after the input: every step whose output is a stack of maps."""
    network = getattr(trace, "network", trace)
    return [s.name for s in network.layers if s.kind in SPATIAL_KINDS and len(s.output_shape) == 3]


def _shape(network: Network, name: str) -> tuple[int, ...]:
    """The shape of a column's stack of maps: the input's, or a layer's output."""
    return tuple(network.input_shape) if name == "input" else tuple(network.layer(name).output_shape)


def _geometry(network: Network, width: int) -> dict:
    """Where every column and heatmap sits (pixels, y growing downwards from 0 at the top)."""
    layers = overview_layers(network)
    columns = ["input", *layers]
    rows = max(_shape(network, name)[2] for name in columns)
    pitch = (width - OUTPUT_WIDTH) / len(columns)
    cell = min(40.0, pitch * 0.72)
    gap = max(4.0, cell * 0.22)
    top = 32.0  # room for the layer names, on two staggered lines
    height = top + rows * (cell + gap) + 30  # and room below for the dimensions, when shown
    return {"columns": columns, "pitch": pitch, "cell": cell, "gap": gap, "top": top, "rows": rows,
            "height": height, "x_out": len(columns) * pitch + 6}


def _column_ys(count: int, geo: dict) -> list[float]:
    """Top edges of ``count`` heatmaps, centred in the tallest column."""
    offset = (geo["rows"] - count) * (geo["cell"] + geo["gap"]) / 2
    return [geo["top"] + offset + i * (geo["cell"] + geo["gap"]) for i in range(count)]


def _skeleton(network: Network, geo: dict) -> dict[str, dict[str, list]]:
    """Every data source of the overview, from the network alone: positions, names and shapes, and
    placeholders (zeros, empty texts, 1x1 maps) for the picture's numbers, which fill.js writes.

    ``"input"`` and ``"layer:<name>"`` hold one map per neuron; ``"neurons"`` one invisible
    hover/click target per neuron; ``"output"`` the classes; ``"ranges"`` the heatmap layers."""
    cell = geo["cell"]
    data: dict[str, dict[str, list]] = {}
    neurons: dict[str, list] = {key: [] for key in (
        "x", "y", "layer", "kind", "neuron", "column", "shape", "one_to_one")}
    for col, name in enumerate(geo["columns"]):
        kind = "input" if name == "input" else network.layer(name).kind
        h, w, count = _shape(network, name)
        x = col * geo["pitch"] + (geo["pitch"] - cell) / 2
        ys = _column_ys(count, geo)
        data["input" if name == "input" else f"layer:{name}"] = {
            "image": [_PLACEHOLDER] * count, "x": [x] * count, "y": ys, "dw": [cell] * count,
            "dh": [cell] * count, "neuron": list(range(count))}
        for i, y in enumerate(ys):
            for key, value in (("x", x + cell / 2), ("y", y + cell / 2), ("layer", name), ("kind", kind),
                               ("neuron", i), ("column", col), ("shape", f"{h}×{w}"),
                               ("one_to_one", kind in ("relu", "maxpool"))):
                neurons[key].append(value)
    classes = network.num_classes
    ys = [y + cell / 2 for y in _column_ys(classes, geo)]
    x_out = geo["x_out"]
    data["output"] = {"label": [network.class_name(i) for i in range(classes)], "logit": [0.0] * classes,
                      "probability": [0.0] * classes, "percent": [""] * classes, "x": [x_out] * classes,
                      "y": ys, "bar": [x_out] * classes, "weight": ["normal"] * classes}
    for key, values in (("x", [x_out + cell / 4] * classes), ("y", ys), ("layer", ["output"] * classes),
                        ("kind", ["output"] * classes), ("neuron", list(range(classes))),
                        ("column", [len(geo["columns"])] * classes), ("shape", [""] * classes),
                        ("one_to_one", [False] * classes)):
        neurons[key].extend(values)
    neurons["low"] = [0.0] * len(neurons["x"])
    neurons["high"] = [0.0] * len(neurons["x"])
    data["neurons"] = neurons
    layers = overview_layers(network)
    data["ranges"] = {"name": layers, **{mode: [0.0] * len(layers) for mode in MODES}}
    return data


def _header_data(network: Network, geo: dict) -> dict[str, list]:
    """The column headers: each layer's name, kind, shape and the chapter explaining its kind."""
    names, kinds, xs, dims, ys = [], [], [], [], []
    for col, name in enumerate(geo["columns"]):
        ys.append(2 + 12 * (col % 2))
        kind = "input" if name == "input" else network.layer(name).kind
        names.append(name)
        kinds.append(kind)
        xs.append(col * geo["pitch"] + geo["pitch"] / 2)
        dims.append("×".join(str(d) for d in _shape(network, name)))
    names.append("output")
    ys.append(2)
    kinds.append("output")
    xs.append(len(geo["columns"]) * geo["pitch"] + OUTPUT_WIDTH / 2 - 10)
    dims.append(str(network.num_classes))
    bottom = geo["top"] + geo["rows"] * (geo["cell"] + geo["gap"])
    return {"name": names, "kind": kinds, "x": xs, "y": ys, "dims_y": [bottom + y for y in ys], "dims": dims,
            "url": [CHAPTER_OF_KIND[k][0] for k in kinds]}


def _heatmaps(plot, data: dict, network: Network) -> tuple[dict, dict, list, ColumnDataSource]:
    """The maps, drawn as one RGBA image per column (a mosaic of its maps, ``overview_mosaic``), which
    mode.js colours as each column's mapper would (the input's channels each with its own palette), so
    that Bokeh's colour mapping does no work per map. The map sources (``overview_input``,
    ``overview_layer:<name>``) keep each map's numbers and place, which select.js and the tests read.
    Returns the map sources and mappers by layer ("input" for the picture), the input's mappers and
    the mosaic's source."""
    channels = network.input_shape[2]
    sources = {"input": ColumnDataSource(data["input"], name="overview_input")}
    input_mappers = [
        LinearColorMapper(palette=list(INPUT_CHANNELS[c] if channels == 3 else INPUT_CHANNELS[2]), low=0.0, high=1.0)
        for c in range(channels)
    ]
    mappers: dict[str, LinearColorMapper] = {}
    for name in overview_layers(network):
        # (-1, 1) until fill.js gives every mapper the picture's range
        mappers[name] = LinearColorMapper(palette=list(ACTIVATION), low=-1.0, high=1.0,
                                          name=f"overview_mapper:{name}")
        sources[name] = ColumnDataSource(data[f"layer:{name}"], name=f"overview_layer:{name}")
    mosaic = {key: [] for key in ("layer", "rgba", "x", "y", "dw", "dh")}
    for name, source in sources.items():
        d = source.data
        mosaic["layer"].append(name)
        mosaic["rgba"].append(_RGBA)
        mosaic["x"].append(d["x"][0])
        mosaic["y"].append(d["y"][0])
        mosaic["dw"].append(d["dw"][0])
        mosaic["dh"].append(d["y"][-1] + d["dh"][-1] - d["y"][0])
    mosaic_source = ColumnDataSource(mosaic, name="overview_mosaic")
    plot.image_rgba(image="rgba", x="x", y="y", dw="dw", dh="dh", source=mosaic_source)
    return sources, mappers, input_mappers, mosaic_source


def _output_column(plot, data: dict, geo: dict) -> tuple[ColumnDataSource, LinearColorMapper]:
    """A bar per class (length ~ probability, colour ~ logit) and its name and percentage."""
    output = ColumnDataSource(data["output"], name="overview_output")
    logit_mapper = LinearColorMapper(palette=list(LOGIT), low=-1.0, high=1.0, name="overview_logit_mapper")
    plot.segment(x0="x", y0="y", x1="bar", y1="y", source=output, line_width=geo["cell"] * 0.5,
                 line_color={"field": "logit", "transform": logit_mapper})
    plot.text(x="x", y="y", text="label", source=output, x_offset=BAR + 6, y_offset=-1,
              text_font_size="12px", text_baseline="bottom", text_font_style="weight")
    plot.text(x="x", y="y", text="percent", source=output, x_offset=BAR + 6, y_offset=1,
              text_font_size="11px", text_baseline="top", text_color="#555")
    return output, logit_mapper


def _headers(plot, network: Network, geo: dict) -> tuple[object, LabelSet]:
    """The layer names, which link to the chapter explaining their kind, and their dimensions."""
    headers = ColumnDataSource(_header_data(network, geo), name="overview_headers")
    plot.text(x="x", y="y", text="name", source=headers, text_align="center", text_baseline="top",
              text_font_size="10.5px", text_color="#1f4e79")
    dims = LabelSet(x="x", y="dims_y", text="dims", source=headers, text_align="center", text_baseline="top",
                    text_font_size="10px", text_color="#666", visible=False, name="overview_dims")
    plot.add_layout(dims)
    header_targets = plot.rect(x="x", y="y", width=geo["pitch"] * 0.95, height=12, source=headers,
                               fill_alpha=0, line_alpha=0)
    headers.selected.js_on_change("indices", custom_js("overview/header", headers=headers))
    return header_targets, dims


def _targets(plot, data: dict, geo: dict, mappers: dict, header_targets, edges) -> tuple[ColumnDataSource, HoverTool]:
    """Invisible targets, one per neuron: hover draws ``edges``, click opens the detail (a click on a
    layer's name, ``header_targets``, its chapter)."""
    neurons = ColumnDataSource(data["neurons"], name="overview_neurons")
    targets = plot.rect(x="x", y="y", width=geo["cell"], height=geo["cell"], source=neurons, fill_alpha=0,
                        line_alpha=0, selection_line_alpha=1, selection_line_color="#d95f02",
                        selection_line_width=2.5, nonselection_line_alpha=0, nonselection_fill_alpha=0)
    highlight = ColumnDataSource({"x": [], "y": []}, name="overview_highlight")
    plot.rect(x="x", y="y", width=geo["cell"] + 3, height=geo["cell"] + 3, source=highlight, fill_alpha=0,
              line_color="#222", line_width=1.5)
    hover = HoverTool(
        renderers=[targets],
        tooltips=[("layer", "@layer"), ("neuron", "@neuron"), ("size", "@shape"),
                  ("values", "@low{custom} … @high{custom}")],
        formatters={"@low": signed_hover(2), "@high": signed_hover(2)},
        callback=custom_js("overview/hover", neurons=neurons, edges=edges, highlight=highlight,
                           cell=geo["cell"], legend=None, mappers=mappers, describe=None),
    )
    plot.add_tools(hover, TapTool(renderers=[targets, header_targets]))
    return neurons, hover


def _detail(network: Network, width: int) -> dict:
    """The detail of a clicked neuron: its map enlarged (values on hover) and where it is explained."""
    first = overview_layers(network)[0]
    h, w = _shape(network, first)[:2]
    source = ColumnDataSource({"image": [_PLACEHOLDER], "x": [0], "y": [0], "dw": [w], "dh": [h]},
                              name="overview_detail_map")
    mapper = LinearColorMapper(palette=list(ACTIVATION), low=-1.0, high=1.0)
    plot = bare_figure(width=220, height=220, toolbar_location=None, name="overview_detail_plot",
                       x_range=Range1d(0, w), y_range=Range1d(h, 0), title=f"{first}, neuron 0")
    image = plot.image(image="image", x="x", y="y", dw="dw", dh="dh", source=source, color_mapper=mapper)
    plot.add_tools(HoverTool(renderers=[image], tooltips=[
        ("row, column", "$y{0}, $x{0}"), ("value", "@image{custom}")], formatters={"@image": signed_hover(3)}))
    as_image(plot, "The detail of one map, enlarged")
    text = Div(width=width - 240, name="overview_detail_text", text=_detail_html(network, first, 0))
    return {"detail": row(plot, text, visible=False, name="overview_detail"), "detail_source": source,
            "detail_mapper": mapper, "detail_plot": plot, "detail_text": text}


def _legend(width: int, mapper: LinearColorMapper, first: str) -> tuple[ColorBar, object]:
    """The colour legend of the layer last hovered, in a strip of its own (it never squeezes the heatmaps)."""
    legend = ColorBar(color_mapper=mapper, orientation="horizontal", height=10, width=width - 220,
                      title=f"activation, {first}", name="overview_legend", major_label_text_font_size="10px",
                      title_text_font_size="11px", location=(10, 0), padding=4, formatter=signed_ticks())
    legend_plot = bare_figure(width=width, height=58, toolbar_location=None, tools="", min_border=0, visible=False,
                              x_range=Range1d(0, 1), y_range=Range1d(0, 1), name="overview_legend_plot")
    legend_plot.scatter([0], [0], alpha=0)  # a plot needs a renderer; the legend is the point
    legend_plot.outline_line_color = None
    legend_plot.add_layout(legend, "center")
    as_image(legend_plot, "Colour legend")
    return legend, legend_plot


def overview(trace: Trace, width: int = WIDTH):
    """The overview of ``trace``: a Bokeh layout with its controls and detail panel.

    Python draws the skeleton; ``overview/fill.js`` draws ``trace``'s picture into it."""
    network = trace.network
    geo = _geometry(network, width)
    data = _skeleton(network, geo)
    height = int(geo["height"])
    plot = bare_figure(
        width=width, height=height, x_range=Range1d(0, width), y_range=Range1d(height, 0),
        toolbar_location=None, tools="", name="overview_plot", min_border=0,
    )
    plot.outline_line_color = None
    # Edges first, so the heatmaps are drawn over them (hover.js draws them).
    edges = ColumnDataSource({"xs": [], "ys": []}, name="overview_edges")
    plot.multi_line("xs", "ys", source=edges, line_color="#8a8a8a", line_alpha=0.55, line_width=1)
    sources, mappers, input_mappers, mosaic = _heatmaps(plot, data, network)
    output, logit_mapper = _output_column(plot, data, geo)
    header_targets, dims = _headers(plot, network, geo)
    neurons, hover = _targets(plot, data, geo, mappers, header_targets, edges)
    detail = _detail(network, width)
    first = overview_layers(network)[0]
    legend, legend_plot = _legend(width, mappers[first], first)
    ranges = ColumnDataSource(data["ranges"], name="overview_ranges")
    as_image(plot, f"The overview of {network_title(network)}")
    describe = describe_callback(
        "overview", plot=plot, legend_plot=legend_plot, detail_plot=detail["detail_plot"], legend=legend,
        output=output, ranges=ranges, detail_source=detail["detail_source"],
        meta=dict(picture=picture_name(trace), network=network_title(network), channels=network.input_shape[2]),
    )
    hover.callback.args.update(legend=legend, describe=describe)
    select = custom_js("overview/select", neurons=neurons, sources=sources, mappers=mappers,
                       input_mappers=input_mappers, chapters={k: list(v) for k, v in CHAPTER_OF_KIND.items()},
                       output=output, describe=describe, **detail)
    neurons.selected.js_on_change("indices", select)
    # The keyboard's way to a map's detail: a menu of every map, kept in step with clicks.
    menu = neuron_menu(data["neurons"], network.class_name)
    sync = custom_js("overview/menu", neurons=neurons, menu=menu)
    menu.js_on_change("value", sync)
    neurons.selected.js_on_change("indices", sync)
    mode, apply_mode, details = _controls(dims, legend_plot, ranges, mappers, describe, sources, input_mappers, mosaic)
    controls = row(details, Div(text="Colour range shared per:", styles={"margin-top": "6px"}), mode)
    layout = column(controls, plot, menu, legend_plot, detail["detail"])
    layout.tags = [refill_callback(
        "overview", picture=picture_source(trace), sources=sources, neurons=neurons,
        output=output, ranges=ranges, mode=mode, apply_mode=apply_mode, input_source=sources["input"],
        output_x=geo["x_out"], bar=BAR, logit_mapper=logit_mapper, detail=detail["detail"], select=select,
    ), describe]
    return layout


def _controls(dims, legend_plot, ranges, mappers, describe, sources, input_mappers, mosaic,
              ) -> tuple[RadioButtonGroup, object, Toggle]:
    """The colour-range mode (which layers share a scale; mode.js also colours the maps) and
    "show details" (dimensions and legend)."""
    mode = RadioButtonGroup(labels=list(MODES), active=MODES.index("unit"), name="overview_range_mode",
                            html_attributes={"role": "group", "aria-label": "Colour range shared per"})
    apply_mode = custom_js("overview/mode", mode=mode, modes=list(MODES), ranges=ranges, mappers=mappers,
                           describe=describe, sources=sources, input_mappers=input_mappers, mosaic=mosaic)
    mode.js_on_change("active", apply_mode)
    details = Toggle(label="Show details", active=False, name="overview_details", width=130)
    details.js_on_change("active", custom_js("overview/details", toggle=details, dims=dims, legend=legend_plot))
    return mode, apply_mode, details


def neuron_menu(neurons: dict[str, list], class_name) -> Select:
    """A menu of every map (and output class) of the overview, grouped by layer; its values are the
    rows of the ``neurons`` source, so that choosing one opens its detail as a click does."""
    channel = {0: "red", 1: "green", 2: "blue"} if neurons["layer"].count("input") == 3 else {}
    groups: dict[str, list[tuple[str, str]]] = {"no detail": [("", "none open")]}
    for i, (layer, neuron) in enumerate(zip(neurons["layer"], neurons["neuron"], strict=True)):
        if layer == "input":
            text = f"input, {channel[neuron]} channel" if channel else f"input, channel {neuron}"
        elif layer == "output":
            text = f"output, {class_name(neuron)}"
        else:
            text = f"{layer}, neuron {neuron}"
        groups.setdefault(layer, []).append((str(i), text))
    return Select(title="Open the detail of a map", options=groups, value="", name="overview_menu", width=280)


def _detail_html(network: Network, layer: str, neuron: int) -> str:
    kind = network.layer(layer).kind
    page, title = CHAPTER_OF_KIND[kind]
    return (f"<b>{layer}</b>, neuron {neuron}: a {KIND_LABEL[kind]} map. Hover over it to read its numbers. "
            f'How it is computed: <a href="{page}">{title}</a>.')
