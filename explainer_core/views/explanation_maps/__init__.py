"""Explanation maps over their pictures, their faithfulness curves, and the sanity check (VAC-CNN, Sect. 5.2).

VAC-CNN shows each method's map as a heatmap laid over the picture, one panel
per model and method. This room draws three things from plain arrays, so it
works on maps computed live with :func:`explainer_core.explain.explain` or read
from :func:`explainer_core.precompute.load`:

* :func:`explanation_maps`: a grid of maps, rows by columns (models by
  methods, methods by pictures, ...); each cell is the picture with the map
  over it in :data:`~explainer_core.views.kit.palettes.EXPLANATION` (the higher
  the value, the more opaque), a colour bar once under the grid, and a hover
  that gives the map's value under the pointer;
* :func:`faithfulness_curves`: deletion and insertion curves
  (:func:`explainer_core.compare.deletion_curve`), one line per method, each
  with its area under the curve in the legend;
* :func:`sanity_check`: maps of a trained model beside those of the same
  model with randomised weights (Adebayo et al., NeurIPS 2018), with the rank
  correlation of each pair.

Every number is computed here in Python, once: the views have no callbacks
except Bokeh's hover, which reads the map values as given (float32, not
rounded; the tooltip writes three decimals). :func:`map_cells` is what the grid
draws, for the chapters and the tests. Each figure is an image with a text
alternative written here (where each map is strongest, and how much of the
picture it marks).

Explained in "What a network looks at" (book/14_what_a_network_looks_at.md).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import numpy as np
from bokeh.layouts import column
from bokeh.models import (
    CDSView,
    ColumnDataSource,
    CustomJSTickFormatter,
    Div,
    HoverTool,
    IndexFilter,
    InlineStyleSheet,
    Legend,
    LegendItem,
    LinearColorMapper,
    Range1d,
)
from bokeh.plotting import figure

from ...errors import ExplanationError
from ..kit import FAMILY, VIEW_WIDTH, as_image, bare_figure, fmt, panel_css
from ..kit.palettes import EXPLANATION

__all__ = [
    "METHOD_TITLES",
    "explanation_maps",
    "faithfulness_curves",
    "curve_columns",
    "map_cells",
    "method_title",
    "rank_correlation",
    "sanity_check",
    "where",
]

#: How the book names the engine's methods (:data:`explainer_core.explain.METHODS`).
METHOD_TITLES = {
    "gradcam": "Grad-CAM",
    "gradcam++": "Grad-CAM++",
    "smoothgrad-cam++": "Smooth Grad-CAM++",
    "scorecam": "Score-CAM",
    "bbmp": "BBMP",
}
#: Data units between two cells of a row (a cell is as wide as its map).
GAP = 4
_TEXT = "#374151"
_MUTED = "#6b7280"
_DASHES = ("solid", "dashed", "dotted", "dotdash", "dashdot", [10, 3, 2, 3], [2, 2], [6, 2])
_MARKERS = ("circle", "square", "triangle", "diamond", "inverted_triangle", "hex", "star", "square_pin")
_RANDOM = "#808080"
_PERCENT_TICKS = "return `${Math.round(tick * 100)} %`;"


def method_title(name: str) -> str:
    """A method's name as the book writes it ("Grad-CAM" for ``gradcam``); other names unchanged."""
    return METHOD_TITLES.get(name, name)


# -- checks -----------------------------------------------------------------------------------
def _as_maps(maps) -> np.ndarray:
    """(R, C, H, W) float32 maps in [0, 1]; uint8 maps (as precompute stores them) are divided by 255."""
    array = np.asarray(maps)
    if array.ndim != 4 or min(array.shape, default=0) == 0:
        raise ExplanationError(
            f"explanation_maps draws a grid: maps of shape (rows, columns, height, width), not {array.shape}. "
            "For one row, add an axis: maps[None]."
        )
    if array.dtype == np.uint8:
        return (array / 255.0).astype(np.float32)
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
        raise ExplanationError(f"Maps must be numbers in [0, 1] (or uint8), not {array.dtype}.")
    array = array.astype(np.float32)
    if not np.isfinite(array).all():
        raise ExplanationError("The maps hold NaN or infinite values; an explanation map is finite, in [0, 1].")
    if array.min() < 0 or array.max() > 1:
        raise ExplanationError(
            f"Maps must lie in [0, 1] as explain() returns them; these span [{array.min():.3g}, {array.max():.3g}]."
        )
    return array


