"""The softmax formula view: how the logits become class probabilities.

CNN Explainer (Sect. 6.3, Fig. 6D) explains the softmax with the logits drawn
as circles on a light-to-dark orange scale next to the equation that turns them
into one class's probability; hovering a circle highlights its number in the
equation, and hovering a number highlights its circle. This view has two parts:

* a table, one row per class: the logit ``z`` as an orange circle and a number,
  ``e^z``, and the probability as a bar;
* the equation for one class ``k`` (the predicted class, or the row the reader
  clicked), with every term written out::

      p(k) = e^{z_k} / (e^{z_1} + … + e^{z_n}) = e^{z_k} value / sum = p

The equation's terms are Bokeh text glyphs in a figure of their own, so pointing
at either part highlights the other (``hl`` columns of both sources), in a
static page. The numbers are the trace's (logits and probabilities, as
:func:`explainer_core.arithmetic.formulas.explain_softmax` gives them); ``e^z`` and the sum
are written in double precision and to four significant digits, which is
enough to check the division by eye.

:func:`softmax_view` builds the skeleton (positions, class names, the equation's
fixed pieces); every number of the picture is written by the browser, for the
first frame too: ``softmax_view/fill.js`` (run by ``page.js`` with the trace of the
picture the view was built for, then of every picture the reader chooses) writes
the table and runs ``softmax_view/draw.js``, which writes the equation;
``softmax_view/hover.js`` links the two parts.

Explained in "The flatten layer and the output" (book/08_flatten_and_output.md).
"""

from __future__ import annotations

import math

from bokeh import events
from bokeh.layouts import column
from bokeh.models import CDSView, ColumnDataSource, Div, IndexFilter, LinearColorMapper, Range1d
from bokeh.plotting import figure
from bokeh.transform import transform

from ...arithmetic.formulas import check_trace
from ...arithmetic.trace import Trace
from ...errors import TraceError
from ..kit import (
    LOGIT,
    VIEW_WIDTH,
    as_image,
    bare_figure,
    custom_js,
    describe_callback,
    panel_css,
    picture_name,
    refill_callback,
)
from ..kit.refill import picture_source

__all__ = ["softmax_view"]

_TEXT = "#374151"
_SOFT = "#4b5563"
_HL = "#fde68a"
_ROW_HL = "#fef3c7"
_BAR = "#fd8d3c"
# table rows and the equation's term slots, in screen pixels
_HEADER = 30
_ROW = 26
_SLOT = 72
_RIGHT = 168  # "= value / sum = p" after the fraction


# -- the geometry -----------------------------------------------------------------
def _table_geometry(names: tuple[str, ...], width: int) -> dict:
    name_x = max(60.0, min(170.0, 7.0 * max(len(n) for n in names) + 10))
    circle_x = name_x + 20
    logit_x = circle_x + 16
    exp_x = logit_x + 124  # right edge of the e^z column
    bar_x = exp_x + 22
    bar_len = width - bar_x - 56
    return dict(
        name_x=name_x,
        circle_x=circle_x,
        logit_x=logit_x,
        exp_x=exp_x,
        bar_x=bar_x,
        bar_len=bar_len,
        height=_HEADER + _ROW * len(names) + 6,
        width=float(width),
    )


