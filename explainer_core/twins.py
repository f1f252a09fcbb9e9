"""Every rule the book writes twice, once in Python and once in JavaScript.

The built book is static: no server runs Python for the reader. When the reader picks
a new picture, the browser must redo what Python did for the default one (the forward
trace, the colour ranges, the numbers written on the views, every view's data), so
those rules exist in both languages. This registry names each pair once;
``tests/test_twins.py`` checks that every entry resolves on both sides, and either
compares the pair in Chromium or points (``cases_in``) to the test modules that do.

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
        "explainer_core.views.softmax_view.sig",
        (_KIT, "ExplainerKit.sig"),
        "the softmax equation's terms are rewritten by the browser after a new picture",
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
        "protocol",
        "explainer_core.page.protocol",
        ("page/page.js", "ExplainerPage"),
        "Python writes the page's names and the browser finds things by them",
        ("tests/test_page_protocol.py",),
    ),
    Twin(
        "conv_elastic_fill",
        "explainer_core.views.conv_view.conv_elastic_data",
        ("views/conv_view/fill.js", ""),
        "the elastic convolution view is refilled in the browser after a new picture",
        (_REFILL_CONV,),
    ),
    Twin(
        "conv_formula_fill",
        "explainer_core.views.formula_views.conv_formula_data",
        ("views/formula_views/fill.js", ""),
        "the convolution formula view is refilled in the browser after a new picture",
        (_REFILL_CONV,),
    ),
    Twin(
        "relu_formula_fill",
        "explainer_core.views.formula_views.relu_formula_data",
        ("views/formula_views/fill.js", ""),
        "the ReLU formula view is refilled in the browser after a new picture",
        (_REFILL_CONV,),
    ),
    Twin(
        "maxpool_formula_fill",
        "explainer_core.views.formula_views.maxpool_formula_data",
        ("views/formula_views/fill.js", ""),
        "the max pooling formula view is refilled in the browser after a new picture",
        (_REFILL_CONV,),
    ),
    Twin(
        "flatten_fill",
        "explainer_core.views.flatten_view.flatten_data",
        ("views/flatten_view/fill.js", ""),
        "the flatten view is refilled in the browser after a new picture",
        (_OUTPUT,),
    ),
    Twin(
        "softmax_fill",
        "explainer_core.views.softmax_view.softmax_data",
        ("views/softmax_view/fill.js", ""),
        "the softmax view is refilled in the browser after a new picture",
        (_OUTPUT,),
    ),
    Twin(
        "overview_fill",
        "explainer_core.views.overview.overview_data",
        ("views/overview/fill.js", ""),
        "the overview is refilled in the browser after a new picture",
        ("tests/test_browser_overview.py",),
    ),
    Twin(
        "input_fill",
        "explainer_core.views.kit.pictures.input_data",
        ("views/input_view/fill.js", ""),
        "the input view shows the new picture and its channels, drawn in the browser",
        ("tests/test_browser_picture_preview.py",),
    ),
)

#: Every twin pair, by name (read-only).
TWINS: MappingProxyType[str, Twin] = MappingProxyType({entry.name: entry for entry in _ENTRIES})


def twin(name: str) -> Twin:
    """The registry entry ``name``."""
    return TWINS[name]