def _as_rgb8(pictures, rows: int, cols: int, height: int, width: int) -> np.ndarray:
    """(R, C, H, W, 3) uint8 pictures from one picture, one per column, or one per cell."""
    array = np.asarray(pictures)
    if array.ndim < 3 or array.shape[-3:] != (height, width, 3):
        raise ExplanationError(
            f"Pictures must be RGB of the maps' size ({height}, {width}, 3), not of shape {array.shape}."
        )
    if array.dtype != np.uint8:
        array = array.astype(np.float64)
        if not np.isfinite(array).all() or array.min() < 0 or array.max() > 1:
            raise ExplanationError("Pictures must be uint8, or floats in [0, 1] as the models read them.")
        array = np.round(array * 255).astype(np.uint8)
    if array.ndim == 3:
        return np.broadcast_to(array, (rows, cols, height, width, 3))
    if array.ndim == 4 and array.shape[0] == cols:
        return np.broadcast_to(array[None], (rows, cols, height, width, 3))
    if array.ndim == 5 and array.shape[:2] == (rows, cols):
        return array
    raise ExplanationError(
        f"Give one picture, one per column ({cols}) or one per cell ({rows} x {cols}); got shape {array.shape}."
    )


def _names(names: Sequence[str], count: int, what: str) -> list[str]:
    names = [str(name) for name in names]
    if len(names) != count:
        raise ExplanationError(f"The maps have {count} {what}s but {len(names)} {what} names were given: {names}.")
    return names


# -- the numbers ------------------------------------------------------------------------------
_THIRDS = (("top", "middle", "bottom"), ("left", "centre", "right"))


def where(explanation_map: np.ndarray) -> str:
    """Where a map is strongest, in words: the ninth of the picture that holds its highest value."""
    height, width = explanation_map.shape
    r, c = np.unravel_index(int(np.argmax(explanation_map)), explanation_map.shape)
    vertical, horizontal = _THIRDS[0][3 * r // height], _THIRDS[1][3 * c // width]
    if vertical == "middle" and horizontal == "centre":
        return "centre"
    if vertical == "middle":
        return f"middle {horizontal}"
    return f"{vertical} {horizontal}" if horizontal != "centre" else f"{vertical} centre"


def _describe_cell(row: str, col: str, explanation_map: np.ndarray) -> str:
    share = float((explanation_map >= 0.5).mean())
    return (
        f"{row}, {col}: strongest at the {where(explanation_map)} ({fmt(explanation_map.max())}), "
        f"{round(100 * share)} % of the picture at 0.5 or above"
    )


def _rgba(picture: np.ndarray) -> np.ndarray:
    """An (H, W, 3) uint8 picture as Bokeh's packed RGBA, bottom row first (Bokeh draws y upwards)."""
    height, width = picture.shape[:2]
    rgba = np.empty((height, width, 4), dtype=np.uint8)
    rgba[..., :3] = picture
    rgba[..., 3] = 255
    return rgba[::-1].copy().view(np.uint32).reshape(height, width)


def map_cells(pictures, maps, row_names: Sequence[str], column_names: Sequence[str]) -> dict[str, list]:
    """The grid's cells, row by row: what :func:`explanation_maps` draws (and its tests read).

    Columns: ``row`` and ``column`` (names), ``map`` (the map as given, float32, top row first),
    ``image`` (the same, bottom row first, as Bokeh draws it), ``picture`` (packed RGBA, bottom row
    first), ``x`` and ``y`` (the cell's lower left corner in its row's figure), ``peak`` (its highest value,
    as text) and ``description`` (the cell's sentence in the text alternative).
    """
    values = _as_maps(maps)
    rows, cols, height, width = values.shape
    row_names, column_names = _names(row_names, rows, "row"), _names(column_names, cols, "column")
    rgb = _as_rgb8(pictures, rows, cols, height, width)
    cells: dict[str, list] = {
        name: [] for name in ("row", "column", "map", "image", "picture", "x", "y", "peak", "description")
    }
    for r in range(rows):
        for c in range(cols):
            cell = values[r, c]
            cells["row"].append(row_names[r])
            cells["column"].append(column_names[c])
            cells["map"].append(cell)
            cells["image"].append(cell[::-1].copy())
            cells["picture"].append(_rgba(rgb[r, c]))
            cells["x"].append(c * (width + GAP))
            cells["y"].append(0)
            cells["peak"].append(fmt(cell.max()))
            cells["description"].append(_describe_cell(row_names[r], column_names[c], cell))
    return cells


# -- the grid ---------------------------------------------------------------------------------
def _wrap(label: str, width: int) -> str:
    """A label on lines of about ``width`` characters (a column title must fit its cell on a phone)."""
    lines: list[str] = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines)


