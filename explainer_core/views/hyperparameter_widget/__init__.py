"""The hyperparameter widget: how input size, padding, kernel size and stride shape a convolution.

CNN Explainer's article has a stand-alone widget (Sect. 6.6, Fig. 7) where the
learner changes the four hyperparameters and watches the kernel slide over the
padded input and the output grid change size. This one does the same in the
browser: the sliders' callback recomputes everything with a JavaScript port of
:mod:`explainer_core.arithmetic.hyperparams` (``hyperparameter_widget/math.js``), so the validity rule,
the output size and the one-sentence reasons for invalid combinations are the
Python module's, word for word. An invalid combination is explained in words and
the grids stay on screen.

:func:`hyperparameter_data` computes what the widget's data sources hold for one
combination (the browser recomputes the same columns); :func:`hyperparameter_widget`
draws it.

Explained in the chapter "Understanding hyperparameters" (book/05_hyperparameters.md).
"""

from __future__ import annotations

from bokeh.layouts import column, row
from bokeh.models import ColumnDataSource, CustomJS, Div, Range1d, Slider

from ...arithmetic.hyperparams import check_hyperparameters, window_positions
from ...errors import HyperparameterError
from ..kit import VIEW_WIDTH, as_image, bare_figure, custom_js, describe_callback, js_source, panel_css, play_controls

__all__ = ["RANGES", "hyperparameter_data", "hyperparameter_widget"]

#: Slider ranges (inclusive): small enough that every cell and its label stay readable.
RANGES = {"input_size": (1, 8), "padding": (0, 3), "kernel_size": (1, 6), "stride": (1, 4)}
#: The drawing area in pixels; the grids are scaled to fill it (cells at most MAX_CELL pixels).
FRAME = (VIEW_WIDTH - 20, 320)
MAX_CELL = 44
#: Colours: real input cells, padding cells, output cells already computed and not yet.
COLORS = {
    "input": "#dbeafe",
    "padding": "#eceef1",
    "done": "#60a5fa",
    "todo": "#ffffff",
    "kernel": "#f59e0b",
    "kernel_line": "#b45309",
    "outside": "#dc2626",  # kernel cells that stick out of the padded input
    "outside_fill": "#fecaca",
}
#: Milliseconds per kernel position while playing.
HYPER_INTERVAL = 600


def _check_value(name: str, value) -> int:
    low, high = RANGES[name]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise HyperparameterError(f"The widget's {name.replace('_', ' ')} goes from {low} to {high}, not {value!r}.")
    return value


def _frame(padded: int, kernel_size: int, output_size: int) -> dict[str, float]:
    """Where the grids go, in cells (y grows upwards, the input's top-left corner at (0, 0)),
    and the ranges that show them at one size with square cells (update.js mirrors this)."""
    side = max(padded, kernel_size)
    out_x = side + 3
    out_top = -(padded - output_size) / 2 if output_size else 0.0
    wide = out_x + max(output_size, 3) + 1.2
    tall = side + 1.9
    cell = min(FRAME[0] / wide, FRAME[1] / tall, MAX_CELL)
    x0 = -0.6 - (FRAME[0] / cell - wide) / 2  # centred across the drawing area
    y1 = 1.3
    return dict(out_x=out_x, out_top=out_top, x0=x0, x1=x0 + FRAME[0] / cell, y0=y1 - FRAME[1] / cell, y1=y1)


