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
combination; :func:`hyperparameter_widget` draws it, in the order sources -> figure ->
glyphs -> controls -> wiring.

Twins: :func:`hyperparameter_data` (with :func:`_message`) is the Python first frame of
what ``update.js`` recomputes in the browser whenever a hyperparameter slider moves: the
same seven sources, column for column, with the kernel at its last stop. The pair is
listed in :mod:`explainer_core.twins` under ``"hyperparameters"`` (the entry names the
arithmetic both sides call, ``arithmetic/hyperparams.py`` and ``math.js``, and the test
modules that compare them); ``test_the_browser_draws_what_python_draws`` in
``tests/test_browser_hyperparameters.py`` moves the sliders in the built chapter and
compares every column ``update.js`` writes with this function's. Change one side, change both.

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
#: The key under the grids (its swatches use COLORS' input, padding, kernel and done colours).
LEGEND = (
    "<div class='xv-note'><span style='background:#dbeafe;border:1px solid #94a3b8;padding:0 6px'>&nbsp;</span>"
    " input &nbsp; <span style='background:#eceef1;border:1px solid #94a3b8;padding:0 4px'>0</span> padding"
    " &nbsp; <span style='background:rgba(245,158,11,.35);border:1px solid #b45309;padding:0 6px'>&nbsp;"
    "</span> kernel &nbsp; <span style='background:#60a5fa;border:1px solid #94a3b8;padding:0 6px'>&nbsp;"
    "</span> computed output &nbsp; <span style='color:#dc2626'>///</span> never visited</div>"
)


# --------------------------------------------------------------------------- the data (update.js's twin)


