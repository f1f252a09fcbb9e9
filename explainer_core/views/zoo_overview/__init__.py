"""The zoo at a glance: VAC-CNN's overall information view (Xuan et al., 2022, Sect. 5.1, Fig. 1A and 1E).

VAC-CNN opens with linked charts of its thirteen models and two bar charts of
classes beside them. This view draws the same for any set of model cards:

* a scatter of cost against accuracy (multiply-adds per picture on a log axis),
  one point per model, coloured and shaped by family;
* a radar of accuracy per group of classes (:data:`~explainer_core.compare.GROUPS`),
  one line per model, whose legend hides and shows lines;
* two bar charts that follow the pinned model and the pinned group: the model's
  accuracy per class, and every model's accuracy on the group's pictures, best first;
* the supplemental bars: every class by the range of the models' accuracies on
  it (where they disagree most) and by their mean (where they agree), with the
  pinned model marked on both.

A click on a point, a radar line or a bar pins a model or a group, and so do the
two menus (the keyboard's way in). The scatter and the radar draw one data source,
so models selected in one (drag a box over the scatter) are selected in the other.

Every number comes from :func:`explainer_core.compare.accuracy_overview` and
:func:`~explainer_core.compare.disagreement`, ranked and written as text here
(:func:`overview_columns`), for every model and group at once. In the browser,
``pin.js`` turns a click or a choice into the pinned state (one source), and
``show.js`` copies the pinned model's and group's rows into the charts: it ranks
and computes nothing. :func:`shown_columns` is what ``show.js`` writes, for the
first frame and for the tests; ``describe.js`` writes the text alternatives, and
``lines.js`` keeps the radar's legend and the checkboxes under it (the keyboard's way
to hide a line) in step.

Explained in "The zoo at a glance" (book/12_the_zoo_at_a_glance.md).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from bokeh.layouts import column
from bokeh.models import (
    BoxSelectTool,
    CDSView,
    CheckboxGroup,
    ColumnDataSource,
    CustomJSTickFormatter,
    DataRange1d,
    Div,
    FactorRange,
    HoverTool,
    IndexFilter,
    Legend,
    LegendItem,
    LogTicker,
    Range1d,
    Select,
    TapTool,
)
from bokeh.plotting import figure

from ...compare import GROUPS, ModelAccuracy, accuracy_overview, disagreement
from ...errors import ExplanationError
from ..kit import FAMILY, VIEW_WIDTH, as_image, checkbox_rows, custom_js, describe_callback, live_status, panel_css

__all__ = ["MARKERS", "overview_columns", "radar_floor", "shown_columns", "zoo_overview"]

#: A marker shape per family, in the order of :data:`~explainer_core.views.kit.palettes.FAMILY`,
#: so that a family never rests on its colour alone.
MARKERS = ("circle", "square", "triangle", "diamond", "inverted_triangle", "hex", "star", "square_pin")
#: Members of one family share its colour; their radar lines differ by dash, in this order.
DASHES = ("solid", "dashed", "dotted", "dotdash", "dashdot", [10, 3, 2, 3, 2, 3], [2, 2])
#: Fill opacity of a class bar outside the pinned group.
FADED = 0.35
_TEXT = "#374151"
_GRID = "#d1d5db"
_NEUTRAL = "#94a3b8"
_PINNED = "#111827"
_PERCENT_TICKS = "return `${Math.round(tick * 100)} %`;"
_MILLION_TICKS = "return `${tick / 1e6} M`;"


# -- the numbers ------------------------------------------------------------------------------
def percent(value: float) -> str:
    """An accuracy as the view writes it: "85.6 %"."""
    return f"{100 * value:.1f} %"


def millions(count: int) -> str:
    """A number of multiply-adds: "21.9 million"."""
    return f"{count / 1e6:.1f} million"


def radar_floor(rows: Sequence[ModelAccuracy]) -> float:
    """The accuracy at the radar's centre: 50 %, or the tenth below the lowest group accuracy if lower.

    A radar from 0 % would squeeze models that differ by a few points into one rim; the
    chapter says where the centre is.
    """
    low = min(value for row in rows for value in row.per_group.values())
    return min(0.5, math.floor(10 * low) / 10)


def _radar_point(value: float, k: int, floor: float) -> tuple[float, float]:
    """Where accuracy ``value`` of group ``k`` lies: on spoke ``k`` (clockwise from the top)."""
    radius = (value - floor) / (1 - floor)
    angle = 2 * math.pi * k / len(GROUPS)
    return radius * math.sin(angle), radius * math.cos(angle)


def _ranked(pairs: Sequence[tuple[str, float]]) -> list[tuple[str, float]]:
    """Highest first; ties by name, as :func:`~explainer_core.compare.disagreement` breaks them."""
    return sorted(pairs, key=lambda pair: (-pair[1], pair[0]))


def _group_of(class_name: str) -> str:
    return next(group for group, members in GROUPS.items() if class_name in members)


def _styles(rows: Sequence[ModelAccuracy]) -> list[tuple[str, str, object]]:
    """(colour, marker, dash) of each model: colour and marker by family, dash by member of the family."""
    families = list(dict.fromkeys(row.family for row in rows))
    if len(families) > len(FAMILY):
        raise ExplanationError(
            f"The overview tells at most {len(FAMILY)} families apart by colour and shape; the cards have "
            f"{len(families)}: {', '.join(families)}."
        )
    seen: dict[str, int] = {}
    styles = []
    for row in rows:
        f = families.index(row.family)
        member = seen[row.family] = seen.get(row.family, -1) + 1
        styles.append((FAMILY[f], MARKERS[f], DASHES[member % len(DASHES)]))
    return styles


def _model_columns(rows: Sequence[ModelAccuracy], spread, floor: float) -> dict[str, list]:
    """One row per model: its numbers, texts, radar line, its classes ranked, its marks on the class bars."""
    groups = list(GROUPS)
    cols: dict[str, list] = {name: [] for name in (
        "name", "family", "colour", "marker", "top1", "macs", "params", "top1_text", "macs_text", "params_text",
        "groups_text", "class_title", "radar_x", "radar_y", "class_order", "class_values", "class_texts",
        "class_groups",
        "class_group_index", "disagree_marks", "agree_marks",
    )}
    for row, (colour, marker, _) in zip(rows, _styles(rows), strict=True):
        points = [_radar_point(row.per_group[g], k, floor) for k, g in enumerate(groups)]
        ranked = _ranked(list(row.per_class.items()))
        values = dict(
            name=row.name, family=row.family, colour=colour, marker=marker, top1=row.top1,
            macs=row.multiply_adds, params=row.parameters, top1_text=percent(row.top1),
            macs_text=millions(row.multiply_adds), params_text=f"{row.parameters:,}",
            groups_text=", ".join(f"{g} {percent(row.per_group[g])}" for g in groups),
            class_title=f"Per class: {row.name}",
            radar_x=[x for x, _ in points] + [points[0][0]], radar_y=[y for _, y in points] + [points[0][1]],
            class_order=[c for c, _ in ranked], class_values=[v for _, v in ranked],
            class_texts=[percent(v) for _, v in ranked], class_groups=[_group_of(c) for c, _ in ranked],
            class_group_index=[groups.index(_group_of(c)) for c, _ in ranked],
            disagree_marks=[row.per_class[s.class_name] for s in spread.disagree],
            agree_marks=[row.per_class[s.class_name] for s in spread.agree],
        )
        for name, value in values.items():
            cols[name].append(value)
    return cols


def _group_columns(rows: Sequence[ModelAccuracy], floor: float) -> dict[str, list]:
    """One row per group: its spoke, and every model's accuracy on its pictures, best first."""
    cols: dict[str, list] = {name: [] for name in (
        "name", "classes", "title", "x", "y", "label", "label_x", "label_y", "align", "baseline", "model_order",
        "model_index", "model_values", "model_texts", "model_colours", "status",
    )}
    colours = [colour for colour, _, _ in _styles(rows)]
    names = [row.name for row in rows]
    for k, (group, members) in enumerate(GROUPS.items()):
        x, y = _radar_point(1.0, k, floor)
        ranked = _ranked([(row.name, row.per_group[group]) for row in rows])
        order = [names.index(name) for name, _ in ranked]
        values = dict(
            name=group, classes=", ".join(members), x=x,
            title=f"On {group}: every model", y=y, label=_wrap(group),
            label_x=x, label_y=y + (0.1 if y > -0.1 else -0.1), align="center",
            baseline="bottom" if y > -0.1 else "top",
            model_order=[name for name, _ in ranked], model_index=order, model_values=[v for _, v in ranked],
            model_texts=[percent(v) for _, v in ranked], model_colours=[colours[i] for i in order],
            status=[_status(rows[m], group, members, order.index(m), len(rows)) for m in range(len(rows))],
        )
        for name, value in values.items():
            cols[name].append(value)
    return cols


