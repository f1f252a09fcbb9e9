"""Comparing explanations: VAC-CNN's task selection, visual explanation view and supplemental view
(Xuan et al., 2022, Sects. 4.2-4.3 and 5.2, Fig. 1C-E).

The reader chooses a task (which models, which picture, which explanation method, which
similarity rule) and sees, for every chosen model, one row of a table: its accuracy overall
and on the picture's class, what it predicts for the picture and how sure it is, its map as
contours over the picture (four levels from the threshold, the top band filled) and the
picture with everything below the threshold removed. Beside the table:

* the similarity matrix of the chosen models' maps by the chosen rule, with hover values;
* a scatter of each chosen model's accuracy on the picture's class against its overall accuracy;
* the colour intensity histograms of what one model keeps (the model selected in the
  table or the scatter, else the first row); with a single model chosen, its histograms on
  every gallery picture of the picture's class (VAC-CNN's study of one model).

Moving the threshold redraws every row, the histograms and the legend at once, each row
from its own model's map. The table and the scatter draw one data source, so a model
selected in one is selected in the other, and its row and column of the matrix stay bright;
a click on a cell of the matrix selects its two models.

Where the numbers come from: the model cards (accuracies, through
:func:`explainer_core.compare.accuracy_overview`), the predictions the chapter computes with
the models, and one block per picture (:mod:`.payload`: the photo, every member's maps, the
engine's distances per method and rule). ``task.js`` draws everything in the browser, for
the first frame too: the bands of a map are the engine's levels (a pixel is in band k when
its value reaches level k, :func:`~explainer_core.compare.contour_levels`), the thresholded
picture is :func:`~explainer_core.compare.remove_below`'s, the histograms
:func:`~explainer_core.compare.salient_histograms`', and the similarity is the engine's
rescaling of the chosen members' distances. ``tests/test_views_compare_view.py`` and
``tests/test_browser_compare_view.py`` check each against the engine.

In the book the view carries the first picture's block and fetches another from
``_static/comparison/`` when the reader picks it (``folder``); outside the book it carries
every block it is given (``folder=None``).

Explained in "Comparing explanations" (book/15_comparing_explanations.md).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from bokeh.layouts import column, row
from bokeh.models import (
    BasicTicker,
    BoxSelectTool,
    Button,
    CDSView,
    CheckboxGroup,
    ColorBar,
    ColumnDataSource,
    CustomJSTickFormatter,
    DataTable,
    Div,
    FactorRange,
    HoverTool,
    HTMLTemplateFormatter,
    IndexFilter,
    InlineStyleSheet,
    LinearColorMapper,
    NumberFormatter,
    Range1d,
    Select,
    Slider,
    TableColumn,
    TapTool,
    TextInput,
)
from bokeh.palettes import RdBu11
from bokeh.plotting import figure

from ...compare import RULES, accuracy_overview
from ...compare._checks import check_threshold
from ...errors import ExplanationError
from ..kit import BUTTON_CSS, FAMILY, VIEW_WIDTH, as_image, checkbox_rows, describe_callback, live_status, panel_css
from .payload import FOLDER, Block

__all__ = ["METHOD_LABELS", "RULE_LABELS", "Comparison", "compare_view"]

METHOD_LABELS = {
    "gradcam": "Grad-CAM",
    "gradcam++": "Grad-CAM++",
    "smoothgrad-cam++": "Smooth Grad-CAM++",
    "scorecam": "Score-CAM",
    "bbmp": "BBMP",
}
#: A rule's name in a chart's title.
RULE_SHORT = {"l1": "L1", "mse": "MSE", "ssim": "SSIM", "hash": "average hash"}
RULE_LABELS = {
    "l1": "L1 (mean absolute difference)",
    "mse": "MSE (mean squared difference)",
    "ssim": "SSIM (structure)",
    "hash": "average hash (Hamming distance)",
}
#: The sort menu's entries: (column:direction, label); "" keeps the order of the zoo.
SORTS = (
    ("", "the zoo's order"),
    ("top1:desc", "accuracy, highest first"),
    ("class_acc:desc", "accuracy on its class, highest first"),
    ("confidence:desc", "how sure, most first"),
    ("kept:desc", "share kept, largest first"),
    ("name:asc", "model name, A to Z"),
)
#: The threshold slider's end: a threshold must stay below 1 (the engine's check_threshold).
THRESHOLD_END = 0.95
#: The size, in pixels, of the maps' pictures in the table (drawn at 128 x 128, twice the map's size).
CELL = 100
_TEXT = "#374151"
_PERCENT_TICKS = "return `${Math.round(tick * 100)} %`;"


@dataclass(frozen=True)
class Comparison:
    """What the view compares.

    ``cards``: one model card per member (their ``name`` is the member's name);
    ``methods``: the methods' names, in the blocks' order; ``photos``: one mapping per picture
    with its ``label`` (a class name of the cards) and optionally a ``name`` to show;
    ``predicted`` (pictures, members): each member's predicted class index for each picture,
    ``confidence`` (pictures, members): its softmax output for that class;
    ``blocks``: the blocks the view carries, by picture index; ``folder``: where, under the
    book's ``_static``, the other pictures' blocks are (None: the view has only ``blocks``).
    """

    cards: Sequence[Mapping]
    methods: Sequence[str]
    photos: Sequence[Mapping]
    predicted: np.ndarray
    confidence: np.ndarray
    blocks: Mapping[int, Block]
    folder: str | None = FOLDER
    names: list[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", [str(card.get("name")) for card in self.cards])


def _check(c: Comparison) -> tuple[list, list[str]]:
    """The accuracy rows and class names, or an ExplanationError saying what does not fit."""
    rows = accuracy_overview(c.cards)
    if len(set(c.names)) != len(c.names):
        raise ExplanationError(f"Two cards have the same model name: {sorted(c.names)}.")
    classes = list(c.cards[0]["class_names"])
    if any(list(card["class_names"]) != classes for card in c.cards):
        raise ExplanationError("Every model must know the same classes in the same order to be compared.")
    if not c.methods:
        raise ExplanationError("Name at least one explanation method.")
    if not c.photos:
        raise ExplanationError("The view needs at least one picture.")
    for photo in c.photos:
        if photo.get("label") not in classes:
            raise ExplanationError(
                f"A picture's label must be one of the classes {classes}, not {photo.get('label')!r}."
            )
    shape = (len(c.photos), len(c.names))
    for name in ("predicted", "confidence"):
        if np.shape(getattr(c, name)) != shape:
            raise ExplanationError(
                f"{name} must hold one value per picture and model, shape {shape}, not {np.shape(getattr(c, name))}."
            )
    predicted = np.asarray(c.predicted)
    if predicted.dtype.kind not in "iu" or predicted.min() < 0 or predicted.max() >= len(classes):
        raise ExplanationError(f"predicted must hold class indices from 0 to {len(classes) - 1}.")
    confidence = np.asarray(c.confidence, dtype=np.float64)
    if not np.isfinite(confidence).all() or confidence.min() < 0 or confidence.max() > 1:
        raise ExplanationError("confidence must hold probabilities in [0, 1].")
    if not c.blocks:
        raise ExplanationError("The view must carry at least one picture's block (its first picture).")
    for p, block in c.blocks.items():
        if not 0 <= p < len(c.photos):
            raise ExplanationError(f"A block for picture {p}, but there are {len(c.photos)} pictures.")
        if block.maps.shape[:2] != (len(c.names), len(c.methods)):
            raise ExplanationError(
                f"The block of picture {p} holds maps of {block.maps.shape[0]} models "
                f"by {block.maps.shape[1]} methods; "
                f"the view compares {len(c.names)} models by {len(c.methods)} methods."
            )
    sizes = {block.pixels.shape[0] for block in c.blocks.values()}
    if len(sizes) != 1:
        raise ExplanationError("Every picture's block must have the same size.")
    if c.folder is None and len(c.blocks) != len(c.photos):
        missing = [p for p in range(len(c.photos)) if p not in c.blocks]
        raise ExplanationError(
            f"Without a folder to fetch from, the view needs the blocks of every picture; missing: {missing}."
        )
    return rows, classes


def _photo_names(photos: Sequence[Mapping]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for photo in photos:
        seen[photo["label"]] = seen.get(photo["label"], 0) + 1
        names.append(str(photo.get("name") or f"{photo['label']}, photo {seen[photo['label']]}"))
    return names


def compare_view(
    comparison: Comparison,
    *,
    models: Sequence[str] | None = None,
    picture: int | None = None,
    method: str | None = None,
    rule: str = "l1",
    threshold: float = 0.0,
    key: str = "compare",
    width: int = VIEW_WIDTH,
):
    """VAC-CNN's comparison of explanations for ``comparison``, as a Bokeh layout.

    ``models`` are chosen first (default: the first four), ``picture`` the picture shown first
    (default: the first carried), ``method`` the method (default: the first), ``rule`` one of
    :data:`~explainer_core.compare.RULES`, ``threshold`` in [0, 1). Models are named ``<key>:...``:
    sources ``:rows``, ``:cells``, ``:hist``, ``:levels``, ``:task``, ``:comparison-store``;
    figures ``:heat``, ``:scatter``, ``:histogram``; the table ``:table``; controls ``:models``,
    ``:classes``, ``:picture``, ``:method``, ``:rule``, ``:threshold``, ``:run``, ``:reset``,
    ``:search``, ``:sort``; the status line ``:status``.
    """
    accuracy, classes = _check(comparison)
    c = comparison
    chosen = list(models) if models is not None else c.names[:4]
    unknown = [name for name in chosen if name not in c.names]
    if unknown or not chosen:
        raise ExplanationError(f"Choose models among {', '.join(c.names)}; not {unknown or 'none'}.")
    first = min(c.blocks) if picture is None else picture
    if first not in c.blocks:
        raise ExplanationError(f"The view starts on a picture it carries: one of {sorted(c.blocks)}, not {picture!r}.")
    method = c.methods[0] if method is None else method
    if method not in c.methods:
        raise ExplanationError(f"Unknown method {method!r}; the view has {', '.join(c.methods)}.")
    if rule not in RULES:
        raise ExplanationError(f"Unknown similarity rule {rule!r}; the rules are {', '.join(RULES)}.")
    th = check_threshold(threshold)
    size = next(iter(c.blocks.values())).pixels.shape[0]
    names = _photo_names(c.photos)
    label_of = [classes.index(photo["label"]) for photo in c.photos]
    M = len(c.names)

    store = ColumnDataSource(
        dict(
            index=sorted(c.blocks),
            **{col: [c.blocks[p].columns()[col] for p in sorted(c.blocks)] for col in ("pixels", "maps", "distances")},
        ),
        name=f"{key}:comparison-store",
    )
    families = list(dict.fromkeys(row.family for row in accuracy))
    rows = ColumnDataSource(
        dict(
            name=c.names,
            family=[r.family for r in accuracy],
            colour=[FAMILY[families.index(r.family) % len(FAMILY)] for r in accuracy],
            top1=[r.top1 for r in accuracy],
            top1_text=[f"{100 * r.top1:.1f} %" for r in accuracy],
            per_class=[[r.per_class[name] for name in classes] for r in accuracy],
            predicted_by_photo=[[int(v) for v in np.asarray(c.predicted)[:, m]] for m in range(M)],
            confidence_by_photo=[[float(v) for v in np.asarray(c.confidence)[:, m]] for m in range(M)],
            class_acc=[0.0] * M,
            class_acc_text=[""] * M,
            predicted=[""] * M,
            confidence=[0.0] * M,
            confidence_text=[""] * M,
            kept=[0.0] * M,
            kept_text=[""] * M,
            contour=[""] * M,
            kept_png=[""] * M,
            contour_alt=[""] * M,
            kept_alt=[""] * M,
            bands=[[0] * 5 for _ in range(M)],
        ),
        name=f"{key}:rows",
    )
    filter_ = IndexFilter([c.names.index(n) for n in chosen])
    cells = ColumnDataSource(
        dict(x=[], y=[], value=[], text=[], pair=[], mi=[], mj=[], alpha=[], value_text=[]), name=f"{key}:cells"
    )
    hist = ColumnDataSource(dict(xs=[], ys=[], colour=[], dash=[], label=[], photo=[]), name=f"{key}:hist")
    levels = ColumnDataSource(dict(k=[], level=[]), name=f"{key}:levels")
    task = ColumnDataSource(dict(picture=[], method=[], rule=[], models=[], threshold=[], drawn=[]), name=f"{key}:task")

    controls = _controls(c, classes, names, chosen, first, method, rule, th, key)
    table = _table(rows, filter_, key, width)
    heat = _heat(cells, key, width)
    # both axes from the tenth below the lowest accuracy on a class, so that close models spread out
    floor = min(0.5, math.floor(10 * min(min(r.per_class.values()) for r in accuracy)) / 10)
    scatter = _scatter(rows, filter_, key, width, floor)
    histogram = _histogram(hist, key, width)
    status = live_status(Div(text="", name=f"{key}:status", stylesheets=[panel_css()], sizing_mode="stretch_width"))
    legend = Div(text="", name=f"{key}:legend", stylesheets=[panel_css()], sizing_mode="stretch_width")
    meta = dict(
        key=key,
        members=c.names,
        methods=list(c.methods),
        rules=list(RULES),
        size=size,
        folder=c.folder,
        class_names=classes,
        photo_labels=label_of,
        photo_names=names,
        method_labels=[METHOD_LABELS.get(m, m) for m in c.methods],
        rule_labels=[RULE_LABELS[r] for r in RULES],
        rule_short=[RULE_SHORT[r] for r in RULES],
    )
    callback = describe_callback(
        "compare_view/task",
        store=store,
        rows=rows,
        filter=filter_,
        cells=cells,
        heat=heat,
        hist=hist,
        levels=levels,
        task=task,
        legend=legend,
        status=status,
        scatter=scatter,
        histogram=histogram,
        meta=meta,
        **controls,
    )
    controls["models"].js_on_change("active", callback)
    for name in ("classes", "picture", "method", "rule", "threshold", "search", "sort", "highlight"):
        controls[name].js_on_change("value", callback)
    controls["run"].js_on_event("button_click", callback)
    controls["reset"].js_on_event("button_click", callback)
    rows.selected.js_on_change("indices", callback)
    cells.selected.js_on_change("indices", callback)

    note = Div(
        text="<div class='xv-note'>Each row is one model. Click a column's title to sort by it; type in "
        "<i>Search</i> to keep the rows whose model, family or prediction holds the words. In the matrix, 1 is a "
        "pair of alike maps and \u22121 the most different pair of those chosen. Select rows (or drag a box over the "
        "scatter) to pick models: their row and column of the similarity matrix stay bright, and the "
        "histograms follow the first of them. A click on a cell of the matrix selects its two models.</div>",
        stylesheets=[panel_css()],
        sizing_mode="stretch_width",
    )
    form = column(
        Div(text="<div class='xv-note'><b>Models</b></div>", stylesheets=[panel_css()], sizing_mode="stretch_width"),
        controls["models"],
        row(controls["classes"], controls["picture"], sizing_mode="stretch_width"),
        row(controls["method"], controls["rule"], sizing_mode="stretch_width"),
        controls["threshold"],
        row(controls["run"], controls["reset"], sizing_mode="stretch_width"),
        sizing_mode="stretch_width",
    )
    layout = column(
        form,
        status,
        legend,
        row(controls["search"], controls["sort"], controls["highlight"], sizing_mode="stretch_width"),
        table,
        note,
        heat,
        scatter,
        histogram,
        name=f"{key}:layout",
        sizing_mode="stretch_width",
        max_width=width,
    )
    layout.tags = [callback]
    return layout


def _controls(c: Comparison, classes, names, chosen, first, method, rule, th, key) -> dict:
    stretch = dict(sizing_mode="stretch_width")
    return dict(
        # checkboxes, not a MultiChoice: its choices.js list has no accessible name and puts
        # aria-selected on plain divs (axe: critical); a checkbox is named by its label
        models=CheckboxGroup(
            labels=list(c.names),
            active=[list(c.names).index(name) for name in chosen],
            inline=True,
            stylesheets=[checkbox_rows()],
            name=f"{key}:models",
            **stretch,
        ),
        classes=Select(
            title="Class of the pictures",
            options=[("", "all classes"), *[(n, n) for n in classes]],
            value="",
            name=f"{key}:classes",
            **stretch,
        ),
        picture=Select(
            title="Picture",
            options=[("", "(none)"), *[(str(p), n) for p, n in enumerate(names)]],
            value=str(first),
            name=f"{key}:picture",
            **stretch,
        ),
        method=Select(
            title="Explanation method",
            options=[("", "(none)"), *[(m, METHOD_LABELS.get(m, m)) for m in c.methods]],
            value=method,
            name=f"{key}:method",
            **stretch,
        ),
        rule=Select(
            title="Similarity rule",
            options=[("", "(none)"), *[(r, RULE_LABELS[r]) for r in RULES]],
            value=rule,
            name=f"{key}:rule",
            **stretch,
        ),
        threshold=Slider(
            title="Threshold", start=0.0, end=THRESHOLD_END, step=0.05, value=th, name=f"{key}:threshold", **stretch
        ),
        run=Button(
            label="Run",
            button_type="primary",
            name=f"{key}:run",
            stylesheets=[InlineStyleSheet(css=BUTTON_CSS)],
            **stretch,
        ),
        reset=Button(label="Reset", name=f"{key}:reset", **stretch),
        search=TextInput(
            title="Search the table", placeholder="model, family or predicted class", name=f"{key}:search", **stretch
        ),
        # the keyboard's way to sort (the table's column titles take clicks only)
        sort=Select(title="Sort the table by", options=list(SORTS), value="", name=f"{key}:sort", **stretch),
        # the keyboard's way to select a row (the table's rows take clicks only)
        highlight=Select(
            title="Highlight a model",
            options=[("", "(none)"), *[(str(m), name) for m, name in enumerate(c.names)]],
            value="",
            name=f"{key}:highlight",
            **stretch,
        ),
    )


def _image_column(field_: str, alt: str, title: str) -> TableColumn:
    template = (
        f'<img src="<%= {field_} %>" alt="<%= {alt} %>" width="{CELL}" height="{CELL}" '
        'style="display:block;margin:2px auto">'
    )
    return TableColumn(
        field=field_, title=title, width=CELL + 8, sortable=False, formatter=HTMLTemplateFormatter(template=template)
    )


def _table(rows, filter_, key, width) -> DataTable:
    percent = NumberFormatter(format="0.0 %")
    columns = [
        TableColumn(field="name", title="model", width=100),
        _image_column("contour", "contour_alt", "map, contours"),
        _image_column("kept_png", "kept_alt", "above threshold"),
        TableColumn(field="family", title="family", width=70),
        TableColumn(field="top1", title="accuracy", formatter=percent, width=56),
        TableColumn(field="class_acc", title="its class", formatter=percent, width=56),
        TableColumn(field="predicted", title="predicts", width=64),
        TableColumn(field="confidence", title="sure", formatter=percent, width=48),
        TableColumn(field="kept", title="kept", formatter=percent, width=48),
    ]
    return DataTable(
        source=rows,
        view=CDSView(filter=filter_),
        columns=columns,
        row_height=CELL + 6,
        height=3 * (CELL + 6) + 30,
        index_position=None,
        sortable=True,
        selectable=True,
        autosize_mode="none",
        sizing_mode="stretch_width",
        max_width=width,
        name=f"{key}:table",
    )


def _figure(name: str, height: int, width: int, **kwargs) -> figure:
    plot = figure(
        name=name,
        height=height,
        max_width=width,
        sizing_mode="stretch_width",
        toolbar_location=None,
        tools="",
        outline_line_color=None,
        **kwargs,
    )
    plot.title.text_font_size = "13px"
    plot.title.text_color = _TEXT
    plot.axis.axis_label_text_font_style = "normal"
    plot.axis.major_label_text_color = _TEXT
    return plot


def _heat(cells, key, width) -> figure:
    plot = _figure(
        f"{key}:heat", 420, width, x_range=FactorRange(), y_range=FactorRange(), title="Similarity of the maps"
    )
    # the middle seven of RdBu11: dark enough to tell apart, light enough for dark words on every cell
    mapper = LinearColorMapper(palette=RdBu11[2:-2], low=-1, high=1)
    rect = plot.rect(
        "x",
        "y",
        1,
        1,
        source=cells,
        fill_color={"field": "value", "transform": mapper},
        fill_alpha="alpha",
        line_color="white",
        nonselection_fill_alpha="alpha",
        selection_fill_alpha="alpha",
        selection_line_color="#111827",
    )
    plot.text(
        "x",
        "y",
        text="text",
        source=cells,
        text_align="center",
        text_baseline="middle",
        text_font_size="10px",
        text_color="#111827",
    )
    plot.xaxis.major_label_orientation = 0.9
    plot.axis.major_label_text_font_size = "10px"
    plot.grid.grid_line_color = None
    plot.add_layout(
        ColorBar(
            color_mapper=mapper, ticker=BasicTicker(desired_num_ticks=5), width=10, major_label_text_font_size="10px"
        ),
        "right",
    )
    plot.add_tools(
        HoverTool(renderers=[rect], tooltips=[("maps of", "@pair"), ("similarity", "@value_text")]),
        TapTool(renderers=[rect]),
    )
    return as_image(plot, "Similarity matrix of the chosen models' maps")


def _scatter(rows, filter_, key, width, floor: float) -> figure:
    plot = _figure(
        f"{key}:scatter",
        320,
        width,
        title="Accuracy on the picture's class and on all",
        x_axis_label="accuracy on all classes",
        y_axis_label="accuracy on the picture's class",
        x_range=Range1d(floor, 1.02),
        y_range=Range1d(floor, 1.05),
    )
    plot.line([floor, 1], [floor, 1], line_color="#9ca3af", line_dash="dashed")  # as good on the class as on average
    points = plot.scatter(
        "top1",
        "class_acc",
        source=rows,
        view=CDSView(filter=filter_),
        size=12,
        fill_color="colour",
        line_color="#111827",
        nonselection_fill_alpha=0.2,
        nonselection_line_alpha=0.3,
    )
    plot.text(
        "top1",
        "class_acc",
        text="name",
        source=rows,
        view=CDSView(filter=filter_),
        x_offset=-9,
        y_offset=-2,
        text_align="right",
        text_baseline="middle",
        text_font_size="10px",
        text_color=_TEXT,
    )
    plot.xaxis.formatter = CustomJSTickFormatter(code=_PERCENT_TICKS)
    plot.yaxis.formatter = CustomJSTickFormatter(code=_PERCENT_TICKS)
    box = BoxSelectTool(renderers=[points])
    plot.add_tools(
        HoverTool(
            renderers=[points],
            tooltips=[
                ("model", "@name"),
                ("family", "@family"),
                ("all classes", "@top1_text"),
                ("this class", "@class_acc_text"),
            ],
        ),
        box,
        TapTool(renderers=[points]),
    )
    plot.toolbar.active_drag = box
    return as_image(plot, "Accuracy of the chosen models on the picture's class and on all classes")


def _histogram(hist, key, width) -> figure:
    plot = _figure(
        f"{key}:histogram",
        320,
        width,
        title="Colour intensities kept",
        x_axis_label="intensity",
        y_axis_label="pixels",
        x_range=Range1d(0, 255),
    )
    plot.multi_line(
        "xs", "ys", source=hist, line_color="colour", line_dash="dash", line_width=1.5, legend_field="label"
    )
    # below the chart, two to a row (a phone's width): over the curves it would hide the very counts it names
    legend = plot.legend[0]
    plot.center.remove(legend)
    legend.update(
        orientation="horizontal", ncols=2, label_text_font_size="11px", padding=2, spacing=4, border_line_color=None
    )
    plot.add_layout(legend, "below")
    return as_image(plot, "Colour intensity histograms of the kept pixels")
