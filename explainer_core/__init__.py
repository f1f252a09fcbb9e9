"""explainer_core: the library every chapter of the CNN Explainer book calls.

Data flows one way: image -> preprocessing -> forward trace -> formula
explanations -> views -> page.
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

__all__ = [
    "DatasetError",
    "DownloadError",
    "ExplainerError",
    "HyperparameterError",
    "ImageError",
    "ModelLoadError",
    "TraceError",
]
