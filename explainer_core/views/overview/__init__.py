"""The overview: every layer's activation maps at once (CNN Explainer, Sect. 6.1 and 6.6).

Each layer is a column of heatmaps, one per neuron: the input's colour
channels, every convolution, ReLU and max-pooling map on the diverging
red-white-blue scale, and the output classes with their probabilities.
Hovering a neuron draws its edges to the neurons it reads from; clicking one
opens its detail below the overview; "show details" adds the layer dimensions
and a colour legend, and the colour-range control chooses which layers share a
scale (one per layer, unit, module, or the whole network).

:func:`overview_data` computes every number the view's data sources hold, from
a :class:`~explainer_core.arithmetic.trace.Trace` only; :func:`overview` draws it, and
``js/refill_overview.js`` recomputes the same numbers when the reader changes
the picture in the browser.

Explained in the chapter "The network at a glance" (book/02_overview.md).
"""

from __future__ import annotations

import numpy as np
from bokeh.layouts import column, row
from bokeh.models import (
    CDSView,
    ColorBar,
    ColumnDataSource,
    Div,
    HoverTool,
    IndexFilter,
    LabelSet,
    LinearColorMapper,
    RadioButtonGroup,
    Range1d,
    Select,
    TapTool,
    Toggle,
)

from ...arithmetic.network import SPATIAL_KINDS
from ...arithmetic.scales import MODES, color_ranges
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

__all__ = ["CHAPTER_OF_KIND", "overview", "overview_data", "overview_layers"]

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


def overview_layers(trace: Trace) -> list[str]:
    """The heatmap columns after the input: every step whose output is a stack of maps."""
    return [s.name for s in trace.network.layers if s.kind in SPATIAL_KINDS and len(s.output_shape) == 3]


def _maps(values: np.ndarray) -> list[np.ndarray]:
    """The (H, W, C) activations as C separate (H, W) float32 maps.

    The overview's y axis points down (row 0 of a map is drawn at the top), so the maps
    are stored as they are, with no flip.
    """
    return [np.ascontiguousarray(values[..., c], dtype=np.float32) for c in range(values.shape[2])]


def _geometry(trace: Trace, width: int) -> dict:
    """Where every column and heatmap sits (pixels, y growing downwards from 0 at the top)."""
    layers = overview_layers(trace)
    columns = ["input", *layers]
    rows = max([trace.image.shape[2], *(trace.outputs[name].shape[2] for name in layers)])
    pitch = (width - OUTPUT_WIDTH) / len(columns)
    cell = min(40.0, pitch * 0.72)
    gap = max(4.0, cell * 0.22)
    top = 32.0  # room for the layer names, on two staggered lines
    height = top + rows * (cell + gap) + 30  # and room below for the dimensions, when shown
    return {"columns": columns, "pitch": pitch, "cell": cell, "gap": gap, "top": top, "rows": rows,
            "height": height}


def _column_ys(count: int, geo: dict) -> list[float]:
    """Top edges of ``count`` heatmaps, centred in the tallest column."""
    offset = (geo["rows"] - count) * (geo["cell"] + geo["gap"]) / 2
    return [geo["top"] + offset + i * (geo["cell"] + geo["gap"]) for i in range(count)]


