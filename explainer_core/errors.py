"""The errors a learner may see.

Every problem caused by input (an image, a data set, a weights file, a
hyperparameter) is raised as a subclass of :class:`ExplainerError`, with a
message written for a student, so that notebooks and commands can show it
without a traceback.
"""

from __future__ import annotations


class ExplainerError(Exception):
    """Base class for every input problem the book reports in plain words."""


class ImageError(ExplainerError, ValueError):
    """An image could not be read or turned into the model's input."""


class DatasetError(ExplainerError, FileNotFoundError):
    """The Tiny ImageNet data is missing, incomplete or corrupt."""


class DownloadError(DatasetError):
    """Downloading the data set failed; nothing partial was left behind."""


class ModelLoadError(ExplainerError, ValueError):
    """A weights file is missing, corrupt, or not a CNN the book can explain."""


class TrainingError(ExplainerError, ValueError):
    """A training setting or output path that cannot work, refused before training starts."""


class HyperparameterError(ExplainerError, ValueError):
    """A convolution hyperparameter combination that cannot work."""


class TraceError(ExplainerError, ValueError):
    """A request to the forward trace that does not fit the network."""


class ExplanationError(ExplainerError, ValueError):
    """A request to an explanation method or a comparison measure that cannot work (method, class, layer, image)."""
