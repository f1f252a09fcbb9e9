"""How each network sees the classes: VAC-CNN's distribution graph (Xuan et al., 2022, Sect. 4.1, Algorithm 1, Fig. 1B).

VAC-CNN places ImageNet's classes on a plane, one map per model, by t-SNE of the
distances Algorithm 1 derives from the model's softmax outputs: two classes lie
close when the model, shown pictures of one, gives the other a high probability.
This view draws the same map for every member of a zoo, and beside it what our ten
classes need to say more than ten points can: every validation picture placed by
its softmax vector.

* The class map: one point per class, coloured and shaped by its group
  (:data:`~explainer_core.compare.GROUPS`), named, with the model's accuracy on the
  class and the class Algorithm 1 puts nearest in the hover.
* The picture map: one point per validation picture, shaped by its true class's
  group and coloured by that group, by the class, or by whether the model got it
  right; the hover names the true and the predicted class.
* A menu of models swaps both maps to another model's projections; a second menu
  chooses the pictures' colours. Selecting classes on the class map (drag a box, or
  click; shift adds), or ticking their boxes under it, highlights their pictures on
  the picture map.

Every number is computed here, for every model at once, by
:func:`explainer_core.compare.class_distances`, :func:`~explainer_core.compare.project_classes`
and :func:`~explainer_core.compare.project_images` with their fixed seed and default
perplexities (:func:`distribution_columns`). In the browser ``show.js`` only copies
the chosen model's columns into the two maps (:func:`shown_columns` is the same copy,
for the first frame and the tests), ``brush.js`` turns the selected classes into
highlighted pictures, and ``describe.js`` writes the text alternatives.

Explained in "How each network sees the classes" (book/13_how_networks_see_the_classes.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from bokeh.layouts import column
from bokeh.models import (
    BoxSelectTool,
    CheckboxGroup,
    ColumnDataSource,
    DataRange1d,
    Div,
    HoverTool,
    InlineStyleSheet,
    Select,
    TapTool,
)
from bokeh.plotting import figure

from ...compare import GROUPS, class_distances, project_classes, project_images
from ...errors import ExplanationError
from ..kit import VIEW_WIDTH, as_image, checkbox_rows, custom_js, describe_callback, live_status, panel_css
from ..kit.palettes import GROUP

__all__ = [
    "CLASS_COLOURS",
    "MARKERS",
    "MODES",
    "OUTCOME_COLOURS",
    "PLACES",
    "distribution_columns",
    "distribution_view",
    "label_places",
    "shown_columns",
]

#: A marker shape per group of classes, in the order of :data:`~explainer_core.compare.GROUPS`, so that a
#: group never rests on its colour alone (the same shapes in every colouring of the picture map).
MARKERS = ("circle", "square", "triangle", "diamond")
#: How the legends draw those shapes.
_SYMBOLS = {"circle": "●", "square": "■", "triangle": "▲", "diamond": "◆"}
#: One colour per class, in the order of the classes in :data:`~explainer_core.compare.GROUPS`: Okabe and
#: Ito's seven (less the yellow), a grey, Tol's wine and a brown; within a group (one shape) the colours
#: are far apart. Every point has a dark outline, so the light ones stand out from the white too.
CLASS_COLOURS = ("#D55E00", "#808080", "#0072B2", "#000000", "#E69F00", "#CC79A7", "#882255", "#8C510A",
                 "#009E73", "#56B4E9")
#: The picture map's colour when it shows whether the model got a picture right (blue) or wrong (vermillion).
OUTCOME_COLOURS = {"right": "#0072B2", "wrong": "#D55E00"}
#: The picture map's colourings: menu value -> menu label.
MODES = {"group": "group of the true class", "class": "true class", "outcome": "right or wrong"}
_TEXT = "#374151"
_OUTLINE = "#1f2937"


# -- the numbers ------------------------------------------------------------------------------
def percent(value: float) -> str:
    """An accuracy as the view writes it: "85.6 %"."""
    return f"{100 * value:.1f} %"


def _group_of(class_name: str) -> int:
    return next(g for g, members in enumerate(GROUPS.values()) if class_name in members)


def _checked(probabilities, labels, members, class_names) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """The inputs as arrays and lists, or an :class:`ExplanationError` that says what is wrong."""
    scores = np.asarray(probabilities)
    if scores.ndim != 3 or 0 in scores.shape:
        raise ExplanationError(
            "probabilities must hold one confidence matrix per model, an array of shape (models, pictures, "
            f"classes), not of shape {scores.shape}."
        )
    names, classes = [str(m) for m in members], [str(c) for c in class_names]
    if len(names) != scores.shape[0]:
        raise ExplanationError(
            f"There are {scores.shape[0]} confidence matrices but {len(names)} model names; give one name per model."
        )
    if len(set(names)) != len(names):
        raise ExplanationError(f"Two models have the same name: {sorted(names)}.")
    if len(classes) != scores.shape[2]:
        raise ExplanationError(
            f"The softmax outputs have {scores.shape[2]} classes but {len(classes)} class names were given."
        )
    known = [c for members_ in GROUPS.values() for c in members_]
    unknown = [c for c in classes if c not in known]
    if unknown or len(set(classes)) != len(classes):
        raise ExplanationError(
            f"The view colours each class by its group, so the class names must be distinct and among "
            f"{', '.join(known)}; not {', '.join(unknown) or 'repeated: ' + ', '.join(classes)}."
        )
    truth = np.asarray(labels)
    if truth.shape != (scores.shape[1],):
        raise ExplanationError(
            f"labels must be {scores.shape[1]} class indices, one per picture, not an array of shape {truth.shape}."
        )
    return scores, truth, names, classes


#: Where a class's name may go beside its point: (place, text align, baseline, x offset, y offset in pixels,
#: y down), tried in this order.
PLACES = (
    ("right", "left", "middle", 11, 0),
    ("left", "right", "middle", -11, 0),
    ("above", "center", "bottom", 0, -9),
    ("below", "center", "top", 0, 9),
)
LABEL_COLUMNS = ("label_place", "label_align", "label_baseline", "label_dx", "label_dy")
#: The class map's points span about (width, height) pixels, with (x, y) pixels of the ranges' padding on each
#: side: at the book's width, and on a phone.
_SCREENS = (((430.0, 270.0), (86.0, 16.0)), ((250.0, 270.0), (50.0, 16.0)))


def label_places(xy: np.ndarray, names: Sequence[str]) -> list[int]:
    """For each class, the index in :data:`PLACES` of its name: greedily, the place whose box (12 px text)
    covers the least of the points, the names placed before it and the space outside the map, on a wide
    screen and on a phone."""
    span = np.ptp(xy, axis=0)
    span[span == 0] = 1
    unit = np.column_stack([(xy[:, 0] - xy[:, 0].min()) / span[0], (xy[:, 1].max() - xy[:, 1]) / span[1]])
    placed: list[list[tuple]] = [[] for _ in _SCREENS]
    chosen = []
    for c, name in enumerate(names):
        w, h = 6.6 * len(name), 14.0
        costs, boxes = np.zeros(len(PLACES)), [[None] * len(PLACES) for _ in _SCREENS]
        for s, ((sw, sh), (mx, my)) in enumerate(_SCREENS):
            px, py = unit[:, 0] * sw, unit[:, 1] * sh
            dots = [(x - 8, y - 8, x + 8, y + 8) for i, (x, y) in enumerate(zip(px, py, strict=True)) if i != c]
            for k, (_, align, baseline, dx, dy) in enumerate(PLACES):
                left = px[c] + dx - {"left": 0, "right": w, "center": w / 2}[align]
                top = py[c] + dy - {"middle": h / 2, "bottom": h, "top": 0}[baseline]
                box = boxes[s][k] = (left, top, left + w, top + h)
                outside = (max(0, -mx - box[0]) + max(0, box[2] - sw - mx)) * h + (
                    max(0, -my - box[1]) + max(0, box[3] - sh - my)) * w
                costs[k] += sum(_overlap(box, other) for other in [*placed[s], *dots]) + 2 * outside
        k = int(np.argmin(costs))  # the first of the cheapest, in the order of PLACES
        chosen.append(k)
        for s in range(len(_SCREENS)):
            placed[s].append(boxes[s][k])
    return chosen


def _overlap(a, b) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def _model_row(name: str, scores: np.ndarray, truth: np.ndarray, classes: list[str], seed: int) -> dict:
    """One model's numbers: both projections, accuracies, predictions, and the texts that say them."""
    n = len(classes)
    distances = class_distances(scores, truth, n)
    class_xy = project_classes(distances, seed=seed)
    image_xy = project_images(scores, seed=seed)
    predicted = np.argmax(scores.astype(np.float64), axis=1)
    right = predicted == truth
    counts = np.bincount(truth, minlength=n)
    accuracy = np.bincount(truth, weights=right, minlength=n) / counts
    off = distances + np.diag(np.full(n, np.inf))
    nearest = off.argmin(axis=1)
    i, j = np.unravel_index(np.argmin(off), off.shape)
    pair = sorted((int(i), int(j)))
    confusion = np.zeros((n, n), dtype=int)
    np.add.at(confusion, (truth, predicted), 1)
    top1 = float(right.mean())
    places = label_places(class_xy, classes)

    def mistaken(c: int) -> str:
        wrong = confusion[c].copy()
        wrong[c] = 0
        if wrong.sum() == 0:
            return "none taken for another class"
        k = int(wrong.argmax())
        return f"most often taken for {classes[k]} ({wrong[k]})"

    class_label = (
        f"The {n} classes as {name} sees them, a t-SNE map of Algorithm 1's class distances, one point per class. "
        f"Nearest pair: {classes[pair[0]]} and {classes[pair[1]]} (distance {distances[pair[0], pair[1]]:.3f}). "
        "Each class, its accuracy and the class nearest to it: "
        + "; ".join(f"{classes[c]} ({list(GROUPS)[_group_of(classes[c])]}): {percent(accuracy[c])}, nearest "
                    f"{classes[nearest[c]]} ({distances[c, nearest[c]]:.3f})" for c in range(n))
        + "."
    )
    image_label = (
        f"The {len(truth)} validation pictures placed by {name}'s softmax outputs (t-SNE), {int(right.sum())} right "
        f"({percent(top1)}). Per class, pictures right and what the wrong ones were taken for: "
        + "; ".join(f"{classes[c]}: {confusion[c, c]} of {counts[c]} right, {mistaken(c)}" for c in range(n))
        + "."
    )
    return dict(
        name=name,
        top1=top1,
        top1_text=percent(top1),
        class_x=class_xy[:, 0].copy(),
        class_y=class_xy[:, 1].copy(),
        label_place=[PLACES[k][0] for k in places],
        label_align=[PLACES[k][1] for k in places],
        label_baseline=[PLACES[k][2] for k in places],
        label_dx=[PLACES[k][3] for k in places],
        label_dy=[PLACES[k][4] for k in places],
        class_accuracy=accuracy.tolist(),
        class_accuracy_text=[f"{percent(a)} of {k}" for a, k in zip(accuracy, counts, strict=True)],
        nearest=[classes[k] for k in nearest],
        nearest_text=[f"{classes[k]} ({distances[c, k]:.3f})" for c, k in enumerate(nearest)],
        pair=[classes[pair[0]], classes[pair[1]]],
        pair_distance=float(distances[pair[0], pair[1]]),
        image_x=image_xy[:, 0].copy(),
        image_y=image_xy[:, 1].copy(),
        predicted=[classes[k] for k in predicted],
        confidence_text=[percent(scores[p, k]) for p, k in enumerate(predicted)],
        outcome=["right" if r else "wrong" for r in right],
        outcome_colour=[OUTCOME_COLOURS["right" if r else "wrong"] for r in right],
        status=(
            f"Shown: {name}, {int(right.sum())} of {len(truth)} validation pictures right ({percent(top1)}). "
            f"The classes it puts nearest each other: {classes[pair[0]]} and {classes[pair[1]]} "
            f"(distance {distances[pair[0], pair[1]]:.3f})."
        ),
        class_title=f"Classes as {name} sees them",
        image_title=f"Pictures by {name}'s answers",
        class_label=class_label,
        image_label=image_label,
    )


