"""Access for everyone: text alternatives, named controls, a spoken status line, keyboard paths.

The original CNN Explainer had one ARIA label. Here every plot is an image with a
text alternative (``role="img"`` and ``aria-label`` on the figure's element) that
says what it shows for the current picture, and every control has a name:

* each view gives its figures a description callback, a ``CustomJS`` named
  :data:`~explainer_core.page.protocol.DESCRIBE` whose code is ``views/<view>/describe.js``.
  It reads the view's own data sources and rewrites the figures' ``aria-label``; it runs when the page
  is drawn, after every new picture (``page/page.js``) and after the reader's choices
  that change what a figure shows (another neuron, another class);
* :func:`prepare`, run by :func:`explainer_core.page.embed.show`, gives every figure that
  has no description of its own one from its title, and adds ``views/kit/access_ready.js``
  to the document: Bokeh draws widgets in their own shadow DOM, where only a script
  can name a slider's handle or say which button of a group is pressed;
* :func:`live_status` makes the picture changer's message a polite live region, and
  :func:`gallery_menu` and the overview's map menu are the keyboard's way to choose
  a photo and to open a map's detail;
* :func:`signed_hover` and :func:`signed_ticks` write negative numbers in tooltips
  and colour bars with a true minus sign (U+2212), as :func:`~.conv_view.fmt` does.

Dark mode and narrow screens are the stylesheet's part (``assets/explainer.css``).
"""

from __future__ import annotations

from bokeh.document import Document
from bokeh.models import (
    CustomJS,
    CustomJSHover,
    CustomJSTickFormatter,
    Div,
    LabelSet,
    Model,
    Plot,
    Select,
)

from ...arithmetic.network import Network
from ...arithmetic.trace import Trace
from ...page.protocol import DESCRIBE, READY, REFILL, SIGNED
from .jscode import custom_js

__all__ = [
    "as_image",
    "describe_callback",
    "gallery_menu",
    "live_status",
    "network_title",
    "picture_name",
    "prepare",
    "signed_hover",
    "signed_ticks",
]

#: What a network is called in text alternatives, by its Keras name.
NETWORK_TITLES = {"tiny_vgg": "Tiny VGG"}


def network_title(network: Network) -> str:
    """The network's name as a sentence says it ("Tiny VGG" for ``tiny_vgg``)."""
    return NETWORK_TITLES.get(network.name, network.name)


def picture_name(trace: Trace) -> str:
    """How a text alternative names the picture: "a photo of an espresso" for the book's default
    picture (the trace every chapter shares), else "the picture".

    After the reader changes the picture, the browser uses the name page.js gives it instead
    ("the photo of lifeboat", or the uploaded file's name).
    """
    from ...page.examples import default_example, default_trace

    if default_trace.cache_info().currsize and trace is default_trace():
        label = default_example(trace.network.input_shape[:2]).label
        if label:
            return f"a photo of {'an' if label[0].lower() in 'aeiou' else 'a'} {label}"
    return "the picture"


def as_image(plot: Plot, label: str) -> Plot:
    """Mark ``plot`` as an image named ``label`` (its description callback may rewrite the name)."""
    plot.html_attributes = {**plot.html_attributes, "role": "img", "aria-label": label}
    return plot


def describe_callback(view: str, **args) -> CustomJS:
    """The description callback of the view in room ``view`` (code in ``views/<view>/describe.js``,
    or ``views/<name>.js`` for a name with a slash) bound to ``args``."""
    callback = custom_js(view if "/" in view else f"{view}/describe", **args)
    callback.name = DESCRIBE
    return callback


def live_status(div: Div) -> Div:
    """Make ``div`` a polite live region: screen readers read its new text when it changes."""
    div.html_attributes = {**div.html_attributes, "role": "status", "aria-live": "polite"}
    return div