def overview_data(trace: Trace, width: int = WIDTH) -> dict[str, dict[str, list]]:
    """Every data source of the overview, computed from ``trace`` alone.

    ``"input"`` and ``"layer:<name>"`` hold one (H, W) map per neuron, top row first;
    ``"neurons"`` one invisible hover/click target per neuron with what the tooltip
    says; ``"output"`` the classes, logits and probabilities; ``"ranges"`` the
    colour-scale limit of every heatmap layer in each range mode (scales.color_ranges).
    """
    geo = _geometry(trace, width)
    cell = geo["cell"]
    data: dict[str, dict[str, list]] = {}
    neurons: dict[str, list] = {key: [] for key in (
        "x", "y", "layer", "kind", "neuron", "column", "shape", "low", "high", "one_to_one")}

    def add_column(key: str, name: str, kind: str, maps: list[np.ndarray], col: int) -> None:
        x = col * geo["pitch"] + (geo["pitch"] - cell) / 2
        ys = _column_ys(len(maps), geo)
        data[key] = {"image": maps, "x": [x] * len(maps), "y": ys, "dw": [cell] * len(maps),
                     "dh": [cell] * len(maps), "neuron": list(range(len(maps)))}
        for i, (m, y) in enumerate(zip(maps, ys, strict=True)):
            neurons["x"].append(x + cell / 2)
            neurons["y"].append(y + cell / 2)
            neurons["layer"].append(name)
            neurons["kind"].append(kind)
            neurons["neuron"].append(i)
            neurons["column"].append(col)
            neurons["shape"].append("×".join(str(d) for d in m.shape))
            neurons["low"].append(float(m.min()))
            neurons["high"].append(float(m.max()))
            neurons["one_to_one"].append(kind in ("relu", "maxpool"))

    add_column("input", "input", "input", _maps(trace.image), 0)
    for col, name in enumerate(overview_layers(trace), start=1):
        add_column(f"layer:{name}", name, trace.network.layer(name).kind, _maps(trace.outputs[name]), col)

    classes = trace.network.num_classes
    ys = _column_ys(classes, geo)
    x_out = len(geo["columns"]) * geo["pitch"] + 6
    probabilities = [float(p) for p in trace.probabilities]
    predicted = trace.predicted_class
    data["output"] = {
        "label": [trace.network.class_name(i) for i in range(classes)],
        "logit": [float(z) for z in trace.logits],
        "probability": probabilities,
        "percent": [f"{100 * p:.1f} %" for p in probabilities],
        "x": [x_out] * classes,
        "y": [y + cell / 2 for y in ys],
        "bar": [x_out + BAR * p / max(probabilities) for p in probabilities] if classes else [],
        "weight": ["bold" if i == predicted else "normal" for i in range(classes)],
    }
    last = len(geo["columns"])
    for i in range(classes):
        neurons["x"].append(x_out + cell / 4)
        neurons["y"].append(ys[i] + cell / 2)
        neurons["layer"].append("output")
        neurons["kind"].append("output")
        neurons["neuron"].append(i)
        neurons["column"].append(last)
        neurons["shape"].append(f"{data['output']['label'][i]}: p = {probabilities[i]:.3f}")
        neurons["low"].append(float(trace.logits[i]))
        neurons["high"].append(float(trace.logits[i]))
        neurons["one_to_one"].append(False)
    data["neurons"] = neurons

    layers = overview_layers(trace)
    data["ranges"] = {"name": layers}
    for mode in MODES:
        limits = color_ranges(trace, mode)
        data["ranges"][mode] = [limits[name][1] for name in layers]
    return data


def _header_data(trace: Trace, geo: dict) -> dict[str, list]:
    names, kinds, xs, dims, ys = [], [], [], [], []
    for col, name in enumerate(geo["columns"]):
        ys.append(2 + 12 * (col % 2))
        kind = "input" if name == "input" else trace.network.layer(name).kind
        shape = trace.image.shape if name == "input" else trace.outputs[name].shape
        names.append(name)
        kinds.append(kind)
        xs.append(col * geo["pitch"] + geo["pitch"] / 2)
        dims.append("×".join(str(d) for d in shape))
    names.append("output")
    ys.append(2)
    kinds.append("output")
    xs.append(len(geo["columns"]) * geo["pitch"] + OUTPUT_WIDTH / 2 - 10)
    dims.append(str(trace.network.num_classes))
    bottom = geo["top"] + geo["rows"] * (geo["cell"] + geo["gap"])
    return {"name": names, "kind": kinds, "x": xs, "y": ys, "dims_y": [bottom + y for y in ys], "dims": dims,
            "url": [CHAPTER_OF_KIND[k][0] for k in kinds]}