def _wrap(label: str, width: int = 10) -> str:
    """A group's name on lines of about ``width`` characters, so the radar's labels fit a phone."""
    lines: list[str] = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines)


def _status(row: ModelAccuracy, group: str, members: Sequence[str], place: int, count: int) -> str:
    """What the status line says when ``row`` and ``group`` are pinned."""
    return (
        f"Pinned: {row.name} ({row.family}), {percent(row.top1)} of all validation pictures right, "
        f"{millions(row.multiply_adds)} multiply-adds per picture. Group: {group} ({', '.join(members)}), "
        f"where it gets {percent(row.per_group[group])} right, {_ordinal(place + 1)} of {count} models."
    )


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _class_columns(spreads) -> dict[str, list]:
    """One row per class in the order given: the models' lowest and highest accuracy, their mean, texts."""
    groups = list(GROUPS)
    return dict(
        class_name=[s.class_name for s in spreads],
        group_index=[groups.index(_group_of(s.class_name)) for s in spreads],
        low=[s.lowest[1] for s in spreads],
        high=[s.highest[1] for s in spreads],
        spread=[s.spread for s in spreads],
        mean=[s.mean for s in spreads],
        spread_text=[f"{100 * s.spread:.1f} points" for s in spreads],
        mean_text=[percent(s.mean) for s in spreads],
        lowest=[f"{s.lowest[0]} {percent(s.lowest[1])}" for s in spreads],
        highest=[f"{s.highest[0]} {percent(s.highest[1])}" for s in spreads],
        mark=[0.0] * len(spreads),
        mark_colour=[FAMILY[0]] * len(spreads),
    )


