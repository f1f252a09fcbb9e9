"""The forward trace: every number a CNN computes for one image, kept for the views.

CNN Explainer shows every layer's activation maps (the overview, Sect. 6.1),
the intermediate results of a convolutional neuron (the elastic view, Sect.
6.2), the flatten layer and the logits before the softmax (Fig. 5). A
:class:`Trace` holds all of them, computed once with the reference operations of
:mod:`explainer_core.arithmetic.ops`; the views only read it.

Example, for Tiny VGG::

    network = Network.from_loaded(load_model())       # once per model
    t = trace(network, prepare_image("koala.jpg"))     # about a millisecond
    t.outputs["conv_1_1"].shape                         # (62, 62, 10)
    t.intermediates["conv_1_1"].shape                   # (10, 3, 62, 62)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from ..errors import TraceError
from . import ops
from .network import Network

__all__ = ["Trace", "as_network", "trace"]


def as_network(model) -> Network:
    """A :class:`Network` from a Network, a ``LoadedModel`` or a Keras model.

    Reading the weights out of Keras takes longer than a trace, so a view that
    traces many images should call this once and pass the Network.
    """
    if isinstance(model, Network):
        return model
    if hasattr(model, "keras_model") and hasattr(model, "class_names"):
        return Network.from_loaded(model)
    return Network.from_keras(model)


def _readonly(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class Trace:
    """Everything one image does inside one network.

    ``outputs`` maps each step name (see :class:`explainer_core.arithmetic.network.Network`) to
    its output, shaped as Keras shapes it without the batch axis; for every Keras
    layer name the value equals what that Keras layer returns. ``intermediates``
    maps each convolution step to its intermediate results, shape (out_channels,
    in_channels, out_H, out_W): ``intermediates[name][f, c]`` is input channel ``c``
    convolved with filter ``f``'s slice, before the channel sum and the bias.
    ``flatten_index[u]`` is the (row, column, channel) that flatten unit ``u``
    comes from. All arrays are read-only.
    """

    network: Network
    image: np.ndarray
    outputs: Mapping[str, np.ndarray]
    intermediates: Mapping[str, np.ndarray]
    logits: np.ndarray
    flattened: np.ndarray
    flatten_index: np.ndarray
    probabilities: np.ndarray

    def __repr__(self) -> str:
        return (
            f"Trace(network={self.network.name!r}, {len(self.outputs)} steps, "
            f"predicted {self.predicted_label!r} with p={float(self.probabilities.max()):.3f})"
        )

    @property
    def layer_names(self) -> tuple[str, ...]:
        """Step names in the order the image passes through them."""
        return self.network.layer_names

    @property
    def predicted_class(self) -> int:
        return int(np.argmax(self.probabilities))

    @property
    def predicted_label(self) -> str:
        return self.network.class_name(self.predicted_class)

    def input_of(self, name: str) -> np.ndarray:
        """What went into step ``name``: the image for the first step, else the previous output."""
        index = self.network.index(name)
        return self.image if index == 0 else self.outputs[self.network.layers[index - 1].name]


def _check_image(image, shape: tuple[int, int, int]) -> np.ndarray:
    """The image as a float32 (H, W, C) array, or a :class:`TraceError` saying what is wrong with it."""
    if not isinstance(image, np.ndarray):
        raise TraceError(
            f"The trace needs the image as a NumPy array (as prepare_image returns), not {type(image).__name__}."
        )
    if not (np.issubdtype(image.dtype, np.floating)):
        raise TraceError(
            f"The image holds {image.dtype} values, but the model reads floating-point pixels "
            "(values in [0, 1] for the book's models); use explainer_core.data.preprocess.prepare_image."
        )
    if image.ndim == 4 and image.shape[0] == 1:
        image = image[0]
    if image.shape != shape:
        wanted = "×".join(str(d) for d in shape)
        got = "×".join(str(d) for d in image.shape) or "a single number"
        raise TraceError(
            f"The model needs a {wanted} image (height × width × channels) but was given {got}; "
            f"prepare_image(source, size={shape[:2]}) resizes and crops any picture to fit."
        )
    image = np.array(image, dtype=np.float32, copy=True)
    if not np.isfinite(image).all():
        raise TraceError("The image contains NaN or infinite values.")
    return _readonly(image)


def trace(model, image: np.ndarray) -> Trace:
    """Run ``image`` (H, W, C floats) through ``model`` and keep every intermediate number.

    ``model`` is a :class:`Network` (fastest), a ``LoadedModel`` or a Keras model.
    Raises :class:`TraceError` when the image does not fit the model.
    """
    network = as_network(model)
    x = _check_image(image, network.input_shape)
    image = x
    outputs: dict[str, np.ndarray] = {}
    intermediates: dict[str, np.ndarray] = {}
    flatten_index = logits = None
    for step in network.layers:
        if step.kind == "conv":
            parts = ops.conv2d_intermediates(x, step.kernel, step.strides, step.pads)
            intermediates[step.name] = _readonly(parts)
            x = ops.sum_intermediates(parts, step.bias)
        elif step.kind == "relu":
            x = ops.relu(x)
        elif step.kind == "maxpool":
            x = ops.max_pool2d(x, step.window, step.strides, step.pads)
        elif step.kind == "flatten":
            flatten_index = _readonly(ops.flatten_index(x.shape))
            x = ops.flatten(x)
        elif step.kind == "dense":
            x = ops.dense(x, step.kernel, step.bias)
        elif step.kind == "softmax":
            logits = x
            x = ops.softmax(x)
        else:  # pragma: no cover - Network only builds the kinds above
            raise TraceError(f"Unknown step kind {step.kind!r}.")
        outputs[step.name] = _readonly(x)
    flattened = outputs[next(s.name for s in network.layers if s.kind == "flatten")]
    return Trace(
        network=network,
        image=image,
        outputs=MappingProxyType(outputs),
        intermediates=MappingProxyType(intermediates),
        logits=logits,
        flattened=flattened,
        flatten_index=flatten_index,
        probabilities=x,
    )
