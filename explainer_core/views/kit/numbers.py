"""How a view names, checks and writes numbers: the Python half of the number rules.

``fmt`` is the twin of ``ExplainerKit.fmt`` in ``kit/kit.js`` (the twin registry,
``explainer_core/twins.py``, lists the pair and one test keeps them equal).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from ...arithmetic import formulas
from ...arithmetic.network import LayerSpec
from ...arithmetic.trace import Trace


# -- checking the request -------------------------------------------------------
def conv_step(trace: Trace, layer: str | None = None) -> LayerSpec:
    """The convolution step ``layer`` (default: the first): :func:`formulas.find_step` for convolutions."""
    return formulas.find_step(trace, layer, "conv")


def check_index(value, size: int, what: str, layer: str) -> int:
    """``value`` as an index below ``size``, or a :class:`TraceError` that counts the ``what``s."""
    return formulas.check_index(value, size, what, layer, counted=f"{what}s")


def is_image_input(trace: Trace, name: str) -> bool:
    """Whether step ``name`` reads the network's input image (not another layer's output)."""
    return trace.network.index(name) == 0


def channel_name(trace: Trace, spec: LayerSpec, channel: int) -> str:
    """How the view names input channel ``channel`` of step ``spec`` ("red", or "relu_1_1 · 3")."""
    if is_image_input(trace, spec.name):
        if trace.image.shape[-1] == 3:
            return ("red", "green", "blue")[channel]
        return f"input · {channel}"
    previous = trace.network.previous(spec.name)
    return f"{previous} · {channel}"


#: Kernel cells: "−" on a negative weight, "+" on a positive one (a CustomJSTransform's v_func).
SIGN_MARKS = 'return xs.map((v) => (v < 0 ? "\\u2212" : v > 0 ? "+" : ""));'
#: White marks on the darkest cells (|weight| above 55 % of the scale), dark ones elsewhere.
MARK_COLOURS = 'return xs.map((v) => (Math.abs(v) / limit > 0.55 ? "white" : "#111827"));'


def fmt(value: float) -> str:
    """A number as every view writes it: three decimals, a true minus sign, never "−0.000".

    Rounds half away from zero, exactly like JavaScript's ``toFixed(3)`` in the views' callbacks.
    """
    text = str(Decimal(float(value)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))
    return ("0.000" if text == "-0.000" else text).replace("-", "\u2212")
