"""What the three formula views share (CNN Explainer, Sect. 6.3, Fig. 6A-C): :class:`FormulaView`.

Like torch-cam's ``_CAM``, the base owns the flow every formula view follows:
sources → figures → glyphs → controls → wiring, and the drawing machinery (the
two heatmaps, the zoom row of written-out numbers, the player). A kind
(convolution, ReLU, max pooling; :mod:`explainer_core.views.formula_views`)
supplies only what differs: its step, its titles and note, its zoom panels and,
for the convolution, the kernel. Python builds the skeleton; every number of the
picture is written in the browser (fill.js, then position.js at each window).
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
from bokeh import events
from bokeh.layouts import column, row
from bokeh.models import CDSView, ColumnDataSource, Div, IndexFilter, LinearColorMapper, Range1d, Text
from bokeh.plotting import figure
from bokeh.transform import transform

from ...arithmetic.network import LayerSpec
from ...arithmetic.trace import Trace
from ..kit import (
    VIEW_WIDTH,
    as_image,
    bare_figure,
    check_index,
    custom_js,
    describe_callback,
    fmt,
    map_mapper,
    panel_css,
    picture_name,
    play_controls,
    refill_callback,
)
from ..kit.refill import picture_source

#: Grey of padding cells (zeros for a convolution, −∞ for max pooling).
PAD_COLOR = "#d9dde3"
#: Milliseconds per window position while playing: slow enough to read the formula.
FORMULA_INTERVAL = 450
NO_PADDING = ((0, 0), (0, 0))


class FormulaView:
    """One formula view: map ``channel`` of the step's input beside map ``neuron`` of its output.

    A kind sets :attr:`kind` and implements :meth:`titles`, :meth:`note`, :meth:`meta` and
    :meth:`zoom` (and :meth:`extra_sources` if it has more sources); the rest is shared. The
    picture's numbers are written in the browser: fill.js and position.js.
    """

    #: How the browser callbacks (formula_views/*.js) tell the kinds apart.
    kind: ClassVar[str]
    #: Minimum height of the formula in pixels (the convolution's has two lines).
    formula_height: ClassVar[int] = 30

    def __init__(self, trace: Trace, spec: LayerSpec, neuron: int, channel: int, *, position=0, key=None):
        self.trace, self.spec = trace, spec
        self.neuron, self.channel = neuron, channel
        self.in_h, self.in_w = spec.input_shape[:2]
        self.out_h, self.out_w = spec.output_shape[:2]
        self.position = check_index(position, self.out_h * self.out_w, "position", spec.name)
        self.key = key or f"{self.kind}-formula-{spec.name}"

    # -- what a kind supplies ------------------------------------------------------
    def titles(self) -> tuple[str, str]:
        """The titles of the input and the output heatmap."""
        raise NotImplementedError

    def note(self) -> str:
        """The sentence under the player."""
        raise NotImplementedError

    def meta(self) -> dict:
        """What the browser callbacks need besides the sizes: layer, neuron, ..."""
        raise NotImplementedError

    def zoom(self, in_mapper: LinearColorMapper, out_mapper: LinearColorMapper) -> _Zoom:
        """The empty zoom panels and the signs between them."""
        raise NotImplementedError

    def extra_sources(self) -> dict[str, dict]:
        """The kind's sources besides the two heatmaps, by name (the convolution's kernel and sums)."""
        return {}

    # -- shared by the kinds -------------------------------------------------------
    @property
    def geometry(self) -> tuple[tuple[int, int], tuple[int, int], tuple]:
        """The window, strides and padding that link an output pixel to its input numbers."""
        return self.spec.window, self.spec.strides, self.spec.pads

    @staticmethod
    def placeholder() -> np.ndarray:
        """An image cell fill.js replaces with the picture's map (``ExplainerKit.grid`` copies its kind)."""
        return np.zeros((1, 1), np.float32)

    # -- the common flow -----------------------------------------------------------
    def layout(self, width: int = VIEW_WIDTH):
        """Sources → figures → glyphs → controls → wiring: the whole view."""
        key = self.key
        in_mapper = map_mapper(self.trace, self.spec.name, self.channel, of_input=True)
        out_mapper = map_mapper(self.trace, self.spec.name, self.neuron)
        for mapper in (in_mapper, out_mapper):  # ranges of the picture: fill.js
            mapper.update(low=0.0, high=1.0)
        sources = self._sources()
        # figures and their glyphs: the two heatmaps, then the zoom row (its numbers: position.js)
        p_in, p_out = self._heatmaps(sources, in_mapper, out_mapper, size=min(300, (width - 60) // 2))
        zoom = self.zoom(in_mapper, out_mapper)
        p_zoom, sources["zoom"], sources["marks"] = zoom.figure(f"{key}:zoom", cell_px=58, max_width=width)
        # controls: the player, and the formula it drives (written by position.js)
        toggle, slider = play_controls(key, self.out_h * self.out_w, interval=FORMULA_INTERVAL, value=self.position)
        formula = Div(
            text="",
            name=f"{key}:formula",
            stylesheets=[panel_css()],
            sizing_mode="stretch_width",
            min_height=self.formula_height,
        )
        # wiring: the slider moves the windows, the zoom and the formula; hovering a heatmap moves the slider
        meta = self._browser_meta()
        update = self._wire(sources, (p_in, p_out), toggle, slider, formula, meta)
        # the layout, top to bottom; its tags carry the refill and the text alternatives
        arrow = Div(text="<div style='font-size:26px;color:#6b7280;padding-top:40px'>→</div>", width=30)
        note = Div(
            text=f"<div class='xv-note'>{self.note()}</div>", stylesheets=[panel_css()], sizing_mode="stretch_width"
        )
        layout = column(
            row(p_in, arrow, p_out),
            p_zoom,
            formula,
            row(toggle, slider, sizing_mode="stretch_width"),
            note,
            name=f"{key}:layout",
            width=width,
        )
        layout.tags = [
            self._refill(sources, (p_in, p_out), (in_mapper, out_mapper), update, slider, meta),
            _describe(p_in, p_out, p_zoom, sources["in"], sources["out"], picture_name(self.trace)),
        ]
        return layout

    def _sources(self) -> dict[str, ColumnDataSource | None]:
        """The heatmaps' sources (images: fill.js), the window outlines on them (position.js draws
        them), and the kind's extra sources (or None)."""
        key = self.key

        def heatmap(height: int, width: int) -> dict[str, list]:  # top-left corner at (0, height)
            # image: the numbers (hover, formula, text alternatives); rgba: their colours as drawn
            rgba = np.zeros((1, 1), np.uint32)
            return dict(image=[self.placeholder()], rgba=[rgba], x=[0.0], y=[float(height)], dw=[width], dh=[height])

        outline = dict(x=[], y=[], width=[], height=[])
        sources = {
            "in": ColumnDataSource(heatmap(self.in_h, self.in_w), name=f"{key}:input"),
            "out": ColumnDataSource(heatmap(self.out_h, self.out_w), name=f"{key}:output"),
            "win_in": ColumnDataSource(dict(outline), name=f"{key}:window-in"),
            "win_out": ColumnDataSource(dict(outline), name=f"{key}:window-out"),
        }
        extras = self.extra_sources()
        for extra in ("kernel", "sums"):  # the convolution's weights and intermediate results
            sources[extra] = ColumnDataSource(extras[extra], name=f"{key}:{extra}") if extra in extras else None
        return sources

    def _heatmaps(self, sources: dict, in_mapper, out_mapper, size: int) -> tuple[figure, figure]:
        """The input and output heatmaps, each with its window outline."""
        in_title, out_title = self.titles()
        _, _, pads = self.geometry
        p_in = _heatmap(sources["in"], in_mapper, in_title, f"{self.key}:input-figure", size, pads)
        p_out = _heatmap(sources["out"], out_mapper, out_title, f"{self.key}:output-figure", size, NO_PADDING)
        for p, source in ((p_in, sources["win_in"]), (p_out, sources["win_out"])):
            p.rect(
                "x",
                "y",
                width="width",
                height="height",
                source=source,
                fill_color="#fde047",
                fill_alpha=0.18,
                line_color="#111827",
                line_width=2.5,
            )
        return p_in, p_out

    def _browser_meta(self) -> dict:
        """The kind's meta plus the sizes and the window rule's numbers, for formula_views/position.js."""
        (kh, kw), (sh, sw), ((pt, _), (pl, _)) = self.geometry
        sizes = dict(in_h=self.in_h, in_w=self.in_w, out_h=self.out_h, out_w=self.out_w)
        return dict(self.meta(), **sizes, kh=kh, kw=kw, sh=sh, sw=sw, pt=pt, pl=pl, kind=self.kind)

    def _wire(self, sources: dict, plots, toggle, slider, formula, meta: dict):
        """The slider moves the window; hovering or tapping either heatmap moves the slider."""
        args = dict(
            slider=slider,
            toggle=toggle,
            src_in=sources["in"],
            src_out=sources["out"],
            zoom=sources["zoom"],
            marks=sources["marks"],
            win_in=sources["win_in"],
            win_out=sources["win_out"],
            formula=formula,
            meta=meta,
            kernel=sources["kernel"],
            sums=sources["sums"],
        )
        update = custom_js("formula_views/position", **args)
        slider.js_on_change("value", update)
        for p, which in zip(plots, ("input", "output"), strict=True):
            hover = custom_js("formula_views/hover", slider=slider, toggle=toggle, which=which, meta=meta)
            p.js_on_event(events.MouseMove, hover)
            p.js_on_event(events.Tap, hover)
        return update

    def _refill(self, sources: dict, plots, mappers, update, slider, meta: dict):
        """A new picture in the browser refills the matrices (formula_views/fill.js); the window stays."""
        numbers = [next((r.data_source for r in p.renderers if isinstance(r.glyph, Text)), None) for p in plots]
        return refill_callback(
            "formula_views",
            picture=picture_source(self.trace),
            src_in=sources["in"],
            src_out=sources["out"],
            sums=sources["sums"],
            zoom=sources["zoom"],
            in_mapper=mappers[0],
            out_mapper=mappers[1],
            numbers_in=numbers[0],
            numbers_out=numbers[1],
            position=update,
            slider=slider,
            meta=dict(kind=self.kind, layer=meta["layer"], neuron=meta["neuron"], channel=meta.get("channel", 0)),
        )


def _describe(p_in, p_out, p_zoom, in_src, out_src, picture: str):
    """Text alternatives of the two heatmaps (their titles, the picture and their numbers) and the zoom."""
    as_image(p_in, p_in.title.text)
    as_image(p_out, p_out.title.text)
    as_image(p_zoom, "The numbers under the window, written out; the formula below them reads the same numbers")
    return describe_callback(
        "formula_views",
        plot_in=p_in,
        plot_out=p_out,
        plot_zoom=p_zoom,
        src_in=in_src,
        src_out=out_src,
        meta=dict(picture=picture),
    )


# -- drawing --------------------------------------------------------------------
def _heatmap(source: ColumnDataSource, mapper, title: str, name: str, size: int, pads) -> figure:
    """A heatmap figure of one matrix, about ``size`` pixels on its longer side, padding drawn grey."""
    height, width = source.data["dh"][0], source.data["dw"][0]
    (pt, pb), (pl, pr) = pads
    x0, x1 = -pl - 0.3, width + pr + 0.3
    y0, y1 = -pb - 0.3, height + pt + 0.3
    scale = size / max(x1 - x0, y1 - y0)
    p = bare_figure(
        x_range=Range1d(x0, x1),
        y_range=Range1d(y0, y1),
        frame_width=int(round((x1 - x0) * scale)),
        frame_height=int(round((y1 - y0) * scale)),
        tools="",
        toolbar_location=None,
        title=title,
        name=name,
        min_border=4,
        outline_line_color=None,
    )
    p.title.text_font_size = "12px"
    p.title.text_font_style = "normal"
    p.title.text_color = "#374151"
    if pt or pb or pl or pr:
        p.rect(
            [(width + pr - pl) / 2],
            [(height + pt - pb) / 2],
            width=[width + pl + pr],
            height=[height + pt + pb],
            fill_color=PAD_COLOR,
            line_color=None,
            hatch_pattern="/",
            hatch_color="white",
            hatch_alpha=0.8,
        )
    # drawn in the colours fill.js gives it (ExplainerKit.colourRgba: exactly ``mapper``'s colours,
    # without BokehJS colour-mapping the image); the renderer's tags name the mapper
    heatmap = p.image_rgba(
        image="rgba", x="x", y="y", dw="dw", dh="dh", source=source, origin="top_left", anchor="top_left"
    )
    heatmap.tags = [mapper]
    p.rect([width / 2], [height / 2], width=[width], height=[height], fill_color=None, line_color="#c8ced6")
    if scale >= 40:  # room for the numbers in every cell
        _cell_numbers(p, height, width)
    return p


def _cell_numbers(p: figure, height: int, width: int) -> None:
    """Every number of a small heatmap, written in its cell (the texts: fill.js)."""
    p.text(
        [j + 0.5 for i in range(height) for j in range(width)],
        [height - i - 0.5 for i in range(height) for j in range(width)],
        text=[""] * (height * width),
        text_align="center",
        text_baseline="middle",
        text_font_size="10px",
        text_color="#111827",
    )


def _text_color(value: float | None, low, high, sequential: bool) -> str:
    """Dark text on light cells, white on dark ones (the kernel's weights; position.js writes the rest alike)."""
    if value is None or not math.isfinite(value):
        return "#4b5563"
    t = (value - low) / ((high - low) or 1.0)
    dark = t > 0.62 if sequential else abs(t - 0.5) > 0.3
    return "white" if dark else "#111827"


class _Zoom:
    """The row of small number matrices under the heatmaps (the window, the kernel, the result, ...).

    Cells of all panels share one source; each panel has its own colour mapper and a
    role the JS uses to refill it: ``window`` (input numbers under the window),
    ``kernel`` (fixed weights), ``result`` (the output cell), ``near_in``/``near_out``
    (a 3×3 neighbourhood of the input/output, for ReLU).
    """

    def __init__(self):
        self.cols = dict(
            x=[], y=[], value=[], text=[], text_color=[], panel=[], role=[], i=[], j=[], lo=[], hi=[], seq=[]
        )
        self.panels: list[tuple[int, LinearColorMapper, list[int]]] = []
        self.signs: list[tuple[float, float, str]] = []
        self.captions: list[tuple[float, float, str]] = []
        self.x = 0.0
        self.rows = 1

    def panel(self, role: str, rows: int, cols: int, mapper, caption: str, values=None, sequential=False) -> float:
        """Add a rows × cols matrix at the current x; returns its left edge."""
        index = len(self.panels)
        left = self.x
        ids = []
        for i in range(rows):
            for j in range(cols):
                value = None if values is None else float(values[i * cols + j])
                ids.append(len(self.cols["x"]))
                cell = dict(
                    x=left + j + 0.5,
                    y=-(i + 0.5),
                    value=value if value is not None else float("nan"),
                    text=fmt(value) if value is not None else "",
                    text_color=_text_color(value, mapper.low, mapper.high, sequential)
                    if value is not None
                    else "#111827",
                    panel=index,
                    role=role,
                    i=i,
                    j=j,
                    lo=float(mapper.low),
                    hi=float(mapper.high),
                    seq=bool(sequential),
                )
                for name, v in cell.items():
                    self.cols[name].append(v)
        self.panels.append((index, mapper, ids))
        self.captions.append((left + cols / 2, 0.25, caption))
        self.rows = max(self.rows, rows)
        self.x = left + cols
        return left

    def sign(self, text: str, width: float = 1.0) -> None:
        self.signs.append((self.x + width / 2, None, text))
        self.x += width

    def figure(self, name: str, cell_px: int, max_width: int) -> tuple[figure, ColumnDataSource, ColumnDataSource]:
        """The zoom's figure, its cells' source and the source of the outlined cells."""
        cell_px = min(cell_px, int(max_width / (self.x + 0.4)))
        x0, x1 = -0.2, self.x + 0.2
        y0, y1 = -self.rows - 0.15, 0.75
        p = bare_figure(
            x_range=Range1d(x0, x1),
            y_range=Range1d(y0, y1),
            frame_width=int(round((x1 - x0) * cell_px)),
            frame_height=int(round((y1 - y0) * cell_px)),
            tools="",
            toolbar_location=None,
            name=name,
            min_border=2,
            outline_line_color=None,
        )
        source = ColumnDataSource(self.cols, name=f"{name}-cells")
        for _index, mapper, ids in self.panels:
            mapper.nan_color = PAD_COLOR
            p.rect(
                "x",
                "y",
                width=0.96,
                height=0.96,
                source=source,
                view=CDSView(filter=IndexFilter(ids)),
                fill_color=transform("value", mapper),
                line_color="#9ca3af",
                line_width=0.5,
            )
        self._labels(p, source, f"{max(9, min(14, int(cell_px * 0.24)))}px")
        marks = ColumnDataSource(dict(x=[], y=[], width=[], height=[]), name=f"{name}-marks")
        p.rect(
            "x",
            "y",
            width="width",
            height="height",
            source=marks,
            fill_color=None,
            line_color="#111827",
            line_width=2.5,
        )
        return p, source, marks

    def _labels(self, p: figure, source: ColumnDataSource, font: str) -> None:
        """The cells' numbers, the signs between the panels and the captions above them."""
        middle = dict(text_align="center", text_baseline="middle")
        p.text("x", "y", text="text", source=source, **middle, text_font_size=font, text_color="text_color")
        p.text(
            [s[0] for s in self.signs],
            [-self.rows / 2] * len(self.signs),
            text=[s[2] for s in self.signs],
            **middle,
            text_font_size="20px",
            text_color="#374151",
        )
        p.text(
            [c[0] for c in self.captions],
            [c[1] for c in self.captions],
            text=[c[2] for c in self.captions],
            **middle,
            text_font_size="12px",
            text_color="#4b5563",
        )