def _marked(classes: Mapping, marks: Sequence[float], colour: str) -> dict[str, list]:
    """The class bars with the pinned model's accuracy on each class as the marks."""
    return dict(classes, mark=list(marks), mark_colour=[colour] * len(marks))


def overview_columns(cards: Sequence[Mapping], pinned: str | None = None, group: str | None = None) -> dict:
    """Every source of the view, from model ``cards`` (as read from ``.card.json`` files).

    ``pinned`` (a model's name, default the first card's) and ``group`` (default the first of
    :data:`~explainer_core.compare.GROUPS`) start pinned. Returns the sources' columns by name,
    ``floor`` (the accuracy at the radar's centre) and ``dashes`` (each model's radar line).
    """
    rows = accuracy_overview(cards)
    names = [row.name for row in rows]
    if len(set(names)) != len(names):
        raise ExplanationError(f"Two cards have the same model name: {sorted(names)}.")
    m = names.index(pinned) if pinned in names else 0
    if pinned is not None and pinned not in names:
        raise ExplanationError(f"No card of a model called {pinned!r}; the cards are of {', '.join(names)}.")
    if group is not None and group not in GROUPS:
        raise ExplanationError(f"No group of classes called {group!r}; the groups are {', '.join(GROUPS)}.")
    spread = disagreement(rows)
    floor = radar_floor(rows)
    columns = dict(
        models=_model_columns(rows, spread, floor),
        groups=_group_columns(rows, floor),
        pin=dict(model=[m], group=[list(GROUPS).index(group) if group else 0]),
        disagree=_class_columns(spread.disagree),
        agree=_class_columns(spread.agree),
        floor=floor,
        dashes=[dash for _, _, dash in _styles(rows)],
    )
    return columns | shown_columns(columns, m, columns["pin"]["group"][0])