def hyperparameter_data(
    input_size: int = 5, padding: int = 0, kernel_size: int = 3, stride: int = 1, position: int | None = None
) -> dict[str, dict[str, list]]:
    """The columns of the widget's sources for one combination, the kernel at ``position`` (default: the last).

    Sources: ``cells`` (the padded input, ``kind`` "input" or "padding", ``hatch``
    marking cells no window visits), ``positions`` (:func:`window_positions`),
    ``kernel`` (the kernel's cells at the current position), ``out`` (the output grid,
    computed cells filled), ``current`` (the current output cell) and ``titles``.
    Mirrors ``update.js``, which recomputes them in the browser.
    """
    n, p, k, s = (
        _check_value(name, v)
        for name, v in (
            ("input_size", input_size),
            ("padding", padding),
            ("kernel_size", kernel_size),
            ("stride", stride),
        )
    )
    check = check_hyperparameters(n, k, s, p)
    padded = n + 2 * p
    stops = window_positions(n, k, s, p) if check.output_size is not None else ()
    last = len(stops) - 1
    position = last if position is None else max(0, min(position, last))
    reach = padded - check.left_out  # cells past this are never visited

    cells = dict(x=[], y=[], kind=[], fill=[], text=[], hatch=[])
    for i in range(padded):
        for j in range(padded):
            pad = not (p <= i < p + n and p <= j < p + n)
            cells["x"].append(j + 0.5)
            cells["y"].append(-(i + 0.5))
            cells["kind"].append("padding" if pad else "input")
            cells["fill"].append(COLORS["padding" if pad else "input"])
            cells["text"].append("0" if pad else "")
            cells["hatch"].append("/" if (i >= reach or j >= reach) else " ")

    positions = dict(
        output_row=[w.output_row for w in stops],
        output_col=[w.output_col for w in stops],
        top=[w.top for w in stops],
        left=[w.left for w in stops],
    )
    top, left = (stops[position].top, stops[position].left) if stops else (0, 0)
    kernel = dict(x=[], y=[], line=[], fill=[])
    for i in range(k):
        for j in range(k):
            outside = top + i >= padded or left + j >= padded  # only when the kernel does not fit
            kernel["x"].append(left + j + 0.5)
            kernel["y"].append(-(top + i + 0.5))
            kernel["line"].append(COLORS["outside"] if outside else COLORS["kernel_line"])
            kernel["fill"].append(COLORS["outside_fill"] if outside else COLORS["kernel"])
    size = check.output_size or 0
    frame = _frame(padded, k, size)
    out_x, out_top = frame["out_x"], frame["out_top"]
    out = dict(x=[], y=[], fill=[])
    for r in range(size):
        for c in range(size):
            out["x"].append(out_x + c + 0.5)
            out["y"].append(out_top - (r + 0.5))
            out["fill"].append(COLORS["done"] if r * size + c <= position else COLORS["todo"])
    current = dict(x=[], y=[])
    if stops:
        current["x"].append(out_x + stops[position].output_col + 0.5)
        current["y"].append(out_top - (stops[position].output_row + 0.5))
    input_title = f"Input {n}×{n}" + (f", padded to {padded}×{padded}" if p else "")
    output_title = f"Output {size}×{size}" if size else "No output"
    titles = dict(x=[0.0, float(out_x)], y=[0.45, out_top + 0.45], text=[input_title, output_title])
    ranges = dict(
        x0=[frame["x0"]], x1=[frame["x1"]], y0=[frame["y0"]], y1=[frame["y1"]], out_x=[out_x], out_top=[out_top]
    )
    return dict(cells=cells, positions=positions, kernel=kernel, out=out, current=current, titles=titles, frame=ranges)


def _message(n: int, p: int, k: int, s: int) -> str:
    """The sentence under the grids (update.js writes the same HTML)."""
    check = check_hyperparameters(n, k, s, p)
    if check.valid:
        return (
            f"<div class='xv-line xv-good'>Valid: the kernel visits every cell.</div>"
            f"<div class='xv-line'>Output size = (n + 2p − k) / s + 1 = ({n} + 2·{p} − {k}) / {s} + 1 = "
            f"<b>{check.output_size}</b>, so the output is {check.output_size}×{check.output_size}.</div>"
        )
    return f"<div class='xv-line xv-bad'>Invalid: <span class='xv-reason'>{check.reason}</span></div>"


