"""The overview's numbers computed in Python: an independent Python reference of what the page
must show, used by the browser tests.

The product computes these numbers only in ``explainer_core/views/overview/fill.js`` (for the
first frame too); Python builds the view's skeleton (positions, names, shapes). ``overview_data``
gives, for a trace, every picture-dependent column of the overview's sources: the maps of every
layer, the neurons' value ranges and tooltips, the output column, and the colour range of every
heatmap layer in each range mode.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from explainer_core.arithmetic.scales import MODES, color_ranges
from explainer_core.arithmetic.trace import Trace
from explainer_core.views.kit import fmt
from explainer_core.views.overview import BAR, WIDTH, _column_ys, _geometry, overview_layers

__all__ = ["overview_data"]


def _maps(values: np.ndarray) -> list[np.ndarray]:
    """The (H, W, C) activations as C separate (H, W) float32 maps, top row first (no flip)."""
    return [np.ascontiguousarray(values[..., c], dtype=np.float32) for c in range(values.shape[2])]


def overview_data(trace: Trace, width: int = WIDTH) -> dict[str, dict[str, list]]:
    """Every data source of the overview, computed from ``trace`` alone.

    ``"input"`` and ``"layer:<name>"`` hold one (H, W) map per neuron, top row first;
    ``"neurons"`` one invisible hover/click target per neuron with what the tooltip
    says; ``"output"`` the classes, logits and probabilities; ``"ranges"`` the
    colour-scale limit of every heatmap layer in each range mode (scales.color_ranges).
    """
    geo = _geometry(trace.network, width)
    cell = geo["cell"]
    data: dict[str, dict[str, list]] = {}
    neurons: dict[str, list] = {key: [] for key in (
        "x", "y", "layer", "kind", "neuron", "column", "shape", "low", "high", "one_to_one")}

    def add_column(key: str, name: str, kind: str, maps: list[np.ndarray], col: int) -> None:
        x = col * geo["pitch"] + (geo["pitch"] - cell) / 2
        ys = _column_ys(len(maps), geo)
        data[key] = {"image": maps, "x": [x] * len(maps), "y": ys, "dw": [cell] * len(maps),
                     "dh": [cell] * len(maps), "neuron": list(range(len(maps)))}
        for i, (m, y) in enumerate(zip(maps, ys, strict=True)):
            neurons["x"].append(x + cell / 2)
            neurons["y"].append(y + cell / 2)
            neurons["layer"].append(name)
            neurons["kind"].append(kind)
            neurons["neuron"].append(i)
            neurons["column"].append(col)
            neurons["shape"].append("×".join(str(d) for d in m.shape))
            neurons["low"].append(float(m.min()))
            neurons["high"].append(float(m.max()))
            neurons["one_to_one"].append(kind in ("relu", "maxpool"))

    add_column("input", "input", "input", _maps(trace.image), 0)
    for col, name in enumerate(overview_layers(trace.network), start=1):
        add_column(f"layer:{name}", name, trace.network.layer(name).kind, _maps(trace.outputs[name]), col)

    classes = trace.network.num_classes
    ys = _column_ys(classes, geo)
    x_out = len(geo["columns"]) * geo["pitch"] + 6
    probabilities = [float(p) for p in trace.probabilities]
    predicted = trace.predicted_class
    data["output"] = {
        "label": [trace.network.class_name(i) for i in range(classes)],
        "logit": [float(z) for z in trace.logits],
        "probability": probabilities,
        "percent": [_percent(p) for p in probabilities],
        "x": [x_out] * classes,
        "y": [y + cell / 2 for y in ys],
        "bar": [x_out + BAR * p / max(probabilities) for p in probabilities] if classes else [],
        "weight": ["bold" if i == predicted else "normal" for i in range(classes)],
    }
    last = len(geo["columns"])
    for i in range(classes):
        neurons["x"].append(x_out + cell / 4)
        neurons["y"].append(ys[i] + cell / 2)
        neurons["layer"].append("output")
        neurons["kind"].append("output")
        neurons["neuron"].append(i)
        neurons["column"].append(last)
        neurons["shape"].append(f"{data['output']['label'][i]}: p = {fmt(probabilities[i])}")
        neurons["low"].append(float(trace.logits[i]))
        neurons["high"].append(float(trace.logits[i]))
        neurons["one_to_one"].append(False)
    data["neurons"] = neurons

    layers = overview_layers(trace.network)
    data["ranges"] = {"name": layers}
    for mode in MODES:
        limits = color_ranges(trace, mode)
        data["ranges"][mode] = [limits[name][1] for name in layers]
    logit_limit = float(np.max(np.abs(trace.logits))) or 1.0
    data["mappers"] = {name: list(color_ranges(trace, "unit")[name]) for name in layers}
    data["mappers"]["logit"] = [-logit_limit, logit_limit]
    return data


def _percent(p: float) -> str:
    """A probability as the page writes it (ExplainerKit.percent): one decimal, ties rounded up."""
    text = str(Decimal(100 * float(p)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    return f"{text} %"
