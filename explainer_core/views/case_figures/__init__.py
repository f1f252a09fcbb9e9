"""The small charts of the case studies that no other room draws (book/16_case_studies.md; VAC-CNN, Sect. 6).

Three static figures, each computed in Python from the measures of
:mod:`explainer_core.compare.cases` and drawn once (no callbacks but Bokeh's
hover), each an image with a text alternative that says its numbers:

* :func:`class_answers`: every member's answers on one class's validation
  photos, one stacked bar per member (right, the zoo's most frequent wrong
  answers, the rest), best member first; VAC-CNN read this from a confusion
  matrix, a bar is easier to compare across thirteen members;
* :func:`photo_misses_chart`: for each validation photo of the class, how many
  members miss it, most missed first: are the misses shared or each member's own?
* :func:`colour_histograms`: colour intensity histograms of the salient
  regions of a few maps side by side (VAC-CNN's CIH, Fig. 6D), as shares of the
  kept pixels so that regions of different size compare.

The explanation maps themselves are the ``explanation_maps`` room's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from bokeh.layouts import column
from bokeh.models import ColumnDataSource, CustomJSTickFormatter, Div, HoverTool, Legend, LegendItem, Range1d, Span
from bokeh.plotting import figure

from ...compare.cases import MemberOnClass, PhotoMisses, zoo_misses
from ...errors import ExplanationError
from ..kit import FAMILY, VIEW_WIDTH, as_image, panel_css

__all__ = ["ANSWER_COLOURS", "CHANNEL_COLOURS", "answer_rows", "class_answers", "colour_histograms",
           "photo_misses_chart"]

_TEXT = "#374151"
#: Right answers, the two most frequent wrong answers, the rest (Okabe and Ito's colours, from the kit).
ANSWER_COLOURS = (FAMILY[5], FAMILY[4], FAMILY[1], "#b8b8b8")
#: The histograms' red, green and blue lines: Okabe and Ito's vermillion, bluish green and blue.
CHANNEL_COLOURS = (FAMILY[4], FAMILY[3], FAMILY[5])
_PERCENT_TICKS = "return `${Math.round(tick * 100)} %`;"


def _figure(name: str, height: int, width: int, title: str, **kwargs) -> figure:
    plot = figure(name=name, height=height, max_width=width, sizing_mode="stretch_width", toolbar_location=None,
                  tools="", outline_line_color=None, title=title, **kwargs)
    plot.title.text_font_size = "13px"
    plot.title.text_color = _TEXT
    plot.axis.axis_label_text_font_style = "normal"
    plot.axis.major_label_text_color = _TEXT
    return plot


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def answer_rows(report: Sequence[MemberOnClass], highlight: int = 2) -> tuple[list[str], dict[str, list]]:
    """The bars' segments: the ``highlight`` most frequent wrong answers over the zoo, then "other".

    Returns the segment names (``right``, the wrong answers, ``other``) and the columns of the
    members, best first (ties keep the given order), as shares of each member's photos.
    """
    if not report:
        raise ExplanationError("class_answers needs at least one member's answers.")
    top = [name for name, _ in zoo_misses(report)[:highlight]]
    ranked = sorted(report, key=lambda row: -row.correct)
    columns: dict[str, list] = {"member": [row.member for row in ranked]}
    segments = ["right", *top, "other"]
    for segment in segments:
        columns[segment] = []
    columns["text"] = []
    for row in ranked:
        misses = dict(row.misses)
        columns["right"].append(row.correct / row.pictures)
        for name in top:
            columns[name].append(misses.get(name, 0) / row.pictures)
        columns["other"].append(sum(n for name, n in row.misses if name not in top) / row.pictures)
        wrong = ", ".join(f"{name} {n}" for name, n in row.misses) or "none"
        columns["text"].append(f"{row.correct} of {row.pictures} right; wrong answers: {wrong}")
    return segments, columns


def class_answers(report: Sequence[MemberOnClass], class_name: str, *, highlight: int = 2,
                  key: str = "class_answers", width: int = VIEW_WIDTH):
    """One stacked bar per member: the share of ``class_name``'s validation photos it gets right, and what
    it answers instead (the zoo's ``highlight`` most frequent wrong answers by name, the rest as "other")."""
    segments, columns = answer_rows(report, highlight)
    members = columns["member"]
    source = ColumnDataSource(columns, name=f"{key}:source")
    title = f"Answers on the {class_name} photos"
    plot = _figure(f"{key}:bars", 60 + 22 * len(members) + 22 * ((len(segments) + 1) // 2), width, title,
                   y_range=list(reversed(members)), x_range=Range1d(0, 1))
    colours = ANSWER_COLOURS[: len(segments) - 1] + ANSWER_COLOURS[-1:]
    renderers = plot.hbar_stack(segments, y="member", height=0.72, color=list(colours), source=source,
                                line_color="white", line_width=0.5)
    plot.xaxis.formatter = CustomJSTickFormatter(code=_PERCENT_TICKS)
    plot.xaxis.axis_label = f"share of the {len(report) and report[0].pictures} validation photos"
    plot.ygrid.visible = False
    plot.min_border_right = 24  # room for the "100 %" tick on a phone
    labels = [segments[0], *segments[1:-1], "other wrong"]
    items = [LegendItem(label=label, renderers=[r]) for label, r in zip(labels, renderers, strict=True)]
    plot.add_layout(Legend(items=items,
                           ncols=2, border_line_color=None, label_text_font_size="12px", padding=2, spacing=2,
                           title="answer", title_text_font_size="12px", location="top_left"), "below")
    plot.add_tools(HoverTool(renderers=renderers, tooltips=[("network", "@member"), ("", "@text")]))
    best, worst = members[0], members[-1]
    description = (
        f"{title}, best network first. {best}: {columns['text'][0]}. {worst}: {columns['text'][-1]}. "
        + " ".join(f"{m}: {round(100 * r)} % right."
                   for m, r in zip(members[1:-1], columns["right"][1:-1], strict=True))
    )
    return as_image(plot, description)


def photo_misses_chart(misses: Sequence[PhotoMisses], members: int, class_name: str, *,
                       key: str = "photo_misses", width: int = VIEW_WIDTH):
    """One bar per validation photo of the class: how many of the ``members`` miss it, most missed first."""
    if not misses:
        raise ExplanationError("photo_misses_chart needs at least one photo.")
    ranked = sorted(misses, key=lambda photo: (-len(photo.missed_by), photo.position))
    counts = [len(photo.missed_by) for photo in ranked]
    labels = [str(i + 1) for i in range(len(ranked))]
    who = [", ".join(f"{m} ({answer})" for m, answer in photo.missed_by.items()) or "nobody" for photo in ranked]
    source = ColumnDataSource({"photo": labels, "count": counts, "who": who,
                               "position": [photo.position for photo in ranked]}, name=f"{key}:source")
    title = f"Networks that miss each {class_name} photo"
    plot = _figure(f"{key}:bars", 250, width, title, x_range=labels, y_range=Range1d(0, members + 0.5))
    bars = plot.vbar(x="photo", top="count", width=0.75, source=source, color=ANSWER_COLOURS[1])
    plot.add_layout(Span(location=members / 2, dimension="width", line_color=_TEXT, line_dash="dashed",
                         line_width=1))
    plot.xaxis.axis_label = "validation photos of the class, most missed first"
    plot.yaxis.axis_label = f"networks that miss it (of {members})"
    plot.xaxis.major_label_text_font_size = "0px"
    plot.xaxis.major_tick_line_color = None
    plot.xgrid.visible = False
    plot.add_tools(HoverTool(renderers=[bars], tooltips=[("missed by", "@count"), ("", "@who")]))
    majority = sum(count > members / 2 for count in counts)
    alone = sum(count == 1 for count in counts)
    nobody = sum(count == 0 for count in counts)
    description = (
        f"{title}, as bars for {len(counts)} photos. {_plural(majority, 'photo')} missed by more than half of the "
        f"{members} networks, {_plural(alone, 'photo')} by exactly one, {_plural(nobody, 'photo')} by none. "
        f"Networks missing each photo, most first: {', '.join(map(str, counts))}."
    )
    return as_image(plot, description)


def colour_histograms(panels: Mapping[str, np.ndarray], *, note: str | None = None,
                      key: str = "colour_histograms", width: int = VIEW_WIDTH):
    """Colour intensity histograms side by side: ``{title: (3, 256) counts}`` (``salient_histograms``' output).

    Each panel draws the red, green and blue counts as shares of its kept pixels, on one shared y range.
    """
    if not panels:
        raise ExplanationError("colour_histograms needs at least one histogram.")
    shares = {}
    for title, counts in panels.items():
        values = np.asarray(counts, dtype=np.float64)
        if values.shape != (3, 256) or (values < 0).any():
            raise ExplanationError(f"Histogram {title!r} must be (3, 256) counts, not {values.shape}.")
        total = values[0].sum()
        shares[title] = values / total if total else values
    bins = 16  # 256 intensities in 16 bins of 16: a 64x64 region has too few pixels for a smooth 256-bin line
    binned = {t: s.reshape(3, bins, 256 // bins).sum(axis=2) for t, s in shares.items()}
    top = max(float(b.max()) for b in binned.values()) * 1.1 or 1.0
    x = (np.arange(bins) + 0.5) * 256 / bins
    plots = []
    for i, (title, values) in enumerate(binned.items()):
        pixels = int(np.asarray(panels[title])[0].sum())
        plot = _figure(f"{key}:panel{i}", 170, width, f"{title} ({pixels} pixels)", x_range=Range1d(0, 256),
                       y_range=Range1d(0, top))
        for channel, colour, label in zip(values, CHANNEL_COLOURS, ("red", "green", "blue"), strict=True):
            plot.line(x, channel, line_color=colour, line_width=2.5,
                      line_dash="solid" if label != "blue" else "dashed", legend_label=label)
        plot.legend.orientation = "horizontal"
        plot.legend.location = "top_right"
        plot.legend.label_text_font_size = "11px"
        plot.legend.border_line_color = None
        plot.legend.background_fill_alpha = 0.7
        plot.legend.padding = 2
        plot.yaxis.formatter = CustomJSTickFormatter(code=_PERCENT_TICKS)
        plot.xaxis.axis_label = "intensity (0 dark to 255 bright)" if i == len(binned) - 1 else None
        means = [float((channel * x).sum() / channel.sum()) if channel.sum() else float("nan") for channel in values]
        described = ", ".join(f"mean {name} {m:.0f}" for name, m in zip(("red", "green", "blue"), means, strict=True))
        plots.append(as_image(plot, f"Colour histogram of {title}: {pixels} pixels kept; {described}."))
    items = plots if note is None else [*plots, Div(text=note, stylesheets=[panel_css()],
                                                   sizing_mode="stretch_width", name=f"{key}:note")]
    return column(*items, sizing_mode="stretch_width", max_width=width, name=f"{key}:layout")
