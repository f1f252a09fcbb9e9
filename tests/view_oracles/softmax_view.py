"""The softmax formula view's numbers, computed in Python: an independent Python reference of what
the page must show, used by the browser tests (tests/test_browser_output.py) and checked against
Keras (tests/test_views_output.py).

The product computes these numbers only in the browser: ``explainer_core/views/softmax_view/fill.js``
(the table) and ``draw.js`` (the equation), for the first frame too; Python builds the view's
skeleton (positions, class names, the equation's fixed pieces) with placeholders. Here
:func:`softmax_data` gives every column of every source as the page must hold it for a trace,
with :func:`sig` writing four significant digits as ``ExplainerKit.sig`` does.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

from explainer_core.arithmetic.formulas import check_trace, explain_softmax
from explainer_core.arithmetic.trace import Trace
from explainer_core.views.kit import VIEW_WIDTH, check_index, fmt
from explainer_core.views.softmax_view import (
    _HEADER,
    _ROW,
    _SLOT,
    _equation_geometry,
    _table_geometry,
    _term_slot,
)

__all__ = ["sig", "softmax_data"]

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def sig(value: float) -> str:
    """``value`` to four significant digits, as ``ExplainerKit.sig`` (views/kit/kit.js) writes it.

    Between 0.001 and 100,000 in plain decimals (``60.34``, ``0.001154``), else as
    ``1.234×10⁻⁵``; halves round away from zero, like JavaScript's ``toFixed``.
    """
    value = float(value)
    if value == 0:
        return "0"
    if not math.isfinite(value):
        return "∞" if value > 0 else "−∞"
    sign = "−" if value < 0 else ""
    a = abs(value)
    if 1e-3 <= a < 1e5:
        decimals = max(0, 3 - math.floor(math.log10(a)))
        return sign + _fixed(a, decimals)
    exponent = math.floor(math.log10(a))
    mantissa = _fixed(a / 10.0**exponent, 3)
    if mantissa == "10.000":
        exponent, mantissa = exponent + 1, "1.000"
    return f"{sign}{mantissa}×10{str(exponent).translate(_SUPERSCRIPT)}"


def _fixed(value: float, decimals: int) -> str:
    return str(Decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def _chosen(trace: Trace, chosen) -> int:
    if chosen is None:
        return trace.predicted_class
    return check_index(chosen, trace.network.num_classes, "class", trace.network.layers[-1].name)


def softmax_data(trace: Trace, chosen: int | None = None, *, width: int = VIEW_WIDTH) -> dict[str, dict]:
    """The columns of every data source of the softmax view, as the page must hold them for ``trace``.

    Sources: ``classes`` (one row per class: ``logit``, ``probability``, ``exp``
    (e^z, in double precision), their texts, the probability bar's ``right`` end,
    ``chosen`` (1 for the class the equation is written for) and ``hl`` (1 while
    the reader points at that class)), ``terms`` (the pieces of the equation:
    ``text`` and superscript ``sup``, ``role``, the class ``cls`` a term belongs to
    (−1 for the rest), the highlight box ``rx, ry, rw, rh`` and ``hl``) and
    ``choice`` (``kind`` "auto", which follows the prediction, or "pinned" after a
    click, and ``index``). ``chosen`` defaults to the predicted class.
    """
    check_trace(trace)
    s = explain_softmax(trace)
    names = s.class_names
    k = _chosen(trace, chosen)
    t = _table_geometry(names, width)
    logits = [float(z) for z in s.logits]
    probabilities = [float(p) for p in s.probabilities]
    exps = [math.exp(z) for z in logits]
    classes = dict(
        y=[-(_HEADER + (i + 0.5) * _ROW) for i in range(len(names))],
        name=list(names),
        logit=logits,
        probability=probabilities,
        exp=exps,
        logit_text=[fmt(z) for z in logits],
        exp_text=[sig(v) for v in exps],
        prob_text=[fmt(p) for p in probabilities],
        right=[t["bar_x"] + p * t["bar_len"] for p in probabilities],
        chosen=[int(i == k) for i in range(len(names))],
        style=["bold" if i == k else "normal" for i in range(len(names))],
        hl=[0] * len(names),
    )
    return dict(
        classes=classes,
        terms=_terms(names, logits, exps, probabilities, k, width),
        choice=dict(kind=["auto" if chosen is None else "pinned"], index=[k]),
    )


def _terms(names, logits, exps, probabilities, k: int, width: int) -> dict[str, list]:
    """The pieces of the equation for class ``k``, texts included."""
    e = _equation_geometry(names, width)
    cols: dict[str, list] = {c: [] for c in ("x", "y", "text", "sup", "role", "cls", "rx", "ry", "rw", "rh", "hl")}

    def piece(x, y, text, role, cls=-1, sup="", box=(0.0, 0.0, 0.0, 0.0)) -> None:
        for name, value in zip(cols, (x, -y, text, sup, role, cls, box[0], -box[1], box[2], box[3], 0), strict=True):
            cols[name].append(value)

    def term(left: float, y: float, cls: int) -> None:
        box = (left + 29, y - 4, 54.0, 24.0)
        piece(left + 14, y, "e", "term", cls, fmt(logits[cls]), box)

    piece(e["left"] - 10, e["bar_y"], f"p({names[k]}) =", "lhs")
    term(e["left"] + (e["frac_w"] - 52) / 2, e["num_y"], k)
    for j in range(e["n"]):
        left, y = _term_slot(e, j)
        term(left, y, j)
    for j in range(e["n"] - 1):
        left, y = _term_slot(e, j)
        piece(left + _SLOT - 10, y, "+", "op")
    right = e["right"]
    total = math.fsum(exps)
    piece(right + 6, e["bar_y"], "=", "op")
    piece(right + 58, e["num_y"], sig(exps[k]), "value")
    piece(right + 58, e["bar_y"] + 20, sig(total), "value")
    piece(right + 104, e["bar_y"], f"= {fmt(probabilities[k])}", "result")
    return cols
