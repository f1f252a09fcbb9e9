"""Every rule the book writes twice, once in Python and once in JavaScript.

The built book is static: no server runs Python for the reader. When the reader picks
a new picture, the browser must redo the forward trace, the preprocessing, the colour
ranges, the hyperparameter arithmetic and the window rule, and the Python library needs
the same rules for chapters and notebooks, so those exist in both languages. This
registry names each pair once; ``tests/test_twins.py`` checks that every entry resolves
on both sides, and either compares the pair in Chromium or points (``cases_in``) to the
test modules that do.

The numbers a view shows for its picture are not twins: only the view's ``fill.js``
computes them, for the first frame too (``views/kit/refill.py``). The tests check each
fill, and ``ExplainerKit.sig``, against an independent Python reference under
``tests/view_oracles/``; those entries are marked ``reference`` (their Python side is
test code, never imported by the package).

A JavaScript side is a script (relative to ``explainer_core/``) and a global expression
in it, such as ``ExplainerKit.fmt``; for a script that is the body of a Bokeh
``CustomJS`` (a view's ``fill.js``, the hyperparameter ``math.js``), the expression is
a function the body defines, or empty when the whole body is the twin.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["TWINS", "Twin", "twin"]


@dataclass(frozen=True)
class Twin:
    """One rule written in both languages."""

    #: Short id.
    name: str
    #: Dotted path of the Python side: a callable, or a module for a whole set of rules.
    python: str
    #: (script relative to explainer_core/, global expression or function name; "" for a whole CustomJS body).
    js: tuple[str, str]
    #: Why the rule must exist in both languages.
    why: str
    #: Test modules (relative to the repository) that compare this pair; empty: tests/test_twins.py does.
    cases_in: tuple[str, ...] = ()
    #: The JavaScript alone is the product; the Python side is the tests' reference (tests/view_oracles/).
    reference: bool = False


_KIT = "views/kit/kit.js"
_REFILL_CONV = "tests/test_browser_refill_conv.py"
_OUTPUT = "tests/test_browser_output.py"

_ENTRIES = (
    Twin(
        "fmt",
        "explainer_core.views.kit.numbers.fmt",
        (_KIT, "ExplainerKit.fmt"),
        "every number a view writes is rewritten by the browser after a new picture",
    ),
    Twin(
        "sig",
        "tests.view_oracles.softmax_view.sig",
        (_KIT, "ExplainerKit.sig"),
        "the softmax equation's terms are written only by the browser, checked against the tests' reference",
        reference=True,
    ),
    Twin(
        "window_origin",
        "explainer_core.arithmetic.formulas.window_origin",
        (_KIT, "ExplainerKit.windowOrigin"),
        "the views' sliders move the window in the browser, where Python cannot place it",
    ),
    Twin(
        "scale_groups",
        "explainer_core.arithmetic.scales.scale_groups",
        (_KIT, "ExplainerKit.scaleGroups"),
        "the colour-range control regroups the heatmaps in the browser",
    ),
    Twin(
        "color_ranges",
        "explainer_core.arithmetic.scales.color_ranges",
        (_KIT, "ExplainerKit.colorRanges"),
        "a new picture's heatmaps need new colour ranges, computed in the browser",
    ),
    Twin(
        "input_range",
        "explainer_core.arithmetic.scales.input_range",
        (_KIT, "ExplainerKit.inputRange"),
        "a new picture's channels need a new colour range, computed in the browser",
    ),
    Twin(
        "target_range",
        "explainer_core.arithmetic.scales.target_range",
        (_KIT, "ExplainerKit.targetRange"),
        "a new picture's logits and dense units need new colour ranges, computed in the browser",
    ),
    Twin(
        "trace",
        "explainer_core.arithmetic.trace.trace",
        ("arithmetic/trace.js", "ExplainerTrace.trace"),
        "a new picture must go through the network in the browser",
        ("tests/test_browser_trace.py",),
    ),
    Twin(
        "preprocess",
        "explainer_core.data.preprocess.fit_rgb",
        ("data/preprocess.js", "ExplainerPreprocess.fitRgb"),
        "the reader's picture is decoded, resized and cropped in the browser as Python does",
        ("tests/test_browser_trace.py", "tests/test_browser_picture_preview.py"),
    ),
    Twin(
        "check_dimensions",
        "explainer_core.data.preprocess.check_dimensions",
        ("data/preprocess.js", "ExplainerPreprocess.checkDimensions"),
        "the browser refuses the picture sizes Python refuses, with the same words",
        ("tests/test_browser_picture_choice.py",),
    ),
    Twin(
        "hyperparameters",
        "explainer_core.arithmetic.hyperparams",
        ("views/hyperparameter_widget/math.js", "check_hyperparameters"),
        "the hyperparameter widget's sliders recompute validity, size and windows in the browser",
        ("tests/test_browser_hyperparameters.py", "tests/test_views_hyperparameters.py"),
    ),
    Twin(
        "hyperparameter_frame",
        "explainer_core.views.hyperparameter_widget.hyperparameter_data",
        ("views/hyperparameter_widget/update.js", ""),
        "the widget's grids are drawn by Python for its first frame and by the browser when a slider moves",
        ("tests/test_browser_hyperparameters.py",),
    ),
    Twin(
        "protocol",
        "explainer_core.page.protocol",
        ("page/page.js", "ExplainerPage"),
        "Python writes the page's names and the browser finds things by them",
        ("tests/test_page_protocol.py",),
    ),
    Twin(
        "conv_elastic_fill",
        "tests.view_oracles.conv_view.conv_elastic_data",
        ("views/conv_view/fill.js", ""),
        "the elastic convolution view is drawn only in the browser, first frame and new pictures",
        (_REFILL_CONV,),
        reference=True,
    ),
    Twin(
        "conv_formula_fill",
        "tests.view_oracles.formula_views.conv_formula_data",
        ("views/formula_views/fill.js", ""),
        "the convolution formula view is drawn only in the browser, first frame and new pictures",
        (_REFILL_CONV,),
        reference=True,
    ),
    Twin(
        "relu_formula_fill",
        "tests.view_oracles.formula_views.relu_formula_data",
        ("views/formula_views/fill.js", ""),
        "the ReLU formula view is drawn only in the browser, first frame and new pictures",
        (_REFILL_CONV,),
        reference=True,
    ),
    Twin(
        "maxpool_formula_fill",
        "tests.view_oracles.formula_views.maxpool_formula_data",
        ("views/formula_views/fill.js", ""),
        "the max pooling formula view is drawn only in the browser, first frame and new pictures",
        (_REFILL_CONV,),
        reference=True,
    ),
    Twin(
        "flatten_fill",
        "tests.view_oracles.flatten_view.flatten_data",
        ("views/flatten_view/fill.js", ""),
        "the flatten view is drawn only in the browser, first frame and new pictures",
        (_OUTPUT,),
        reference=True,
    ),
    Twin(
        "softmax_fill",
        "tests.view_oracles.softmax_view.softmax_data",
        ("views/softmax_view/fill.js", ""),
        "the softmax view is drawn only in the browser, first frame and new pictures",
        (_OUTPUT,),
        reference=True,
    ),
    Twin(
        "overview_fill",
        "tests.view_oracles.overview.overview_data",
        ("views/overview/fill.js", ""),
        "the overview is drawn only in the browser, first frame and new pictures",
        ("tests/test_browser_overview.py",),
        reference=True,
    ),
    Twin(
        "input_fill",
        "tests.view_oracles.input_view.input_data",
        ("views/input_view/fill.js", ""),
        "the input view's photo and channels are drawn only in the browser, first frame and new pictures",
        ("tests/test_browser_picture_preview.py",),
        reference=True,
    ),
    # the comparison view (views/compare_view/task.js): the threshold, the rule and the chosen models
    # change in the browser, so these measures are redone there on the picture's fetched block
    Twin(
        "compare_similarity",
        "explainer_core.compare.similarity.to_similarity",
        ("views/compare_view/task.js", "similarity"),
        "the chosen models' similarities are rescaled in the browser when the choice or the rule changes",
        ("tests/test_browser_compare_view.py",),
    ),
    Twin(
        "compare_contour_levels",
        "explainer_core.compare.thresholds.contour_levels",
        ("views/compare_view/task.js", "contourLevels"),
        "the threshold slider moves every row's contours in the browser",
        ("tests/test_browser_compare_view.py",),
    ),
    Twin(
        "compare_remove_below",
        "explainer_core.compare.thresholds.remove_below",
        ("views/compare_view/task.js", "keptPng"),
        "the thresholded pictures are redrawn in the browser when the threshold moves",
        ("tests/test_browser_compare_view.py",),
    ),
    Twin(
        "compare_histograms",
        "explainer_core.compare.histograms.salient_histograms",
        ("views/compare_view/task.js", "histograms"),
        "the colour histograms follow the threshold in the browser",
        ("tests/test_browser_compare_view.py",),
    ),
)

#: Every pair, by name (read-only): twins, and the browser's rules with a Python reference in the tests.
TWINS: MappingProxyType[str, Twin] = MappingProxyType({entry.name: entry for entry in _ENTRIES})


def twin(name: str) -> Twin:
    """The registry entry ``name``."""
    return TWINS[name]