def overview(trace: Trace, width: int = WIDTH):
    """The overview of ``trace``: a Bokeh layout with its controls and detail panel."""
    data = overview_data(trace, width)
    geo = _geometry(trace, width)
    height = int(geo["height"])
    plot = bare_figure(
        width=width, height=height, x_range=Range1d(0, width), y_range=Range1d(height, 0),
        toolbar_location=None, tools="", name="overview_plot", min_border=0,
    )
    plot.outline_line_color = None

    # Edges first, so the heatmaps are drawn over them.
    edges = ColumnDataSource({"xs": [], "ys": []}, name="overview_edges")
    plot.multi_line("xs", "ys", source=edges, line_color="#8a8a8a", line_alpha=0.55, line_width=1)

    mappers: dict[str, LinearColorMapper] = {}
    sources: dict[str, ColumnDataSource] = {}
    ranges = color_ranges(trace, "unit")
    channels = trace.image.shape[2]
    input_source = ColumnDataSource(data["input"], name="overview_input")
    sources["input"] = input_source
    input_mappers = []
    for c in range(channels):
        palette = INPUT_CHANNELS[c] if channels == 3 else INPUT_CHANNELS[2]
        mapper = LinearColorMapper(palette=list(palette), low=0.0, high=1.0)
        input_mappers.append(mapper)
        plot.image(image="image", x="x", y="y", dw="dw", dh="dh", source=input_source, color_mapper=mapper,
                   view=CDSView(filter=IndexFilter([c])))
    for name in overview_layers(trace):
        low, high = ranges[name]
        mapper = LinearColorMapper(palette=list(ACTIVATION), low=low, high=high, name=f"overview_mapper:{name}")
        mappers[name] = mapper
        source = ColumnDataSource(data[f"layer:{name}"], name=f"overview_layer:{name}")
        sources[name] = source
        plot.image(image="image", x="x", y="y", dw="dw", dh="dh", source=source, color_mapper=mapper)

    # The output column: a bar per class (length ~ probability) and its name and percentage.
    output = ColumnDataSource(data["output"], name="overview_output")
    logit_limit = float(np.max(np.abs(trace.logits))) or 1.0
    logit_mapper = LinearColorMapper(palette=list(LOGIT), low=-logit_limit, high=logit_limit)
    plot.segment(x0="x", y0="y", x1="bar", y1="y", source=output, line_width=geo["cell"] * 0.5,
                 line_color={"field": "logit", "transform": logit_mapper})
    plot.text(x="x", y="y", text="label", source=output, x_offset=BAR + 6, y_offset=-1,
              text_font_size="12px", text_baseline="bottom", text_font_style="weight")
    plot.text(x="x", y="y", text="percent", source=output, x_offset=BAR + 6, y_offset=1,
              text_font_size="11px", text_baseline="top", text_color="#555")

    # Column headers: the layer names, which link to the chapter explaining their kind.
    headers = ColumnDataSource(_header_data(trace, geo), name="overview_headers")
    plot.text(x="x", y="y", text="name", source=headers, text_align="center", text_baseline="top",
              text_font_size="10.5px", text_color="#1f4e79")
    dims = LabelSet(x="x", y="dims_y", text="dims", source=headers, text_align="center", text_baseline="top",
                    text_font_size="10px", text_color="#666", visible=False, name="overview_dims")
    plot.add_layout(dims)
    header_targets = plot.rect(x="x", y="y", width=geo["pitch"] * 0.95, height=12, source=headers,
                               fill_alpha=0, line_alpha=0)

    # Invisible targets, one per neuron: hover draws edges, click opens the detail.
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
                           cell=geo["cell"], legend=None, mappers=mappers),
    )
    plot.add_tools(hover, TapTool(renderers=[targets, header_targets]))

    # The detail of a clicked neuron: its map enlarged, values on hover, and where it is explained.
    first = overview_layers(trace)[0]
    detail_source = ColumnDataSource(
        {"image": [data[f"layer:{first}"]["image"][0]], "x": [0], "y": [0],
         "dw": [trace.outputs[first].shape[1]], "dh": [trace.outputs[first].shape[0]]}, name="overview_detail_map")
    detail_mapper = LinearColorMapper(palette=list(ACTIVATION), low=ranges[first][0], high=ranges[first][1])
    detail_plot = bare_figure(width=220, height=220, toolbar_location=None, name="overview_detail_plot",
                         x_range=Range1d(0, trace.outputs[first].shape[1]),
                         y_range=Range1d(trace.outputs[first].shape[0], 0), title=f"{first}, neuron 0")
    detail_image = detail_plot.image(image="image", x="x", y="y", dw="dw", dh="dh", source=detail_source,
                                     color_mapper=detail_mapper)
    detail_plot.add_tools(HoverTool(renderers=[detail_image], tooltips=[
        ("row, column", "$y{0}, $x{0}"), ("value", "@image{custom}")], formatters={"@image": signed_hover(3)}))
    as_image(detail_plot, "The detail of one map, enlarged")
    detail_text = Div(width=width - 240, name="overview_detail_text", text=_detail_html(trace, first, 0))
    detail = row(detail_plot, detail_text, visible=False, name="overview_detail")
    picture = picture_name(trace)
    select = custom_js(
        "overview/select", neurons=neurons, sources=sources, mappers=mappers, input_mappers=input_mappers,
        detail=detail, detail_source=detail_source, detail_mapper=detail_mapper, detail_plot=detail_plot,
        detail_text=detail_text, chapters={k: list(v) for k, v in CHAPTER_OF_KIND.items()}, output=output,
        describe=None,
    )
    neurons.selected.js_on_change("indices", select)
    # The keyboard's way to a map's detail: a menu of every map, kept in step with clicks.
    menu = neuron_menu(data["neurons"], trace.network.class_name)
    sync = custom_js("overview/menu", neurons=neurons, menu=menu)
    menu.js_on_change("value", sync)
    neurons.selected.js_on_change("indices", sync)
    headers.selected.js_on_change("indices", custom_js("overview/header", headers=headers))

    # Controls: the colour range mode and "show details" (dimensions and a legend).
    range_source = ColumnDataSource(data["ranges"], name="overview_ranges")
    mode = RadioButtonGroup(labels=list(MODES), active=MODES.index("unit"), name="overview_range_mode",
                            html_attributes={"role": "group", "aria-label": "Colour range shared per"})
    # The legend lives in a strip of its own, so showing it never squeezes the heatmaps.
    legend = ColorBar(color_mapper=mappers[first], orientation="horizontal", height=10, width=width - 220,
                      title=f"activation, {first}", name="overview_legend", major_label_text_font_size="10px",
                      title_text_font_size="11px", location=(10, 0), padding=4, formatter=signed_ticks())
    legend_plot = bare_figure(width=width, height=58, toolbar_location=None, tools="", min_border=0, visible=False,
                         x_range=Range1d(0, 1), y_range=Range1d(0, 1), name="overview_legend_plot")
    legend_plot.scatter([0], [0], alpha=0)  # a plot needs a renderer; the legend is the point
    legend_plot.outline_line_color = None
    legend_plot.add_layout(legend, "center")
    hover.callback.args["legend"] = legend
    # Text alternatives: the whole overview, and the legend of the layer it shows.
    as_image(plot, f"The overview of {network_title(trace.network)}")
    as_image(legend_plot, "Colour legend")
    describe = describe_callback(
        "overview", plot=plot, legend_plot=legend_plot, detail_plot=detail_plot, legend=legend, output=output,
        ranges=range_source, detail_source=detail_source,
        meta=dict(picture=picture, network=network_title(trace.network), channels=channels),
    )
    hover.callback.args["describe"] = describe
    select.args["describe"] = describe
    apply_mode = custom_js("overview/mode", mode=mode, modes=list(MODES), ranges=range_source, mappers=mappers,
                           describe=describe)
    mode.js_on_change("active", apply_mode)
    details = Toggle(label="Show details", active=False, name="overview_details", width=130)
    details.js_on_change("active", custom_js("overview/details", toggle=details, dims=dims, legend=legend_plot))
    controls = row(details, Div(text="Colour range shared per:", styles={"margin-top": "6px"}), mode)
    layout = column(controls, plot, menu, legend_plot, detail)
    layout.tags = [refill_callback(
        "overview", sources=sources, neurons=neurons, output=output, ranges=range_source, mode=mode,
        apply_mode=apply_mode, input_source=input_source, output_x=len(geo["columns"]) * geo["pitch"] + 6,
        bar=BAR, logit_mapper=logit_mapper, detail=detail, select=select,
    ), describe]
    return layout


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


def _detail_html(trace: Trace, layer: str, neuron: int) -> str:
    kind = trace.network.layer(layer).kind
    page, title = CHAPTER_OF_KIND[kind]
    return (f"<b>{layer}</b>, neuron {neuron}: a {KIND_LABEL[kind]} map. Hover over it to read its numbers. "
            f'How it is computed: <a href="{page}">{title}</a>.')