def hyperparameter_widget(
    input_size: int = 5,
    padding: int = 0,
    kernel_size: int = 3,
    stride: int = 1,
    *,
    key: str = "hyper",
    width: int = VIEW_WIDTH,
):
    """CNN Explainer's hyperparameter widget with the given starting values (see :data:`RANGES`).

    Models are named ``<key>:input_size``, ``<key>:padding``, ``<key>:kernel_size``,
    ``<key>:stride`` (sliders), ``<key>:message`` (the sentence), ``<key>:figure``,
    ``<key>:play``, ``<key>:position`` and ``<key>:math`` (the JavaScript arithmetic,
    a ``CustomJS`` whose ``execute`` returns its functions).
    """
    values = dict(input_size=input_size, padding=padding, kernel_size=kernel_size, stride=stride)
    data = hyperparameter_data(**values)
    sources = {name: ColumnDataSource(cols, name=f"{key}:{name}") for name, cols in data.items()}

    frame = data["frame"]
    p = bare_figure(
        x_range=Range1d(frame["x0"][0], frame["x1"][0]),
        y_range=Range1d(frame["y0"][0], frame["y1"][0]),
        frame_width=FRAME[0],
        frame_height=FRAME[1],
        tools="",
        toolbar_location=None,
        name=f"{key}:figure",
        min_border=0,
        outline_line_color=None,
    )
    p.rect(
        "x",
        "y",
        width=0.94,
        height=0.94,
        source=sources["cells"],
        fill_color="fill",
        line_color="#94a3b8",
        line_width=0.8,
        hatch_pattern="hatch",
        hatch_color="#dc2626",
        hatch_alpha=0.55,
        hatch_scale=8,
    )
    p.text(
        "x",
        "y",
        text="text",
        source=sources["cells"],
        text_align="center",
        text_baseline="middle",
        text_font_size="11px",
        text_color="#6b7280",
    )
    p.rect(
        "x",
        "y",
        width=1,
        height=1,
        source=sources["kernel"],
        fill_color="fill",
        fill_alpha=0.35,
        line_color="line",
        line_width=1.5,
        line_dash="solid",
        name=f"{key}:kernel-glyph",
    )
    p.rect(
        "x",
        "y",
        width=0.94,
        height=0.94,
        source=sources["out"],
        fill_color="fill",
        line_color="#94a3b8",
        line_width=0.8,
    )
    p.rect("x", "y", width=1, height=1, source=sources["current"], fill_color=None, line_color="#b45309", line_width=3)
    p.text(
        "x",
        "y",
        text="text",
        source=sources["titles"],
        text_align="left",
        text_baseline="bottom",
        text_font_size="13px",
        text_font_style="bold",
        text_color="#374151",
    )

    sliders = {}
    for name, value in values.items():
        low, high = RANGES[name]
        sliders[name] = Slider(
            start=low,
            end=high,
            value=value,
            step=1,
            title=name.replace("_", " ").capitalize(),
            name=f"{key}:{name}",
            sizing_mode="stretch_width",
            margin=(5, 12),
        )
    positions = len(data["positions"]["top"])
    toggle, slider = play_controls(key, positions, interval=HYPER_INTERVAL, title="Kernel position")
    message = Div(
        text=_message(input_size, padding, kernel_size, stride),
        name=f"{key}:message",
        stylesheets=[panel_css()],
        sizing_mode="stretch_width",
        min_height=48,
    )
    math = CustomJS(code=js_source("hyperparameter_widget/math"), name=f"{key}:math")
    as_image(p, "The kernel sliding over the padded input, and the output grid")
    describe = describe_callback(
        "hyperparameter_widget",
        plot=p,
        slider=slider,
        positions=sources["positions"],
        **{name: s for name, s in sliders.items()},
    )
    common = dict(
        math=math,
        toggle=toggle,
        slider=slider,
        message=message,
        colors=COLORS,
        x_range=p.x_range,
        y_range=p.y_range,
        frame_px=list(FRAME),
        max_cell=MAX_CELL,
        describe=describe,
        **{f"{name}_slider": s for name, s in sliders.items()},
        **sources,
    )
    rebuild = custom_js("hyperparameter_widget/update", **common)
    for s in sliders.values():
        s.js_on_change("value", rebuild)
    slider.js_on_change(
        "value",
        custom_js(
            "hyperparameter_widget/position",
            slider=slider,
            positions=sources["positions"],
            kernel=sources["kernel"],
            out=sources["out"],
            current=sources["current"],
            kernel_size=sliders["kernel_size"],
            frame=sources["frame"],
            colors=COLORS,
            describe=describe,
        ),
    )
    legend = Div(
        text=(
            "<div class='xv-note'><span style='background:#dbeafe;border:1px solid #94a3b8;padding:0 6px'>&nbsp;</span>"
            " input &nbsp; <span style='background:#eceef1;border:1px solid #94a3b8;padding:0 4px'>0</span> padding"
            " &nbsp; <span style='background:rgba(245,158,11,.35);border:1px solid #b45309;padding:0 6px'>&nbsp;"
            "</span> kernel &nbsp; <span style='background:#60a5fa;border:1px solid #94a3b8;padding:0 6px'>&nbsp;"
            "</span> computed output &nbsp; <span style='color:#dc2626'>///</span> never visited</div>"
        ),
        stylesheets=[panel_css()],
        sizing_mode="stretch_width",
    )
    layout = column(
        row(*sliders.values(), sizing_mode="stretch_width"),
        p,
        legend,
        message,
        row(toggle, slider, sizing_mode="stretch_width"),
        name=f"{key}:layout",
        width=width,
    )
    layout.tags = [describe]
    return layout