def explanation_maps(
    pictures,
    maps,
    *,
    row_names: Sequence[str],
    column_names: Sequence[str],
    title: str = "Explanation maps",
    note: str | None = None,
    key: str = "explanation_maps",
    width: int = VIEW_WIDTH,
):
    """A grid of explanation ``maps`` over their ``pictures``, as a Bokeh layout.

    ``maps``: (rows, columns, H, W), floats in [0, 1] as :func:`~explainer_core.explain.explain`
    returns them, or uint8 (value x 255, as ``precompute.load()[1]["maps"]`` stores them).
    ``pictures``: RGB (H, W, 3) shared by every cell, (columns, H, W, 3) one per column, or
    (rows, columns, H, W, 3) one per cell; uint8, or floats in [0, 1]. ``row_names`` and
    ``column_names`` title the rows and columns (turn method keys such as ``"gradcam"`` into
    titles with :func:`method_title`). ``title`` starts the grid's text alternative; ``note``
    replaces the text under the grid.

    The column titles are one line of HTML above the grid (they wrap on a phone); each row is a
    figure ``<key>:row<r>`` under its name, all drawing one source ``<key>:cells`` (see
    :func:`map_cells`; its pictures, each distinct one once, are in ``<key>:pictures``); the
    maps' renderers, whose hover gives the value, are named ``<key>:maps``;
    also ``<key>:colour_bar`` and ``<key>:layout``. Raises :class:`~explainer_core.errors.ExplanationError`
    on maps outside [0, 1], shapes that do not match, or a wrong number of names.
    """
    cells = map_cells(pictures, maps, row_names, column_names)
    cols = len(dict.fromkeys(cells["column"]))
    height, width_px = cells["map"][0].shape
    source = ColumnDataSource({k: v for k, v in cells.items() if k not in ("map", "picture")}, name=f"{key}:cells")
    # each distinct picture once (a picture shared by a column is sent once, not once per row)
    shared = np.asarray(pictures).ndim < 5
    pictures_source = ColumnDataSource(
        dict(
            picture=cells["picture"][:cols] if shared else cells["picture"],
            x=cells["x"][:cols] if shared else cells["x"],
        ),
        name=f"{key}:pictures",
    )
    x_end = cols * (width_px + GAP) - GAP
    full = min(width, 150 * cols)  # cells of at most about 150 px
    mapper = LinearColorMapper(palette=list(EXPLANATION), low=0, high=1)
    cell_pct, gap_pct = 100 * width_px / x_end, 100 * GAP / x_end
    header = Div(
        text="<div class='xv-cols'>"
        + "".join(f"<div class='xv-col'>{html.escape(name)}</div>" for name in dict.fromkeys(cells["column"]))
        + "</div>",
        stylesheets=[
            panel_css(),
            InlineStyleSheet(css=_HEADER_CSS.format(cols=cols, cell=cell_pct, gap=gap_pct, inset=_FRAME_INSET)),
        ],
        sizing_mode="stretch_width",
        max_width=full,
        margin=0,
        name=f"{key}:header",
    )
    parts = [header]
    for r, row_name in enumerate(dict.fromkeys(cells["row"])):
        plot = bare_figure(
            name=f"{key}:row{r}",
            tools="",
            x_range=Range1d(0, x_end),
            y_range=Range1d(0, height),
            width=full,
            height=round(full * height / x_end),
            min_border=0,
            sizing_mode="scale_width",
            max_width=full,
            outline_line_color=None,
        )
        view = CDSView(filter=IndexFilter(list(range(r * cols, (r + 1) * cols))))
        shown = view if not shared else CDSView()
        plot.image_rgba(image="picture", x="x", y=0, dw=width_px, dh=height, source=pictures_source, view=shown)
        maps_renderer = plot.image(
            image="image",
            x="x",
            y=0,
            dw=width_px,
            dh=height,
            source=source,
            view=view,
            color_mapper=mapper,
            name=f"{key}:maps",
        )
        plot.add_tools(
            HoverTool(renderers=[maps_renderer], tooltips=[("", "@row, @column"), ("map value", "@image{0.000}")])
        )
        described = cells["description"][r * cols : (r + 1) * cols]
        as_image(
            plot,
            f"{title}, row {row_name}: each map over its picture (brighter and more opaque where the "
            f"value is higher, from 0 to 1): " + "; ".join(described) + ".",
        )
        name = Div(
            text=f"<div class='xv-row'>{html.escape(row_name)}</div>",
            stylesheets=[panel_css(), InlineStyleSheet(css=_ROW_CSS)],
            sizing_mode="stretch_width",
        )
        parts += [name, plot]
    bar = _colour_bar(mapper, key, width)
    text = (
        note
        if note is not None
        else (
            "Each map is drawn over its picture: where the map is near 0 the picture shows through, "
            "and the higher the value, the brighter and more opaque the colour. Hover over a map for its value."
        )
    )
    notes = Div(text=f"<div class='xv-note'>{text}</div>", stylesheets=[panel_css()], sizing_mode="stretch_width")
    return column(*parts, bar, notes, name=f"{key}:layout", sizing_mode="stretch_width", max_width=width)