def shown_columns(columns: Mapping, m: int, g: int) -> dict[str, dict[str, list]]:
    """What the charts show with model ``m`` and group ``g`` pinned: ``show.js`` writes exactly this."""
    models, groups = columns["models"], columns["groups"]
    group = groups["name"][g]
    marks = dict(
        x=[models["macs"][m]], y=[models["top1"][m]], name=[models["name"][m]], colour=[models["colour"][m]],
        radar_x=[models["radar_x"][m]], radar_y=[models["radar_y"][m]],
        spoke_x=[[0.0, groups["x"][g]]], spoke_y=[[0.0, groups["y"][g]]],
    )
    class_bars = dict(
        class_name=list(models["class_order"][m]), value=list(models["class_values"][m]),
        text=list(models["class_texts"][m]), group=list(models["class_groups"][m]),
        group_index=list(models["class_group_index"][m]),
        colour=[models["colour"][m]] * len(models["class_order"][m]),
        alpha=[1.0 if name == group else FADED for name in models["class_groups"][m]],
    )
    group_bars = dict(
        model=list(groups["model_order"][g]), model_index=list(groups["model_index"][g]),
        value=list(groups["model_values"][g]), text=list(groups["model_texts"][g]),
        colour=list(groups["model_colours"][g]),
        outline=[1.0 if i == m else 0.0 for i in groups["model_index"][g]],
    )
    return dict(
        marks=marks,
        class_bars=class_bars,
        group_bars=group_bars,
        disagree=_marked(columns["disagree"], models["disagree_marks"][m], models["colour"][m]),
        agree=_marked(columns["agree"], models["agree_marks"][m], models["colour"][m]),
        status=groups["status"][g][m],
        class_title=models["class_title"][m],
        group_title=groups["title"][g],
    )


# -- the view ---------------------------------------------------------------------------------
def zoo_overview(
    cards: Sequence[Mapping],
    *,
    pinned: str | None = None,
    group: str | None = None,
    key: str = "zoo",
    width: int = VIEW_WIDTH,
):
    """VAC-CNN's overall information view of the models of ``cards``, as a Bokeh layout.

    ``pinned`` names the model pinned first (default: the first card's), ``group`` the group
    (default: the first). Models are named ``<key>:...``: the figures ``:scatter``, ``:radar``,
    ``:classes``, ``:group``, ``:disagree`` and ``:agree``; the sources ``:models``, ``:groups``,
    ``:pin`` (the pinned state), ``:marks``, ``:class_bars``, ``:group_bars``, ``:disagree_bars``
    and ``:agree_bars``; the radar's lines ``:line``; the menus ``:model_menu`` and
    ``:group_menu``; the status line ``:status``; the checkboxes of the lines shown, ``:lines``.
    """
    data = overview_columns(cards, pinned, group)
    src = {
        name: ColumnDataSource(data[column], name=f"{key}:{name}")
        for name, column in (
            ("models", "models"), ("groups", "groups"), ("pin", "pin"), ("marks", "marks"),
            ("class_bars", "class_bars"), ("group_bars", "group_bars"), ("disagree_bars", "disagree"),
            ("agree_bars", "agree"),
        )
    }
    radar, lines = _radar(src, key, width, data["floor"], data["dashes"])
    plots = dict(
        scatter=_scatter(src, key, width),
        radar=radar,
        classes=_class_chart(src, key, width, data["class_title"]),
        group=_group_chart(src, key, width, data["group_title"]),
        disagree=_spread_chart(src, key, width, "disagree"),
        agree=_spread_chart(src, key, width, "agree"),
    )
    menus = _menus(data, key)
    status = live_status(
        Div(text=data["status"], name=f"{key}:status", stylesheets=[panel_css()], sizing_mode="stretch_width")
    )
    describe = describe_callback(
        "zoo_overview", **plots, models=src["models"], groups=src["groups"], pin=src["pin"],
        disagree_bars=src["disagree_bars"], agree_bars=src["agree_bars"], lines=lines, floor=data["floor"],
    )
    boxes = _line_boxes(data["models"]["name"], lines, key)
    _wire(src, plots, menus, status, describe, lines)
    note = Div(
        text="<div class='xv-note'>Click a point, a radar line or a model's bar to pin that model; click a class's "
        "bar or a group's square on the radar to pin the group. The two menus do the same from the keyboard. "
        "Drag a box over the scatter to select models: the radar shows their lines; a click on an empty spot "
        "clears the selection. A click on a name in the radar's legend, or its checkbox under the radar, hides or "
        "shows its line.</div>",
        stylesheets=[panel_css()],
        sizing_mode="stretch_width",
    )
    charts = list(plots.values())
    layout = column(*menus, status, *charts[:2], boxes, *charts[2:], note, name=f"{key}:layout",
                    sizing_mode="stretch_width", max_width=width)
    layout.tags = [describe]
    return layout


