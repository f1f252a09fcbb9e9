"""The colour scales and the bare canvas every view shares (CNN Explainer, Sect. 6 and Fig. 5).

Activations use a diverging red-to-blue scale with white at zero; weights and
biases a separate diverging scale (brown/yellow to green); logits a light-to-
dark orange scale; the input channels are shown in their own colour. Diverging
scales are always symmetric around zero so that white means exactly zero.
The comparison chapters colour models by family (:data:`FAMILY`) and classes by group (:data:`GROUP`).
"""

from __future__ import annotations

from bokeh.models import LinearColorMapper
from bokeh.palettes import Blues9, BrBG11, Colorblind8, Greens9, Inferno256, Oranges9, RdBu11, Reds9, interp_palette

from ...arithmetic.scales import symmetric

#: Negative activations red, zero white, positive blue (d3's RdBu, as CNN Explainer uses).
ACTIVATION = interp_palette(tuple(reversed(RdBu11)), 255)
#: Weights and biases: brown-yellow for negative, white at zero, green for positive.
WEIGHT = interp_palette(tuple(reversed(BrBG11)), 255)
#: Logits and probabilities: light to dark orange.
LOGIT = interp_palette(tuple(reversed(Oranges9)), 256)
#: The input image's red, green and blue channels, each from white to full colour.
INPUT_CHANNELS = (
    interp_palette(tuple(reversed(Reds9)), 256),
    interp_palette(tuple(reversed(Greens9)), 256),
    interp_palette(tuple(reversed(Blues9)), 256),
)

#: One colour per family of models, in the order families first appear: Okabe and Ito's colour-blind
#: safe palette (Bokeh's ``Colorblind8``), black first for the book's own Tiny VGG, and its yellow,
#: which all but vanishes on the views' white (1.1:1), replaced by a mid grey. Views that use it give
#: each family a marker shape too, so that colour is never the only clue.
FAMILY = (Colorblind8[7], Colorblind8[1], Colorblind8[4], Colorblind8[3], Colorblind8[5], Colorblind8[0],
          Colorblind8[6], "#808080")

#: One colour per group of classes (:data:`explainer_core.compare.GROUPS`, in its order: animals, vehicles,
#: food, fruit and vegetables), from the same Okabe-Ito palette: bluish green, blue, vermillion and reddish
#: purple, each at least 3:1 against the views' white. Views give each group a marker shape too.
GROUP = (Colorblind8[3], Colorblind8[0], Colorblind8[5], Colorblind8[6])


def diverging_mapper(limit: float, palette=ACTIVATION) -> LinearColorMapper:
    """A colour mapper for a diverging palette centred on zero."""
    low, high = symmetric(limit)
    return LinearColorMapper(palette=list(palette), low=low, high=high)


def bare_figure(**kwargs):
    """A Bokeh figure used as a canvas: no toolbar, no axes, no grid (every view draws on these).

    Other keyword arguments go to :func:`bokeh.plotting.figure` unchanged.
    """
    from bokeh.plotting import figure

    kwargs.setdefault("toolbar_location", None)
    plot = figure(**kwargs)
    plot.axis.visible = False
    plot.grid.visible = False
    return plot

#: Explanation maps in [0, 1], drawn over their picture: Inferno (perceptually uniform, colour-blind safe)
#: without its near-black start and palest end, with an opacity that rises with the value (from 0 at 0 to 0.8 at 1), so
#: the picture stays visible where a map is low. Eight-digit hex colours (#rrggbbaa).
EXPLANATION = tuple(
    f"{colour}{round(204 * k / 255):02x}" for k, colour in enumerate(interp_palette(Inferno256[40:232], 256))
)
