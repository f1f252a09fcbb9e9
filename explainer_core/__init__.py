"""explainer_core: the library every chapter of the CNN Explainer book calls.

Data flows one way: image -> preprocessing -> forward trace -> formula
explanations -> views -> page. Importing the package does not import Keras;
``explainer_core.model`` does, when a model is loaded.
"""

from .errors import (
    DatasetError,
    DownloadError,
    ExplainerError,
    HyperparameterError,
    ImageError,
    ModelLoadError,
    TraceError,
)
from .formulas import (
    explain_conv,
    explain_dense,
    explain_flatten,
    explain_maxpool,
    explain_relu,
    explain_softmax,
)
from .hyperparams import check_hyperparameters, conv_output_size, window_positions
from .network import Network
from .preprocess import prepare_image
from .scales import color_ranges
from .trace import Trace, trace

__all__ = [
    "DatasetError",
    "DownloadError",
    "ExplainerError",
    "HyperparameterError",
    "ImageError",
    "ModelLoadError",
    "Network",
    "Trace",
    "TraceError",
    "check_hyperparameters",
    "color_ranges",
    "conv_output_size",
    "explain_conv",
    "explain_dense",
    "explain_flatten",
    "explain_maxpool",
    "explain_relu",
    "explain_softmax",
    "prepare_image",
    "trace",
    "window_positions",
]