def gallery_menu(source, labels: list[str]) -> Select:
    """A menu with one entry per gallery photo, kept in step with the gallery's selection.

    Choosing an entry selects that thumbnail, exactly as a click does (so the gallery's
    own callback explains the photo); clicking a thumbnail shows its entry in the menu.
    """
    counts = {label: labels.count(label) for label in labels}
    seen: dict[str, int] = {}
    options = [("", "choose a photo…")]
    for i, label in enumerate(labels):
        seen[label] = seen.get(label, 0) + 1
        options.append((str(i), f"{label} ({seen[label]})" if counts[label] > 1 else label))
    menu = Select(title="Photo from the gallery", options=options, value="", name="gallery_menu", width=260)
    sync = custom_js("kit/access_gallery", source=source, menu=menu)
    menu.js_on_change("value", sync)
    source.selected.js_on_change("indices", sync)
    return menu


def signed_hover(decimals: int = 3) -> CustomJSHover:
    """A tooltip formatter: ``decimals`` decimals, a true minus sign, never "−0.000"."""
    return CustomJSHover(code=f"const places = {int(decimals)};" + _SIGNED + "return signed(value);", name=SIGNED)


def signed_ticks() -> CustomJSTickFormatter:
    """A colour bar's tick formatter: as many decimals as the ticks' step needs, a true minus sign."""
    return CustomJSTickFormatter(code=_TICK_PLACES + _SIGNED + "return signed(tick);", name=SIGNED)


#: Decimals of a colour bar's ticks: enough to tell two neighbouring ticks apart.
_TICK_PLACES = """
const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : 1;
const places = Math.max(0, Math.min(6, -Math.floor(Math.log10(step || 1) + 1e-9)));
"""
#: ``signed(v)``: ``v`` with ``places`` decimals as the views write numbers (conv_view.fmt).
_SIGNED = """
function signed(v) {
  const s = Number(v).toFixed(places);
  return (/^-0(\\.0*)?$/.test(s) ? s.slice(1) : s).replace("-", "\\u2212");
}
"""


def _title(plot: Plot) -> str:
    return (getattr(plot.title, "text", None) or "") if plot.title is not None else ""


def _fallback_label(plot: Plot) -> str:
    """A figure's name when its view gave it none: its title, else the words drawn on it."""
    title = _title(plot)
    if title:
        return title
    words: list[str] = []
    for model in sorted(plot.references(), key=lambda m: m.id):
        if isinstance(model, LabelSet) and model.source is not None:
            field = model.text if isinstance(model.text, str) else getattr(model.text, "field", None)
            words += [str(word) for word in model.source.data.get(field, [])]
    return "Plot: " + ", ".join(words) if words else "Plot"


def prepare(obj: Model) -> CustomJS:
    """Name every figure of ``obj`` that has no text alternative, and return ``obj``'s ready callback.

    Figures named here follow the picture through ``views/kit/describe_plots.js`` (their title,
    then the picture's name) when ``obj`` follows the picture at all.
    """
    models = sorted(obj.references(), key=lambda m: m.id)
    plots = [m for m in models if isinstance(m, Plot) and "aria-label" not in m.html_attributes]
    if plots:
        bases = []
        for plot in plots:
            as_image(plot, _fallback_label(plot))
            bases.append("" if _title(plot) else plot.html_attributes["aria-label"])
        follows = any(getattr(m, "name", None) == REFILL for m in models)
        obj.tags = [*obj.tags, describe_callback("kit/describe_plots", plots=plots, bases=bases, follows=follows)]
    return CustomJS(name=READY, args=dict(root=obj, describe=DESCRIBE), code=_ready_code())


def _ready_code() -> str:
    from .jscode import js_source

    return js_source("kit/access_ready")


def on_ready(doc: Document, callback: CustomJS) -> None:
    """Run ``callback`` when ``doc`` is drawn, unless the document already runs one."""
    present = doc.callbacks.js_event_callbacks.get("document_ready", [])
    if not any(getattr(c, "name", None) == READY and c.args.get("root") is callback.args["root"] for c in present):
        doc.js_on_event("document_ready", callback)