def _check_value(name: str, value) -> int:
    """``value`` if the slider ``name`` can show it: the widget never draws what its sliders cannot reach."""
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
    computed cells filled), ``current`` (the current output cell), ``titles`` and
    ``frame`` (the figure's ranges and where the output grid starts).
    The browser's twin is ``update.js``, which recomputes them when a slider moves
    (see the module's docstring for the test that compares the two).
    """
    values = dict(input_size=input_size, padding=padding, kernel_size=kernel_size, stride=stride)
    n, p, k, s = (_check_value(name, value) for name, value in values.items())
    check = check_hyperparameters(n, k, s, p)
    padded = n + 2 * p
    stops = window_positions(n, k, s, p) if check.output_size is not None else ()
    last = len(stops) - 1
    position = last if position is None else max(0, min(position, last))
    stop = stops[position] if stops else None
    size = check.output_size or 0
    frame = _frame(padded, k, size)
    return dict(
        cells=_cell_columns(n, p, reach=padded - check.left_out),
        positions=_position_columns(stops),
        kernel=_kernel_columns(k, padded, stop),
        out=_output_columns(size, position, frame),
        current=_current_columns(stop, frame),
        titles=_title_columns(n, p, size, frame),
        frame=_range_columns(frame),
    )


def _cell_columns(n: int, p: int, reach: int) -> dict[str, list]:
    """The padded input, row by row: padding reads 0, and cells past ``reach`` are hatched (no window visits them)."""
    padded = n + 2 * p
    cells = dict(x=[], y=[], kind=[], fill=[], text=[], hatch=[])
    for i in range(padded):
        for j in range(padded):
            kind = "input" if p <= i < p + n and p <= j < p + n else "padding"
            cells["x"].append(j + 0.5)
            cells["y"].append(-(i + 0.5))
            cells["kind"].append(kind)
            cells["fill"].append(COLORS[kind])
            cells["text"].append("0" if kind == "padding" else "")
            cells["hatch"].append("/" if (i >= reach or j >= reach) else " ")
    return cells


def _position_columns(stops) -> dict[str, list]:
    """Every stop of the kernel, kept in the page so that position.js moves it without redoing the arithmetic."""
    return dict(
        output_row=[w.output_row for w in stops],
        output_col=[w.output_col for w in stops],
        top=[w.top for w in stops],
        left=[w.left for w in stops],
    )


def _kernel_columns(k: int, padded: int, stop) -> dict[str, list]:
    """The kernel at ``stop`` (top-left without one), red where it sticks out, so a kernel too large shows why."""
    top, left = (stop.top, stop.left) if stop is not None else (0, 0)
    kernel = dict(x=[], y=[], line=[], fill=[])
    for i in range(k):
        for j in range(k):
            outside = top + i >= padded or left + j >= padded  # only when the kernel does not fit
            kernel["x"].append(left + j + 0.5)
            kernel["y"].append(-(top + i + 0.5))
            kernel["line"].append(COLORS["outside"] if outside else COLORS["kernel_line"])
            kernel["fill"].append(COLORS["outside_fill"] if outside else COLORS["kernel"])
    return kernel


def _output_columns(size: int, position: int, frame: dict[str, float]) -> dict[str, list]:
    """The output grid beside the input, filled up to ``position`` so the reader sees one cell per kernel stop."""
    out = dict(x=[], y=[], fill=[])
    for r in range(size):
        for c in range(size):
            out["x"].append(frame["out_x"] + c + 0.5)
            out["y"].append(frame["out_top"] - (r + 0.5))
            out["fill"].append(COLORS["done"] if r * size + c <= position else COLORS["todo"])
    return out


def _current_columns(stop, frame: dict[str, float]) -> dict[str, list]:
    """The output cell the kernel at ``stop`` computes (none without a stop), outlined to pair it with the kernel."""
    if stop is None:
        return dict(x=[], y=[])
    return dict(x=[frame["out_x"] + stop.output_col + 0.5], y=[frame["out_top"] - (stop.output_row + 0.5)])


def _title_columns(n: int, p: int, size: int, frame: dict[str, float]) -> dict[str, list]:
    """The two grids' titles, with their sizes, so the size formula can be checked by eye."""
    padded = n + 2 * p
    input_title = f"Input {n}×{n}" + (f", padded to {padded}×{padded}" if p else "")
    output_title = f"Output {size}×{size}" if size else "No output"
    return dict(x=[0.0, float(frame["out_x"])], y=[0.45, frame["out_top"] + 0.45], text=[input_title, output_title])


def _range_columns(frame: dict[str, float]) -> dict[str, list]:
    """:func:`_frame` as one-row columns, so the browser callbacks read the ranges and the output grid's corner."""
    return dict(
        x0=[frame["x0"]],
        x1=[frame["x1"]],
        y0=[frame["y0"]],
        y1=[frame["y1"]],
        out_x=[frame["out_x"]],
        out_top=[frame["out_top"]],
    )


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


# --------------------------------------------------------------------------- the widget


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
    # sources: the first frame, computed in Python (update.js computes the next ones)
    values = dict(input_size=input_size, padding=padding, kernel_size=kernel_size, stride=stride)
    data = hyperparameter_data(**values)
    sources = {name: ColumnDataSource(columns, name=f"{key}:{name}") for name, columns in data.items()}
    # figure and glyphs, drawn bottom to top: the input, the kernel over it, the output, the titles
    plot = _figure(data["frame"], key)
    _draw_input(plot, sources["cells"])
    _draw_kernel(plot, sources["kernel"], key)
    _draw_output(plot, sources["out"], sources["current"])
    _draw_titles(plot, sources["titles"])
    # controls: the four hyperparameters, the kernel's player and the verdict
    sliders = _sliders(values, key)
    stops = len(data["positions"]["top"])
    toggle, slider = play_controls(key, stops, interval=HYPER_INTERVAL, title="Kernel position")
    message = _message_div(input_size, padding, kernel_size, stride, key)
    # wiring: the text alternative, a new combination redraws everything, a new position moves the kernel
    describe = describe_callback(
        "hyperparameter_widget", plot=plot, slider=slider, positions=sources["positions"], **sliders
    )
    _wire_hyperparameters(
        sliders, plot, sources, math=_math(key), toggle=toggle, slider=slider, message=message, describe=describe
    )
    _wire_position(slider, sliders["kernel_size"], sources, describe)
    layout = column(
        row(*sliders.values(), sizing_mode="stretch_width"),
        plot,
        _legend(),
        message,
        row(toggle, slider, sizing_mode="stretch_width"),
        name=f"{key}:layout",
        width=width,
    )
    layout.tags = [describe]
    return layout


def _figure(frame: dict[str, list], key: str):
    """A fixed-size canvas (``<key>:figure``) whose ranges make the cells square; update.js moves the ranges."""
    plot = bare_figure(
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
    return as_image(plot, "The kernel sliding over the padded input, and the output grid")


def _draw_input(plot, cells: ColumnDataSource) -> None:
    """The padded input, hatched red where no window goes, with the padding's zeros written so it reads as data."""
    plot.rect(
        "x",
        "y",
        width=0.94,
        height=0.94,
        source=cells,
        fill_color="fill",
        line_color="#94a3b8",
        line_width=0.8,
        hatch_pattern="hatch",
        hatch_color="#dc2626",
        hatch_alpha=0.55,
        hatch_scale=8,
    )
    plot.text(
        "x",
        "y",
        text="text",
        source=cells,
        text_align="center",
        text_baseline="middle",
        text_font_size="11px",
        text_color="#6b7280",
    )


def _draw_kernel(plot, kernel: ColumnDataSource, key: str) -> None:
    """The kernel as see-through cells (``<key>:kernel-glyph``) over the input, so the cells under it stay visible."""
    plot.rect(
        "x",
        "y",
        width=1,
        height=1,
        source=kernel,
        fill_color="fill",
        fill_alpha=0.35,
        line_color="line",
        line_width=1.5,
        line_dash="solid",
        name=f"{key}:kernel-glyph",
    )


def _draw_output(plot, out: ColumnDataSource, current: ColumnDataSource) -> None:
    """The output grid and the outline of the cell the kernel computes now, so input stop and output cell pair up."""
    plot.rect("x", "y", width=0.94, height=0.94, source=out, fill_color="fill", line_color="#94a3b8", line_width=0.8)
    plot.rect("x", "y", width=1, height=1, source=current, fill_color=None, line_color="#b45309", line_width=3)


def _draw_titles(plot, titles: ColumnDataSource) -> None:
    """The grids' titles above their top-left corners, so their sizes can be read without counting cells."""
    plot.text(
        "x",
        "y",
        text="text",
        source=titles,
        text_align="left",
        text_baseline="bottom",
        text_font_size="13px",
        text_font_style="bold",
        text_color="#374151",
    )


def _sliders(values: dict[str, int], key: str) -> dict[str, Slider]:
    """One slider per hyperparameter (``<key>:<name>``) over its :data:`RANGES`, so only legible grids are offered."""
    return {
        name: Slider(
            start=RANGES[name][0],
            end=RANGES[name][1],
            value=value,
            step=1,
            title=name.replace("_", " ").capitalize(),
            name=f"{key}:{name}",
            sizing_mode="stretch_width",
            margin=(5, 12),
        )
        for name, value in values.items()
    }


def _message_div(n: int, p: int, k: int, s: int, key: str) -> Div:
    """The verdict panel (``<key>:message``), tall enough for two lines so the page does not jump when it changes."""
    return Div(
        text=_message(n, p, k, s),
        name=f"{key}:message",
        stylesheets=[panel_css()],
        sizing_mode="stretch_width",
        min_height=48,
    )


def _legend() -> Div:
    """The key to the grids' colours and hatching, since the figure itself has no legend."""
    return Div(text=LEGEND, stylesheets=[panel_css()], sizing_mode="stretch_width")


def _math(key: str) -> CustomJS:
    """math.js as a ``CustomJS`` (``<key>:math``) whose ``execute`` hands update.js and the tests its functions."""
    return CustomJS(code=js_source("hyperparameter_widget/math"), name=f"{key}:math")


def _wire_hyperparameters(
    sliders: dict[str, Slider],
    plot,
    sources: dict[str, ColumnDataSource],
    *,
    math: CustomJS,
    toggle,
    slider: Slider,
    message: Div,
    describe: CustomJS,
) -> None:
    """Each hyperparameter slider runs update.js: a new combination changes every source, range and sentence."""
    rebuild = custom_js(
        "hyperparameter_widget/update",
        math=math,
        toggle=toggle,
        slider=slider,
        message=message,
        colors=COLORS,
        x_range=plot.x_range,
        y_range=plot.y_range,
        frame_px=list(FRAME),
        max_cell=MAX_CELL,
        describe=describe,
        **{f"{name}_slider": s for name, s in sliders.items()},
        **sources,
    )
    for s in sliders.values():
        s.js_on_change("value", rebuild)


def _wire_position(
    slider: Slider, kernel_size: Slider, sources: dict[str, ColumnDataSource], describe: CustomJS
) -> None:
    """The position slider runs position.js, which moves the kernel along the stops already in the page."""
    slider.js_on_change(
        "value",
        custom_js(
            "hyperparameter_widget/position",
            slider=slider,
            positions=sources["positions"],
            kernel=sources["kernel"],
            out=sources["out"],
            current=sources["current"],
            kernel_size=kernel_size,
            frame=sources["frame"],
            colors=COLORS,
            describe=describe,
        ),
    )