def _figure(name: str, height: int, width: int, **kwargs) -> figure:
    """A figure that fills the column up to ``width`` pixels (a phone's too), with the views' quiet look."""
    plot = figure(name=name, height=height, max_width=width, sizing_mode="stretch_width", toolbar_location=None,
                  tools="", outline_line_color=None, **kwargs)
    plot.title.text_font_size = "13px"
    plot.title.text_color = _TEXT
    plot.axis.axis_label_text_font_style = "normal"
    plot.axis.major_label_text_color = _TEXT
    return plot


def _tap(name: str, renderers: list, behavior: str = "select") -> TapTool:
    """A tap tool whose callback (pin.js) is set when the view is wired."""
    return TapTool(renderers=renderers, behavior=behavior, name=name)


def _scatter(src: dict, key: str, width: int) -> figure:
    """Multiply-adds (log) against accuracy, one point per model; the pinned one ringed and named."""
    families = list(dict.fromkeys(src["models"].data["family"]))
    rows = math.ceil(len(families) / 2)  # of the legend, below the scatter: two columns fit a phone
    plot = _figure(f"{key}:scatter", 322 + 19 * rows, width, x_axis_type="log", title="Cost and accuracy",
                   x_axis_label="multiply-adds per picture (log scale)", y_axis_label="accuracy")
    plot.x_range = DataRange1d(range_padding=0.3)
    plot.y_range = DataRange1d(range_padding=0.35)
    plot.xaxis.ticker = LogTicker(mantissas=[1, 2, 5])
    plot.xaxis.formatter = CustomJSTickFormatter(code=_MILLION_TICKS)
    plot.yaxis.formatter = CustomJSTickFormatter(code=_PERCENT_TICKS)
    models = src["models"]
    # one renderer per family, all on the models' source: the legend draws each family's marker
    # (a legend item of one row of a single renderer loses its marker while a selection is shown)
    points = [
        plot.scatter("macs", "top1", source=models, view=CDSView(filter=IndexFilter(
                         [i for i, f in enumerate(models.data["family"]) if f == family])),
                     marker="marker", size=13, fill_color="colour", line_color=_PINNED, line_width=1,
                     nonselection_fill_alpha=0.15, nonselection_line_alpha=0.25, name=f"{key}:points")
        for family in families
    ]
    plot.scatter("x", "y", source=src["marks"], marker="circle", size=28, fill_color=None, line_color=_PINNED,
                 line_width=2.5)
    plot.text("x", "y", text="name", source=src["marks"], x_offset=16, y_offset=-9, text_font_size="12px",
              text_color=_PINNED, text_font_style="bold")
    items = [LegendItem(label=f, renderers=[r]) for f, r in zip(families, points, strict=True)]
    plot.add_layout(Legend(items=items, ncols=2, border_line_color=None, label_text_font_size="12px",
                           title="family", title_text_font_size="12px", padding=4, spacing=2,
                           location="top_left"), "below")
    box = BoxSelectTool(renderers=points, name=f"{key}:box")
    plot.add_tools(
        HoverTool(renderers=points, tooltips=[("model", "@name"), ("family", "@family"),
                                                ("accuracy", "@top1_text"), ("multiply-adds", "@macs_text"),
                                                ("parameters", "@params_text")]),
        box,
        _tap(f"{key}:tap_points", points),
    )
    plot.toolbar.active_drag = box
    return as_image(plot, "Cost and accuracy of the models")


