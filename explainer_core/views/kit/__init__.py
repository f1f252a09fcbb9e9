"""The views' kit: what every view shares, so that no view imports another.

Python half (this package): the column width, text panels and the play button
(:mod:`.controls`), number rules (:mod:`.numbers`), palettes and colour mappers
(:mod:`.palettes`, :mod:`.mappers`; the ranges are :mod:`explainer_core.arithmetic.scales`'),
text alternatives and keyboard paths (:mod:`.access`), and the callbacks' code
(:mod:`.jscode`, :mod:`.refill`). JavaScript half: ``kit.js``, loaded once per page
as ``window.ExplainerKit`` (number formatting, colour ranges, grids, the window rule).
A view imports from here, from the trace and from the formulas, and from nothing else.
"""

from .access import (
    as_image,
    describe_callback,
    gallery_menu,
    live_status,
    network_title,
    picture_name,
    signed_hover,
    signed_ticks,
)
from .controls import BUTTON_CSS, PANEL_CSS, VIEW_WIDTH, checkbox_rows, panel_css, play_controls
from .jscode import custom_js, js_source
from .mappers import map_mapper
from .numbers import MARK_COLOURS, SIGN_MARKS, channel_name, check_index, conv_step, fmt, is_image_input
from .palettes import ACTIVATION, FAMILY, INPUT_CHANNELS, LOGIT, WEIGHT, bare_figure
from .refill import refill_callback

__all__ = [
    "ACTIVATION",
    "BUTTON_CSS",
    "FAMILY",
    "INPUT_CHANNELS",
    "LOGIT",
    "MARK_COLOURS",
    "PANEL_CSS",
    "SIGN_MARKS",
    "VIEW_WIDTH",
    "WEIGHT",
    "as_image",
    "bare_figure",
    "channel_name",
    "check_index",
    "conv_step",
    "custom_js",
    "describe_callback",
    "fmt",
    "gallery_menu",
    "is_image_input",
    "js_source",
    "live_status",
    "map_mapper",
    "network_title",
    "checkbox_rows",
    "panel_css",
    "picture_name",
    "play_controls",
    "refill_callback",
    "signed_hover",
    "signed_ticks",
]