def distribution_columns(probabilities, labels, members: Sequence[str], class_names: Sequence[str], *,
                         model: str | None = None, seed: int = 0) -> dict:
    """Every source of the view: both projections and their texts for every model, computed once.

    ``probabilities`` is (models, pictures, classes), one softmax row per picture and model (the
    precomputed ``val_probabilities``), ``labels`` the pictures' true classes, ``members`` the models'
    names and ``class_names`` the classes' (each in one of :data:`~explainer_core.compare.GROUPS`).
    ``model`` is shown first (default: the first member). Returns the columns of the sources ``models``
    (one row per model), ``classes`` and ``images`` (what the maps draw of every class and picture,
    whatever the model), ``start`` (the index of ``model``) and the legends' HTML.
    """
    scores, truth, names, classes = _checked(probabilities, labels, members, class_names)
    if model is not None and model not in names:
        raise ExplanationError(f"No model called {model!r}; the models are {', '.join(names)}.")
    rows = [_model_row(name, scores[m], truth, classes, seed) for m, name in enumerate(names)]
    models = {key: [row[key] for row in rows] for key in rows[0]}
    groups = list(GROUPS)
    order = [c for members_ in GROUPS.values() for c in members_]
    class_group = [_group_of(c) for c in classes]
    class_colour = [CLASS_COLOURS[order.index(c)] for c in classes]
    class_columns = dict(
        class_name=classes,
        class_index=list(range(len(classes))),
        group=[groups[g] for g in class_group],
        colour=[GROUP[g] for g in class_group],
        marker=[MARKERS[g] for g in class_group],
    )
    image_columns = dict(
        picture=[f"{p + 1}" for p in range(len(truth))],
        true_class=[classes[c] for c in truth],
        class_index=[int(c) for c in truth],
        group=[groups[class_group[c]] for c in truth],
        marker=[MARKERS[class_group[c]] for c in truth],
        group_colour=[GROUP[class_group[c]] for c in truth],
        class_colour=[class_colour[c] for c in truth],
    )
    present = sorted(set(class_group))
    legends = dict(
        group=_legend([(MARKERS[g], GROUP[g], groups[g]) for g in present], "Groups"),
        **{"class": _legend([(MARKERS[class_group[classes.index(c)]], class_colour[classes.index(c)], c)
                             for c in order if c in classes], "Classes")},
        outcome=_legend([("circle", OUTCOME_COLOURS["right"], "right"), ("circle", OUTCOME_COLOURS["wrong"], "wrong")],
                        "The model's answer", note="shape: the true class's group"),
    )
    columns = dict(models=models, classes=class_columns, images=image_columns,
                   start=names.index(model) if model is not None else 0, legends=legends)
    return columns