def _radar(src: dict, key: str, width: int, floor: float, dashes: list) -> tuple[figure, list]:
    """Accuracy per group of classes: rings, spokes, one line per model (in the models' order), and a legend
    that hides lines."""
    rows = math.ceil(len(dashes) / 2)  # of the legend, below the radar
    plot = _figure(f"{key}:radar", 400 + 19 * rows, width, title="Accuracy per group of classes",
                   match_aspect=True, x_range=DataRange1d(range_padding=0), y_range=DataRange1d(range_padding=0))
    plot.axis.visible = False
    plot.grid.visible = False
    plot.scatter([-1.45, 1.45], [-1.3, 1.3], alpha=0)  # room for the groups' names
    _rings(plot, floor)
    groups, models, marks = src["groups"], src["models"], src["marks"]
    plot.segment(0, 0, "x", "y", source=groups, line_color=_GRID, line_width=1)
    plot.multi_line("spoke_x", "spoke_y", source=marks, line_color=_PINNED, line_width=2.5)
    plot.multi_line("radar_x", "radar_y", source=marks, line_color="colour", line_width=10, line_alpha=0.3)
    lines = [
        plot.multi_line("radar_x", "radar_y", source=models, view=CDSView(filter=IndexFilter([i])),
                        line_color="colour", line_width=2, line_dash=dash, nonselection_line_alpha=0.12,
                        selection_line_width=3, name=f"{key}:line")
        for i, dash in enumerate(dashes)
    ]
    spokes = plot.scatter("x", "y", source=groups, marker="square", size=13, fill_color="white", line_color=_PINNED,
                          line_width=1.5, nonselection_fill_alpha=1, nonselection_line_alpha=1,
                          name=f"{key}:spokes")
    plot.text("label_x", "label_y", text="label", source=groups, text_align="align", text_baseline="baseline",
              text_font_size="12px", text_color=_TEXT)
    _ring_labels(plot, floor)
    legend = Legend(items=[LegendItem(label=n, renderers=[r]) for n, r in zip(models.data["name"], lines, strict=True)],
                    click_policy="hide", ncols=2, border_line_color=None, label_text_font_size="11px",
                    title="model (click to hide or show its line)", title_text_font_size="12px", glyph_width=20,
                    label_standoff=3, padding=4, spacing=2, location="top_left", name=f"{key}:legend")
    plot.add_layout(legend, "below")
    plot.add_tools(
        HoverTool(renderers=lines, tooltips=[("model", "@name"), ("per group", "@groups_text")]),
        _tap(f"{key}:tap_radar", [*lines, spokes]),
    )
    return as_image(plot, "Accuracy per group of classes"), lines


def _rings(plot: figure, floor: float) -> None:
    """A ring every tenth of accuracy from the centre (``floor``) to 100 %."""
    k = len(GROUPS)
    for tenth in range(round(10 * floor), 11):
        r = (tenth / 10 - floor) / (1 - floor)
        xs = [r * math.sin(2 * math.pi * i / k) for i in range(k + 1)]
        ys = [r * math.cos(2 * math.pi * i / k) for i in range(k + 1)]
        plot.line(xs, ys, line_color=_GRID, line_width=1)