#: Pixels between a row figure's edge and its frame (Bokeh keeps them even with ``min_border=0``).
_FRAME_INSET = 12
#: The column titles, laid out like the cells under them (percentages of the grid's width).
_HEADER_CSS = """
:host {{ font-size: 12px; width: 100%; }}
.bk-clearfix {{ width: 100%; }}
.xv-cols {{ width: 100%; box-sizing: border-box; padding: 0 {inset}px; display: grid;
  grid-template-columns: repeat({cols}, {cell:.3f}%); column-gap: {gap:.3f}%; align-items: end; }}
.xv-col {{ text-align: center; font-weight: 600; color: #374151; line-height: 1.2; overflow-wrap: anywhere; }}
"""
_ROW_CSS = ":host { font-size: 12px; } .xv-row { color: #374151; margin: 4px 0 0 7px; }"


def _colour_bar(mapper: LinearColorMapper, key: str, width: int):
    """The maps' colour scale once, as a strip from 0 to 1 with its ticks (on white, as over a picture)."""
    bar = figure(
        name=f"{key}:colour_bar",
        height=58,
        max_width=min(width, 420),
        sizing_mode="stretch_width",
        x_range=Range1d(0, 1),
        y_range=Range1d(0, 1),
        toolbar_location=None,
        tools="",
        outline_line_color=None,
        min_border_left=12,
        min_border_right=12,
    )
    bar.image(image=[np.linspace(0, 1, 256, dtype=np.float32)[None]], x=0, y=0, dw=1, dh=1, color_mapper=mapper)
    bar.yaxis.visible = False
    bar.grid.visible = False
    bar.xaxis.ticker = [0, 0.25, 0.5, 0.75, 1]
    bar.xaxis.axis_label = "map value"
    bar.xaxis.axis_label_text_font_style = "normal"
    bar.xaxis.axis_label_text_font_size = "12px"
    bar.xaxis.major_label_text_color = _TEXT
    return as_image(
        bar,
        "Colour scale of the maps: transparent at 0, then dark purple, red, orange, and "
        "yellow at 1, more opaque as the value rises.",
    )


# -- faithfulness curves ----------------------------------------------------------------------
def _curve_scores(curve) -> tuple[np.ndarray, np.ndarray, int]:
    fractions, scores = np.asarray(curve[0], dtype=float), np.asarray(curve[1], dtype=float)
    count = 1 if scores.ndim == 1 else scores.shape[0]
    if scores.ndim == 2:
        scores = scores.mean(axis=0)
    if scores.ndim != 1 or fractions.shape != scores.shape or len(fractions) < 2:
        raise ExplanationError(
            "A curve is (fractions, scores) as deletion_curve() returns it, with one score per "
            f"fraction; got shapes {fractions.shape} and {np.asarray(curve[1]).shape}."
        )
    if not np.isfinite(scores).all():
        raise ExplanationError("A curve's scores must be finite probabilities.")
    return fractions, scores, count