def _legend(entries: list[tuple[str, str, str]], title: str, note: str = "") -> str:
    """A legend as HTML (it wraps on a phone, and a screen reader reads its words, not its symbols)."""
    keys = "".join(
        f"<span class='xv-key'><span aria-hidden='true' style='color:{colour}'>{_SYMBOLS[marker]}</span> {label}</span>"
        for marker, colour, label in entries
    )
    extra = f" <span class='xv-muted'>({note})</span>" if note else ""
    return f"<div class='xv-legend'><span class='xv-note'>{title}:</span> {keys}{extra}</div>"


def shown_columns(columns: dict, m: int, mode: str = "group") -> dict:
    """What the maps show with model ``m`` and the pictures coloured by ``mode``: ``show.js`` writes exactly this."""
    if mode not in MODES:
        raise ExplanationError(f"The pictures can be coloured by {', '.join(MODES)}, not by {mode!r}.")
    models, images = columns["models"], columns["images"]
    colours = {"group": images["group_colour"], "class": images["class_colour"], "outcome": models["outcome_colour"][m]}
    classes = dict(
        columns["classes"],
        x=list(models["class_x"][m]), y=list(models["class_y"][m]),
        **{column: list(models[column][m]) for column in LABEL_COLUMNS},
        accuracy_text=list(models["class_accuracy_text"][m]), nearest_text=list(models["nearest_text"][m]),
    )
    shown_images = dict(
        images,
        x=list(models["image_x"][m]), y=list(models["image_y"][m]), predicted=list(models["predicted"][m]),
        confidence_text=list(models["confidence_text"][m]), outcome=list(models["outcome"][m]),
        colour=list(colours[mode]),
    )
    return dict(classes=classes, images=shown_images, status=models["status"][m], legend=columns["legends"][mode],
                class_title=models["class_title"][m], image_title=models["image_title"][m],
                class_label=models["class_label"][m], image_label=models["image_label"][m])