def _ring_labels(plot: figure, floor: float) -> None:
    """Each ring's accuracy beside the top spoke, on a white patch so the lines under it do not hide it."""
    tenths = list(range(round(10 * floor), 11))
    plot.text([0.0] * len(tenths), [(t / 10 - floor) / (1 - floor) for t in tenths],
              text=[f"{10 * t} %" for t in tenths], x_offset=10, text_font_size="10px", text_color="#4b5563",
              text_baseline="middle", background_fill_color="white", background_fill_alpha=0.85)


def _bar_chart(name: str, factors: list[str], title: str, width: int) -> figure:
    """Horizontal bars, one per factor, top first, on an axis of accuracy with room for the texts."""
    plot = _figure(name, 50 + 24 * len(factors), width, title=title, y_range=FactorRange(*reversed(factors)),
                   x_range=Range1d(0, 1.4))
    plot.ygrid.visible = False
    plot.xgrid.grid_line_color = "#eef0f3"
    plot.xaxis.ticker = [0, 0.25, 0.5, 0.75, 1]
    plot.xaxis.formatter = CustomJSTickFormatter(code=_PERCENT_TICKS)
    plot.yaxis.major_label_text_font_size = "12px"
    return plot


def _bar_text(plot: figure, source: ColumnDataSource, x, y: str, text: str, offset: int = 5) -> None:
    """Each bar's number, just after the bar (or at ``x``, a column of numbers past 100 %)."""
    plot.text(x, y, text=text, source=source, x_offset=offset, text_baseline="middle", text_font_size="11px",
              text_color=_TEXT)


def _class_chart(src: dict, key: str, width: int, title: str) -> figure:
    """The pinned model's accuracy per class, best first; the pinned group's classes in full colour."""
    bars = src["class_bars"]
    plot = _bar_chart(f"{key}:classes", list(bars.data["class_name"]), title, width)
    hbars = plot.hbar(y="class_name", right="value", height=0.7, source=bars, fill_color="colour",
                      fill_alpha="alpha", line_color="colour")
    _bar_text(plot, bars, "value", "class_name", "text")
    plot.add_tools(_tap(f"{key}:tap_classes", [hbars], "inspect"))
    return as_image(plot, title)


def _group_chart(src: dict, key: str, width: int, title: str) -> figure:
    """Every model's accuracy on the pinned group's pictures, best first; the pinned model outlined."""
    bars = src["group_bars"]
    plot = _bar_chart(f"{key}:group", list(bars.data["model"]), title, width)
    hbars = plot.hbar(y="model", right="value", height=0.7, source=bars, fill_color="colour", line_color=_PINNED,
                      line_width=2.5, line_alpha="outline")
    _bar_text(plot, bars, "value", "model", "text")
    plot.add_tools(_tap(f"{key}:tap_group", [hbars], "inspect"))
    return as_image(plot, title)


def _spread_chart(src: dict, key: str, width: int, kind: str) -> figure:
    """Every class by the range of the models' accuracy (``kind`` "disagree") or by its mean ("agree")."""
    bars = src[f"{kind}_bars"]
    if kind == "disagree":
        title = "Disagree: range of class accuracy"
        left, right, text = "low", "high", "spread_text"
    else:
        title = "Agree: mean class accuracy"
        left, right, text = 0, "mean", "mean_text"
    plot = _bar_chart(f"{key}:{kind}", list(bars.data["class_name"]), title, width)
    hbars = plot.hbar(y="class_name", left=left, right=right, height=0.6, source=bars, fill_color=_NEUTRAL,
                      line_color=None)
    _bar_text(plot, bars, 1.0, "class_name", text, offset=12)
    plot.scatter("mark", "class_name", source=bars, marker="circle", size=10, fill_color="mark_colour",
                 line_color=_PINNED, line_width=1.5, line_alpha=1, name=f"{key}:{kind}_mark")
    plot.add_tools(
        HoverTool(renderers=[hbars], tooltips=[("class", "@class_name"), ("lowest", "@lowest"),
                                               ("highest", "@highest"), ("mean", "@mean_text")]),
        _tap(f"{key}:tap_{kind}", [hbars], "inspect"),
    )
    return as_image(plot, title)