def curve_columns(curves: Mapping[str, object]) -> list[dict]:
    """One entry per curve: its name, label (with the area), fractions, scores and area.

    A curve of N pictures (scores (N, steps + 1)) is drawn as their mean; its area is the mean of their
    areas (the trapezoid rule is linear), exactly :func:`~explainer_core.compare.area_under_curve`'s.
    """
    from ...compare import Curve, area_under_curve

    if not curves:
        raise ExplanationError("Give at least one curve: {method name: deletion_curve(...)}.")
    entries = []
    for name, curve in curves.items():
        fractions, scores, count = _curve_scores(curve)
        area = float(area_under_curve(Curve(fractions, scores)))
        entries.append(
            dict(
                name=str(name),
                title=method_title(str(name)),
                fractions=fractions,
                scores=scores,
                area=area,
                count=count,
                label=f"{method_title(str(name))} {fmt(area)}",
            )
        )
    return entries


def _curve_figure(entries: list[dict], kind: str, key: str, width: int, title: str):
    plot = figure(
        name=f"{key}:{kind}",
        height=300 + 18 * ((len(entries) + 1) // 2),
        max_width=width,
        sizing_mode="stretch_width",
        toolbar_location=None,
        tools="",
        outline_line_color=None,
        x_range=Range1d(0, 1),
        y_range=Range1d(0, 1.02),
        title=title,
        min_border_right=24,
        x_axis_label="pixels " + ("deleted" if kind == "deletion" else "put back") + ", highest map value first",
        y_axis_label="probability of the class",
    )
    plot.title.text_font_size = "13px"
    plot.title.text_color = _TEXT
    plot.axis.axis_label_text_font_style = "normal"
    plot.axis.major_label_text_color = _TEXT
    plot.xaxis.formatter = CustomJSTickFormatter(code=_PERCENT_TICKS)
    items, renderers = [], []
    plain = [e for e in entries if "random" not in e["name"]]
    for entry in entries:
        random = "random" in entry["name"]
        k = plain.index(entry) if not random else 0
        colour = _RANDOM if random else FAMILY[k % len(FAMILY)]
        dash = "dashed" if random else _DASHES[k % len(_DASHES)]
        source = ColumnDataSource(
            dict(
                x=entry["fractions"],
                y=entry["scores"],
                method=[entry["title"]] * len(entry["scores"]),
                fraction=[f"{100 * f:.0f} %" for f in entry["fractions"]],
                score=[fmt(s) for s in entry["scores"]],
            ),
            name=f"{key}:{kind}:{entry['name']}",
        )
        line = plot.line("x", "y", source=source, line_color=colour, line_width=2, line_dash=dash)
        dots = plot.scatter(
            "x",
            "y",
            source=source,
            marker=_MARKERS[k % len(_MARKERS)] if not random else "dot",
            size=6,
            fill_color=colour,
            line_color=colour,
        )
        renderers.append(dots)
        items.append(LegendItem(label=entry["label"], renderers=[line, dots]))
    plot.add_layout(
        Legend(
            items=items,
            ncols=2,
            border_line_color=None,
            label_text_font_size="11px",
            padding=2,
            spacing=1,
            location="top_left",
            click_policy="hide",
            title="area under the curve (click a name to hide its line)",
            title_text_font_size="11px",
        ),
        "below",
    )
    plot.add_tools(
        HoverTool(renderers=renderers, tooltips=[("", "@method"), ("pixels", "@fraction"), ("probability", "@score")])
    )
    better = "lower" if kind == "deletion" else "higher"
    ranked = sorted(entries, key=lambda e: e["area"], reverse=kind != "deletion")
    count = entries[0]["count"]
    over = f" (mean over {count} pictures)" if count > 1 else ""
    return as_image(
        plot,
        f"{title}{over}: the probability of the class as pixels are "
        f"{'deleted' if kind == 'deletion' else 'put back'}, highest map value first; {better} area is "
        f"more faithful. Areas, best first: "
        + ", ".join(f"{e['title']} {fmt(e['area'])}" for e in ranked)
        + ". "
        + "; ".join(f"{e['title']} from {fmt(e['scores'][0])} to {fmt(e['scores'][-1])}" for e in entries)
        + ".",
    )


def faithfulness_curves(
    deletion: Mapping[str, object] | None = None,
    insertion: Mapping[str, object] | None = None,
    *,
    key: str = "faithfulness",
    width: int = VIEW_WIDTH,
):
    """Deletion and/or insertion curves, one line per method, with each area in the legend.

    ``deletion`` and ``insertion`` map a method's name (``"gradcam"``, or a baseline whose name holds
    "random", drawn grey and dashed) to a :class:`~explainer_core.compare.Curve` of one picture, or of
    N pictures (drawn as their mean). Figures ``<key>:deletion`` and ``<key>:insertion``; each line's
    source ``<key>:<kind>:<name>``.
    """
    if deletion is None and insertion is None:
        raise ExplanationError("Give deletion curves, insertion curves, or both.")
    figures = []
    if deletion is not None:
        figures.append(
            _curve_figure(curve_columns(deletion), "deletion", key, width, "Deletion (a lower area is more faithful)")
        )
    if insertion is not None:
        figures.append(
            _curve_figure(
                curve_columns(insertion),
                "insertion",
                key,
                width,
                "Insertion (a higher area is more faithful)",
            )
        )
    return column(*figures, name=f"{key}:layout", sizing_mode="stretch_width", max_width=width)


# -- the sanity check -------------------------------------------------------------------------
def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation of two maps' pixels (Adebayo et al. compare maps this way); 0 if one is flat."""
    from scipy.stats import spearmanr

    a, b = np.ravel(a), np.ravel(b)
    if a.shape != b.shape:
        raise ExplanationError(f"Two maps of different sizes cannot be compared: {a.shape} and {b.shape}.")
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    return float(spearmanr(a, b).statistic)


def sanity_check(
    picture,
    trained: Mapping[str, np.ndarray],
    randomised: Mapping[str, np.ndarray],
    *,
    key: str = "sanity",
    width: int = VIEW_WIDTH,
):
    """Each method's map for the trained model (first row) and the randomised one (second row), over
    ``picture``, with a bar chart of each pair's rank correlation (:func:`rank_correlation`).

    ``trained`` and ``randomised`` map the same method names to (H, W) maps in [0, 1] (or a batch of
    one). A method that passes the check has a low correlation: its map depends on what the model learnt.
    The grid is :func:`explanation_maps` with key ``<key>``; the bars are the figure
    ``<key>:correlation_bars`` drawing the source ``<key>:correlation`` (columns ``method``, ``value``, ``text``).
    """
    if list(trained) != list(randomised):
        raise ExplanationError(
            f"The trained and randomised maps must be of the same methods, in the same order: "
            f"{list(trained)} and {list(randomised)}."
        )
    if not trained:
        raise ExplanationError("Give at least one method's maps.")
    first = [np.asarray(trained[m]).reshape(np.asarray(trained[m]).shape[-2:]) for m in trained]
    second = [np.asarray(randomised[m]).reshape(np.asarray(randomised[m]).shape[-2:]) for m in randomised]
    titles = [method_title(m) for m in trained]
    grid = explanation_maps(
        picture,
        np.stack([np.stack(first), np.stack(second)]),
        row_names=["trained weights", "randomised weights"],
        column_names=titles,
        title="Sanity check: maps of the trained and the randomised network",
        key=key,
        width=width,
        note="Top row: the trained network. Bottom row: the same network with every weight drawn at random. "
        "A map that looks the same in both rows shows the picture's edges, not what the network learnt.",
    )
    rho = [rank_correlation(a, b) for a, b in zip(first, second, strict=True)]
    source = ColumnDataSource(dict(method=titles, value=rho, text=[fmt(v) for v in rho]), name=f"{key}:correlation")
    bars = figure(
        name=f"{key}:correlation_bars",
        height=60 + 26 * len(titles),
        max_width=width,
        sizing_mode="stretch_width",
        toolbar_location=None,
        tools="",
        outline_line_color=None,
        y_range=list(reversed(titles)),
        x_range=Range1d(-1, 1.6),
        title="Rank correlation of the two rows",
        min_border_right=16,
    )
    bars.title.text_font_size = "13px"
    bars.title.text_color = _TEXT
    bars.ygrid.visible = False
    bars.xaxis.ticker = [-1, -0.5, 0, 0.5, 1]
    bars.hbar(y="method", left=0, right="value", height=0.6, source=source, fill_color=FAMILY[1], line_color=None)
    bars.text(
        1.05, "method", text="text", source=source, text_baseline="middle", text_font_size="11px", text_color=_TEXT
    )
    as_image(
        bars,
        "Rank correlation between the trained and the randomised network's map, per method: "
        + ", ".join(f"{t} {fmt(v)}" for t, v in zip(titles, rho, strict=True))
        + ".",
    )
    return column(grid, bars, name=f"{key}:check", sizing_mode="stretch_width", max_width=width)
