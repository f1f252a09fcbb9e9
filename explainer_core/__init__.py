"""explainer_core: the library every chapter of the CNN Explainer book calls.

Data flows one way: image -> preprocessing -> forward trace -> formula
explanations -> views -> page, and the folders are those floors: ``data/``
(Tiny ImageNet and preprocessing), ``models/`` (loading, formats, training),
``arithmetic/`` (network, reference ops, trace, formulas, hyperparameters,
colour ranges), ``explain/`` and ``compare/`` (the comparison part: explanation
methods and measures), ``views/`` and ``page/`` (embedding, the default picture, the
browser's network, the Sphinx extension). Chapters import the short names here.

Importing the package does not import Keras or Bokeh: the page-level names
(``show``, ``default_trace``, ``load_model``, ...) are loaded when first used.
"""

from .arithmetic.formulas import (
    explain_conv,
    explain_dense,
    explain_flatten,
    explain_maxpool,
    explain_relu,
    explain_softmax,
    window_origin,
)
from .arithmetic.hyperparams import check_hyperparameters, conv_output_size, window_positions
from .arithmetic.network import Network
from .arithmetic.scales import color_ranges
from .arithmetic.trace import Trace, trace
from .data.preprocess import prepare_image
from .errors import (
    DatasetError,
    DownloadError,
    ExplainerError,
    ExplanationError,
    HyperparameterError,
    ImageError,
    ModelLoadError,
    TraceError,
)

#: Names a chapter uses, imported from their floor when first asked for (PEP 562).
_LAZY = {
    "show": "page.embed",
    "use_notebook": "page.embed",
    "default_example": "page.examples",
    "default_trace": "page.examples",
    "example_from": "page.examples",
    "shipped_network": "page.examples",
    "load_model": "models.loading",
    "explain": "explain",
    "ZOO": "models.zoo",
}


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DatasetError",
    "DownloadError",
    "ExplainerError",
    "ExplanationError",
    "HyperparameterError",
    "ImageError",
    "ModelLoadError",
    "Network",
    "Trace",
    "TraceError",
    "ZOO",
    "check_hyperparameters",
    "color_ranges",
    "conv_output_size",
    "default_example",
    "default_trace",
    "example_from",
    "explain",
    "explain_conv",
    "explain_dense",
    "explain_flatten",
    "explain_maxpool",
    "explain_relu",
    "explain_softmax",
    "load_model",
    "prepare_image",
    "shipped_network",
    "show",
    "trace",
    "window_origin",
    "window_positions",
]