def _menus(data: dict, key: str) -> tuple[Select, Select]:
    """The keyboard's way to pin: a menu of models and a menu of groups."""
    models, groups = data["models"], data["groups"]
    model_menu = Select(
        title="Pinned model", name=f"{key}:model_menu", value=str(data["pin"]["model"][0]), width=300,
        options=[(str(i), f"{n} ({f})") for i, (n, f) in enumerate(zip(models["name"], models["family"],
                                                                           strict=True))],
    )
    group_menu = Select(
        title="Pinned group of classes", name=f"{key}:group_menu", value=str(data["pin"]["group"][0]), width=300,
        options=[(str(g), f"{n} ({c})") for g, (n, c) in enumerate(zip(groups["name"], groups["classes"],
                                                                           strict=True))],
    )
    return model_menu, group_menu


def _line_boxes(names: list[str], lines: list, key: str) -> column:
    """One checkbox per model, ticked while its radar line shows: the keyboard's way to do what the legend does."""
    boxes = CheckboxGroup(labels=list(names), active=list(range(len(names))), inline=True, name=f"{key}:lines",
                          stylesheets=[checkbox_rows()], sizing_mode="stretch_width")
    sync = custom_js("zoo_overview/lines", lines=lines, boxes=boxes)
    boxes.js_on_change("active", sync)
    for line in lines:
        line.js_on_change("visible", sync)
    title = Div(text="<div class='xv-note'>Lines shown in the radar:</div>", stylesheets=[panel_css()],
                sizing_mode="stretch_width")
    return column(title, boxes, sizing_mode="stretch_width")


#: What each tap tool pins, and the column of its source that holds the index (None: the row itself).
_TAPS = {
    "tap_points": ("model", None),
    "tap_radar": (None, None),  # a line pins its model, a square its group
    "tap_classes": ("group", "group_index"),
    "tap_group": ("model", "model_index"),
    "tap_disagree": ("group", "group_index"),
    "tap_agree": ("group", "group_index"),
}


def _wire(src: dict, plots: dict, menus: tuple[Select, Select], status: Div, describe, lines: list) -> None:
    """Clicks and menus pin (pin.js); the pinned state shows everywhere (show.js) and is described."""
    pin = src["pin"]
    model_menu, group_menu = menus
    show = custom_js(
        "zoo_overview/show", pin=pin, models=src["models"], groups=src["groups"], marks=src["marks"],
        class_bars=src["class_bars"], group_bars=src["group_bars"], disagree_bars=src["disagree_bars"],
        agree_bars=src["agree_bars"], class_range=plots["classes"].y_range, group_range=plots["group"].y_range,
        class_title=plots["classes"].title, group_title=plots["group"].title, model_menu=model_menu,
        group_menu=group_menu, status=status, faded=FADED, describe=describe,
    )
    pin.js_on_change("data", show)
    for tool in (t for plot in plots.values() for t in plot.tools if isinstance(t, TapTool)):
        kind, column = _TAPS[tool.name.rpartition(":")[2]]
        tool.callback = custom_js("zoo_overview/pin", pin=pin, kind=kind, column=column, groups=src["groups"])
    for menu, kind in ((model_menu, "model"), (group_menu, "group")):
        menu.js_on_change("value", custom_js("zoo_overview/pin", pin=pin, kind=kind, column=None,
                                             groups=src["groups"]))
    for line in lines:
        line.js_on_change("visible", describe)
    src["models"].selected.js_on_change("indices", describe)
