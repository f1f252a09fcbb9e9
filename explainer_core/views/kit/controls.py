"""Look and controls every view shares: the column width, text panels, the play button."""

from __future__ import annotations

from bokeh.models import InlineStyleSheet, Slider, Toggle

from .jscode import custom_js

#: Width of every view in pixels: the text column of the book's theme at a 1280-pixel window.
VIEW_WIDTH = 680

#: Label of the play button in its two states.
PLAY, PAUSE = "▶ Play", "❚❚ Pause"

#: Shared look of the small text panels under the views (Bokeh draws a Div in its own
#: shadow DOM, so the page's stylesheet does not reach it).
PANEL_CSS = """
:host { font-size: 14px; line-height: 1.5; color: #222; }
.xv-note { color: #444; }
.xv-num { font-variant-numeric: tabular-nums; white-space: nowrap; }
.xv-hi { background: #fff3b0; border-radius: 3px; padding: 0 2px; font-weight: 600; }
.xv-result { font-weight: 700; }
.xv-muted { color: #6b7280; }
.xv-bad { color: #b3261e; font-weight: 600; }
.xv-good { color: #1b6e3a; font-weight: 600; }
.xv-line { margin: 2px 0; }
"""


def panel_css() -> InlineStyleSheet:
    """A stylesheet for a text panel (a new model each time: a model belongs to one document)."""
    return InlineStyleSheet(css=PANEL_CSS)


#: Bokeh's inline CheckboxGroup is one long row: these rules let it flow into rows as wide as its column.
CHECKBOX_ROWS_CSS = """
.bk-input-group.bk-inline { flex-wrap: wrap; column-gap: 14px; row-gap: 2px; }
.bk-input-group.bk-inline > *:not(:first-child) { margin-left: 0; }
"""


def checkbox_rows() -> InlineStyleSheet:
    """A stylesheet for an inline CheckboxGroup whose boxes wrap (a new model each time, like :func:`panel_css`)."""
    return InlineStyleSheet(css=CHECKBOX_ROWS_CSS)


#: Bokeh's "primary" blue with white text reaches only 3.6:1; this darker blue reaches 6.3:1.
BUTTON_CSS = """
:host {
  --primary: #2a6496; --primary-border: #245580; --primary-hover: #245580; --primary-hover-border: #1f4e79;
  --primary-active: #1f4e79; --primary-active-border: #193f63;
}
"""


# -- the play button ------------------------------------------------------------
def play_controls(
    key: str, positions: int, *, interval: int, step: int = 1, value: int | None = None, title: str = "Window position"
) -> tuple[Toggle, Slider]:
    """A play/pause toggle and a position slider, wired so that playing moves the slider.

    The slider is the one place the window position lives: the timer, the reader's
    hover and the reader's dragging all set it, and every view follows its value.
    Models are named ``<key>:play`` and ``<key>:position`` for tests and later scripts.
    """
    last = max(positions - 1, 0)
    slider = Slider(
        start=0,
        end=max(last, 1),
        value=last if value is None else value,
        step=1,
        title=title,
        name=f"{key}:position",
        tags=[last],
        disabled=positions < 2,
        sizing_mode="stretch_width",
        show_value=False,
        margin=(5, 10, 5, 10),
    )
    toggle = Toggle(
        label=PLAY,
        active=False,
        name=f"{key}:play",
        width=110,
        button_type="primary",
        margin=(10, 10),
        disabled=positions < 2,
        stylesheets=[InlineStyleSheet(css=BUTTON_CSS)],
    )
    toggle.js_on_change(
        "active",
        custom_js(
            "kit/play",
            toggle=toggle,
            slider=slider,
            step=int(step),
            interval=int(interval),
            last=last,
            play=PLAY,
            pause=PAUSE,
        ),
    )
    return toggle, slider