# -- the view ---------------------------------------------------------------------------------
def distribution_view(
    probabilities,
    labels,
    members: Sequence[str],
    class_names: Sequence[str],
    *,
    model: str | None = None,
    mode: str = "group",
    key: str = "distribution",
    width: int = VIEW_WIDTH,
):
    """VAC-CNN's distribution graph of every model, with the pictures' map beside it, as a Bokeh layout.

    Arguments as :func:`distribution_columns`; ``mode`` colours the pictures first (one of :data:`MODES`).
    Models are named ``<key>:...``: the figures ``:class_map`` and ``:image_map``; the sources ``:models``,
    ``:classes`` and ``:images``; the menus ``:model_menu`` and ``:colour_menu``; the checkboxes of the
    highlighted classes ``:class_boxes``; the status line ``:status``; the legends ``:class_legend`` and
    ``:image_legend``.
    """
    data = distribution_columns(probabilities, labels, members, class_names, model=model)
    m = data["start"]
    shown = shown_columns(data, m, mode)
    models = ColumnDataSource(data["models"], name=f"{key}:models")
    classes = ColumnDataSource(shown["classes"], name=f"{key}:classes")
    images = ColumnDataSource(shown["images"], name=f"{key}:images")
    class_map = _class_map(classes, key, width, shown["class_title"], shown["class_label"])
    image_map = _image_map(images, key, width, shown["image_title"], shown["image_label"])

    model_menu = Select(
        title="Model", name=f"{key}:model_menu", value=str(m), width=300,
        options=[(str(i), f"{n} ({t} right)") for i, (n, t) in enumerate(zip(data["models"]["name"],
                                                                            data["models"]["top1_text"], strict=True))],
    )
    colour_menu = Select(title="Colour the pictures by", name=f"{key}:colour_menu", value=mode, width=300,
                         options=list(MODES.items()))
    status = live_status(Div(text=shown["status"], name=f"{key}:status", stylesheets=[panel_css()],
                             sizing_mode="stretch_width"))
    class_legend = _div(data["legends"]["group"], f"{key}:class_legend")
    image_legend = _div(shown["legend"], f"{key}:image_legend")
    boxes = CheckboxGroup(labels=list(data["classes"]["class_name"]), active=[], inline=True,
                          name=f"{key}:class_boxes", stylesheets=[checkbox_rows()],
                          sizing_mode="stretch_width")
    boxes_title = _div("<div class='xv-note'>Highlight the pictures of these classes:</div>", None)

    describe = describe_callback("distribution_view", class_map=class_map, image_map=image_map, models=models,
                                 classes=classes, model_menu=model_menu, status=status)
    show = custom_js("distribution_view/show", models=models, classes=classes, images=images,
                     model_menu=model_menu, colour_menu=colour_menu, legends=data["legends"], legend=image_legend,
                     class_title=class_map.title, image_title=image_map.title, describe=describe)
    model_menu.js_on_change("value", show)
    colour_menu.js_on_change("value", show)
    brush = custom_js("distribution_view/brush", classes=classes, images=images, boxes=boxes, describe=describe)
    classes.selected.js_on_change("indices", brush)
    boxes.js_on_change("active", brush)

    note = _div(
        "<div class='xv-note'>Drag a box over the class map, or click a class (shift-click adds one), to highlight "
        "its pictures on the picture map; a click on an empty spot clears it. The boxes above do the same from the "
        "keyboard. Hover over a point for its numbers. t-SNE's axes have no units: only who sits near whom "
        "counts.</div>", None)
    # the two maps one after the other, so that a 1280 x 800 window shows both while classes are selected
    layout = column(model_menu, status, class_map, class_legend, image_map, image_legend, colour_menu, boxes_title,
                    boxes, note, name=f"{key}:layout", sizing_mode="stretch_width", max_width=width)
    layout.tags = [describe]
    return layout