def _equation_geometry(names: tuple[str, ...], width: int) -> dict:
    n = len(names)
    lhs_w = 7.6 * (len("p() =") + max(len(s) for s in names))
    left = 8 + lhs_w + 8
    per_row = max(1, min(n, int((width - left - _RIGHT - 6) // _SLOT)))
    rows = math.ceil(n / per_row)
    frac_w = per_row * _SLOT - 10
    bar_y = 40.0
    return dict(
        n=n,
        left=left,
        per_row=per_row,
        rows=rows,
        frac_w=frac_w,
        bar_y=bar_y,
        num_y=22.0,
        right=left + frac_w + 10,
        height=bar_y + 22 + rows * 28,
        width=float(width),
    )


def _term_slot(e: dict, j: int) -> tuple[float, float]:
    """Left edge and baseline y of denominator term ``j``."""
    r, s = divmod(j, e["per_row"])
    return e["left"] + s * _SLOT, e["bar_y"] + 20 + r * 28


# -- the skeleton ----------------------------------------------------------------
def _skeleton(names: tuple[str, ...], width: int) -> dict[str, dict]:
    """The sources' columns before any picture: positions, names and the equation's fixed pieces.

    ``fill.js`` writes every picture-dependent column (logits, probabilities, e^z, their texts,
    the bars' ends, the chosen class) and ``draw.js`` the equation's texts, for the first frame
    too; here those columns hold placeholders (0 and "").
    """
    n = len(names)
    t = _table_geometry(names, width)
    classes = dict(
        y=[-(_HEADER + (i + 0.5) * _ROW) for i in range(n)],
        name=list(names),
        logit=[0.0] * n,
        probability=[0.0] * n,
        exp=[0.0] * n,
        logit_text=[""] * n,
        exp_text=[""] * n,
        prob_text=[""] * n,
        right=[t["bar_x"]] * n,
        chosen=[0] * n,
        style=["normal"] * n,
        hl=[0] * n,
    )
    return dict(classes=classes, terms=_terms(names, width), choice=dict(kind=["auto"], index=[0]))


def _terms(names: tuple[str, ...], width: int) -> dict[str, list]:
    """Where the pieces of the equation go; ``draw.js`` writes their texts for the chosen class.

    The numerator's term (the first "term") has class −1 until ``draw.js`` gives it the chosen one.
    """
    e = _equation_geometry(names, width)
    cols: dict[str, list] = {c: [] for c in ("x", "y", "text", "sup", "role", "cls", "rx", "ry", "rw", "rh", "hl")}

    def piece(x, y, text, role, cls=-1, box=(0.0, 0.0, 0.0, 0.0)) -> None:
        for name, value in zip(cols, (x, -y, text, "", role, cls, box[0], -box[1], box[2], box[3], 0), strict=True):
            cols[name].append(value)

    def term(left: float, y: float, cls: int) -> None:
        piece(left + 14, y, "e", "term", cls, (left + 29, y - 4, 54.0, 24.0))

    piece(e["left"] - 10, e["bar_y"], "", "lhs")
    term(e["left"] + (e["frac_w"] - 52) / 2, e["num_y"], -1)
    for j in range(e["n"]):
        left, y = _term_slot(e, j)
        term(left, y, j)
    for j in range(e["n"] - 1):
        left, y = _term_slot(e, j)
        piece(left + _SLOT - 10, y, "+", "op")
    right = e["right"]
    piece(right + 6, e["bar_y"], "=", "op")
    piece(right + 58, e["num_y"], "", "value")
    piece(right + 58, e["bar_y"] + 20, "", "value")
    piece(right + 104, e["bar_y"], "", "result")
    return cols


# -- the view -------------------------------------------------------------------
def softmax_view(trace: Trace, *, key: str = "softmax", width: int = VIEW_WIDTH):
    """The softmax formula view of ``trace`` (CNN Explainer's Fig. 6D), as a Bokeh layout.

    Point at a class (its circle or its row) to highlight its terms in the
    equation, and at a term to highlight its class; click a class to write the
    equation for it. Models are named ``<key>:...``: ``:table``, ``:equation``
    (the two figures) and the sources ``:classes``, ``:terms``, ``:choice``.
    The browser writes ``trace``'s numbers into them (``fill.js``), for the first frame too.
    """
    check_trace(trace)
    if trace.network.num_classes < 1:  # pragma: no cover - Network always has outputs
        raise TraceError("The network has no classes.")
    names = tuple(trace.network.class_name(k) for k in range(trace.network.num_classes))
    src = {name: ColumnDataSource(columns, name=f"{key}:{name}") for name, columns in _skeleton(names, width).items()}
    t = _table_geometry(names, width)
    table = _frame(f"{key}:table", t["height"], width)
    mapper = _draw_table(table, src["classes"], t, width)
    eq = _frame(f"{key}:equation", _equation_geometry(names, width)["height"], width)
    _draw_equation(eq, src["terms"], _equation_geometry(names, width))
    as_image(table, "The classes' logits and probabilities")
    as_image(eq, "The softmax equation of one class")
    draw = custom_js("softmax_view/draw", classes=src["classes"], terms=src["terms"], choice=src["choice"])
    describe = describe_callback(
        "softmax_view",
        table=table,
        equation=eq,
        classes=src["classes"],
        terms=src["terms"],
        choice=src["choice"],
        meta=dict(picture=picture_name(trace)),
    )
    _wire(table, eq, src, draw, describe)
    note = Div(
        text="<div class='xv-note'>Point at a class to find its term in the equation, or at a term to find its "
        "class; click a class to write the equation for it. Circles: the logits, from light (smallest) to dark "
        "orange (largest).</div>",
        stylesheets=[panel_css()],
        sizing_mode="stretch_width",
    )
    layout = column(table, eq, note, name=f"{key}:layout", width=width)
    fill = refill_callback(
        "softmax_view",
        picture=picture_source(trace),
        classes=src["classes"],
        choice=src["choice"],
        mapper=mapper,
        draw=draw,
        meta=dict(bar_x=t["bar_x"], bar_len=t["bar_len"]),
    )
    layout.tags = [fill, describe]
    return layout


def _frame(name: str, height: float, width: int) -> figure:
    return bare_figure(
        x_range=Range1d(0, width),
        y_range=Range1d(-height, 0),
        frame_width=int(width),
        frame_height=int(round(height)),
        tools="",
        toolbar_location=None,
        name=name,
        min_border=0,
        outline_line_color=None,
    )


def _draw_table(table: figure, classes: ColumnDataSource, t: dict, width: int) -> LinearColorMapper:
    """The table of classes; returns the circles' colour mapper (its range is written by ``fill.js``)."""
    table.rect(
        width / 2, "y", width=width - 4, height=_ROW - 2, source=classes, fill_color=_ROW_HL, fill_alpha="hl",
        line_color=None,
    )
    heads = [
        (t["name_x"], "class", "right"),
        (t["logit_x"] - 16, "logit z", "left"),
        (t["exp_x"], "eᶻ", "right"),
        (t["bar_x"], "probability p = eᶻ / Σ eᶻ", "left"),
    ]
    table.text(
        [h[0] for h in heads],
        [-_HEADER / 2] * len(heads),
        text=[h[1] for h in heads],
        text_align=[h[2] for h in heads],
        text_baseline="middle",
        text_font_size="12px",
        text_font_style="bold",
        text_color=_TEXT,
    )
    row_text = dict(source=classes, text_baseline="middle", text_font_size="13px")
    table.text(t["name_x"], "y", text="name", text_align="right", text_color=_TEXT, text_font_style="style", **row_text)
    mapper = LinearColorMapper(palette=list(LOGIT), low=0, high=1)
    circle = dict(source=classes, marker="circle")
    table.scatter(t["circle_x"], "y", size=18, fill_color=transform("logit", mapper), line_color="#9ca3af", **circle)
    table.scatter(
        t["circle_x"], "y", size=25, fill_color=None, line_color="#111827", line_width=2.2, line_alpha="hl", **circle
    )
    table.text(t["logit_x"], "y", text="logit_text", text_align="left", text_color=_SOFT, **row_text)
    table.text(t["exp_x"], "y", text="exp_text", text_align="right", text_color=_SOFT, **row_text)
    table.hbar(
        y="y", left=t["bar_x"], right="right", height=_ROW * 0.55, source=classes, fill_color=_BAR, line_color=None
    )
    table.text(x="right", y="y", x_offset=5, text="prob_text", text_align="left", text_color=_SOFT, **row_text)
    return mapper


def _draw_equation(eq: figure, terms: ColumnDataSource, e: dict) -> None:
    """The equation's glyphs: one text glyph per role, the highlight boxes and the fraction bars."""
    roles = terms.data["role"]

    def only(*wanted: str) -> CDSView:
        return CDSView(filter=IndexFilter([i for i, r in enumerate(roles) if r in wanted]))

    eq.rect(
        "rx", "ry", width="rw", height="rh", source=terms, view=only("term"), fill_color=_HL, fill_alpha="hl",
        line_color=None,
    )
    eq.segment(
        [e["left"], e["right"] + 22],
        [-e["bar_y"]] * 2,
        [e["left"] + e["frac_w"], e["right"] + 94],
        [-e["bar_y"]] * 2,
        line_color=_TEXT,
        line_width=1.2,
    )
    text = dict(x="x", y="y", source=terms, text_baseline="middle", text_color=_TEXT)
    eq.text(text="text", view=only("lhs"), text_align="right", text_font_size="14px", **text)
    eq.text(text="text", view=only("op"), text_align="left", text_font_size="14px", **text)
    eq.text(text="text", view=only("term"), text_align="right", text_font_size="15px", text_font_style="italic", **text)
    eq.text(text="sup", view=only("term"), text_align="left", x_offset=1, y_offset=-7, text_font_size="11px", **text)
    eq.text(text="text", view=only("value"), text_align="center", text_font_size="13px", **text)
    eq.text(text="text", view=only("result"), text_align="left", text_font_size="14px", text_font_style="bold", **text)


def _wire(table: figure, eq: figure, src: dict, draw, describe) -> None:
    """Pointing links the two parts both ways; a click on a class writes its equation."""
    for plot, which in ((table, "table"), (eq, "equation")):
        hover = custom_js(
            "softmax_view/hover", classes=src["classes"], terms=src["terms"], which=which, row=_ROW, header=_HEADER
        )
        plot.js_on_event(events.MouseMove, hover)
        plot.js_on_event(events.MouseLeave, hover)
    choose = custom_js(
        "softmax_view/choose", classes=src["classes"], choice=src["choice"], draw=draw, describe=describe,
        row=_ROW, header=_HEADER,
    )
    table.js_on_event(events.Tap, choose)