#: The legends' look (in the Div's shadow DOM).
_LEGEND_CSS = """
.xv-legend { display: flex; flex-wrap: wrap; column-gap: 14px; row-gap: 2px; align-items: baseline; }
.xv-key { white-space: nowrap; }
"""


def _div(text: str, name: str | None) -> Div:
    return Div(text=text, name=name, stylesheets=[panel_css(), InlineStyleSheet(css=_LEGEND_CSS)],
               sizing_mode="stretch_width")


def _figure(name: str, height: int, width: int, title: str) -> figure:
    """A map without axes (t-SNE's have no units) that fills the column up to ``width`` pixels."""
    plot = figure(name=name, height=height, max_width=width, sizing_mode="stretch_width", toolbar_location=None,
                  tools="", title=title, x_range=DataRange1d(range_padding=0.15),
                  y_range=DataRange1d(range_padding=0.12))
    plot.title.text_font_size = "13px"
    plot.title.text_color = _TEXT
    plot.axis.visible = False
    plot.grid.visible = False
    plot.outline_line_color = "#d1d5db"
    return plot


def _class_map(classes: ColumnDataSource, key: str, width: int, title: str, label: str) -> figure:
    """One point per class, coloured and shaped by group and named; a box or a click selects classes."""
    plot = _figure(f"{key}:class_map", 330, width, title)
    plot.x_range.range_padding = 0.4  # room for the names, outside the points on both sides (label_places)
    points = plot.scatter("x", "y", source=classes, marker="marker", size=16, fill_color="colour",
                          line_color=_OUTLINE, line_width=1, nonselection_fill_alpha=0.2,
                          nonselection_line_alpha=0.3, selection_line_width=2.5, name=f"{key}:class_points")
    plot.text("x", "y", text="class_name", source=classes, x_offset="label_dx", y_offset="label_dy",
              text_align="label_align", text_baseline="label_baseline",
              text_font_size="12px", text_color=_TEXT)
    box = BoxSelectTool(renderers=[points], name=f"{key}:box")
    plot.add_tools(
        HoverTool(renderers=[points], tooltips=[("class", "@class_name"), ("group", "@group"),
                                                ("right", "@accuracy_text pictures"),
                                                ("nearest class", "@nearest_text")]),
        box,
        TapTool(renderers=[points], name=f"{key}:tap"),
    )
    plot.toolbar.active_drag = box
    return as_image(plot, label)


def _image_map(images: ColumnDataSource, key: str, width: int, title: str, label: str) -> figure:
    """One point per picture, shaped by its group and coloured by the chosen colouring."""
    plot = _figure(f"{key}:image_map", 400, width, title)
    points = plot.scatter("x", "y", source=images, marker="marker", size=8, fill_color="colour", fill_alpha=0.85,
                          line_color=_OUTLINE, line_width=0.5, line_alpha=0.7, nonselection_fill_alpha=0.1,
                          nonselection_line_alpha=0.12, selection_fill_alpha=1, selection_line_alpha=1,
                          name=f"{key}:image_points")
    plot.add_tools(HoverTool(renderers=[points], tooltips=[
        ("picture", "@picture"), ("true class", "@true_class (@group)"),
        ("predicted", "@predicted (@confidence_text)"), ("answer", "@outcome")]))
    return as_image(plot, label)
