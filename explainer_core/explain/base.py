"""What every explanation method shares, written once (in the spirit of torch-cam's ``_CAM``).

The base class :class:`Explainer` checks the request (model, images, target
class, target layer), opens the model at the target layer (a sub-model cached
per model and layer), compiles the whole computation into one cached
``tf.function`` per model, method and layer, and turns the method's raw map
into the picture a reader sees: ReLU, bilinear upsampling to the input's size,
then min-max to [0, 1] per image. A method (one module each) supplies only
what differs: its channel weights (:meth:`Explainer.channel_weights`) or, when
it weights no layer's maps, its map (:meth:`Explainer.layer_maps`).

Scores. The models end in a softmax. The gradient methods differentiate the
class score the papers use, the pre-softmax logit: it is recovered when the
last layer is a ``Softmax`` or ``Activation("softmax")`` layer (its input) or
a ``Dense`` layer with a softmax activation (its input times its kernel plus
its bias). A model whose softmax cannot be undone is explained on its output
as given. Score-CAM and BBMP score the softmax probability, as their papers do.
"""

from __future__ import annotations

import functools
import weakref
from dataclasses import dataclass
from typing import ClassVar

import keras
import numpy as np
import tensorflow as tf

from ..errors import ExplanationError
from ..models.loading import LoadedModel

#: Layers whose 4-D output is not a convolution's feature maps: never the default target layer.
NOT_FEATURE_MAPS = (
    keras.layers.InputLayer,
    keras.layers.MaxPooling2D,
    keras.layers.AveragePooling2D,
    keras.layers.GlobalMaxPooling2D,
    keras.layers.GlobalAveragePooling2D,
    keras.layers.Dropout,
    keras.layers.SpatialDropout2D,
    keras.layers.Reshape,
    keras.layers.Permute,
)
CONVOLUTIONS = (
    keras.layers.Conv2D,
    keras.layers.DepthwiseConv2D,
    keras.layers.SeparableConv2D,
    keras.layers.Conv2DTranspose,
)
#: Most images sent through the model in one forward pass (Score-CAM and Smooth Grad-CAM++ copy each image).
IMAGES_PER_PASS = 256


def keras_model_of(model) -> keras.Model:
    """The Keras model inside ``model`` (a ``keras.Model`` or a :class:`LoadedModel`)."""
    keras_model = model.keras_model if isinstance(model, LoadedModel) else model
    if not isinstance(keras_model, keras.Model):
        raise ExplanationError(
            f"Explanations need a Keras model or a model from load_model(), not a {type(model).__name__}."
        )
    if len(keras_model.inputs) != 1 or len(keras_model.outputs) != 1:
        raise ExplanationError(f"{keras_model.name} has several inputs or outputs; explain a one-image classifier.")
    return keras_model


def _is_feature_maps(layer) -> bool:
    return not isinstance(layer, NOT_FEATURE_MAPS) and len(layer.output.shape) == 4


def _check_has_convolution(model: keras.Model) -> None:
    if not any(isinstance(layer, CONVOLUTIONS) for layer in model.layers):
        raise ExplanationError(
            f"{model.name} has no convolution, so it has no feature maps for a class activation map to weight. "
            "Explain a convolutional network (BBMP perturbs the input and works on any classifier)."
        )


def default_target_layer(model) -> str:
    """The name of the last layer, in ``model.layers`` order, with 4-D output that is not pooling,
    dropout, reshaping or the input: the output of the last convolution's block (``relu_2_2`` in Tiny VGG).

    The last convolution is what Grad-CAM explains (Selvaraju et al., 2017, Sect. 3); its block output
    includes the activation, batch normalisation or shortcut that the next layer actually reads.
    """
    model = keras_model_of(model)
    _check_has_convolution(model)
    candidates = [layer.name for layer in model.layers if _is_feature_maps(layer)]
    return candidates[-1]


def resolve_layer(model: keras.Model, layer: str | None) -> str:
    """``layer`` checked (it exists and has feature maps), or the default target layer."""
    _check_has_convolution(model)
    if layer is None:
        return default_target_layer(model)
    names = [item.name for item in model.layers]
    maps = [item.name for item in model.layers if _is_feature_maps(item)]
    if layer not in names:
        raise ExplanationError(
            f"{model.name} has no layer named {layer!r}. Layers with feature maps: {', '.join(maps)}."
        )
    found = model.get_layer(layer)
    if len(found.output.shape) != 4 or isinstance(found, keras.layers.InputLayer):
        raise ExplanationError(
            f"Layer {layer!r} of {model.name} has output shape {tuple(found.output.shape)}, not feature maps "
            f"(height, width, channels). Choose a convolutional layer: {', '.join(maps)}."
        )
    return layer


# -- the model opened at a layer ---------------------------------------------------------


def _logit_head(last):
    """A function from the last layer's input to the logits when its softmax can be undone, else None."""
    softmax = getattr(getattr(last, "activation", None), "__name__", "") == "softmax"
    if isinstance(last, keras.layers.Softmax) or (isinstance(last, keras.layers.Activation) and softmax):
        return tf.identity
    if isinstance(last, keras.layers.Dense) and softmax:
        return lambda x: keras.ops.matmul(x, last.kernel) + (last.bias if last.use_bias else 0.0)
    return None


@dataclass(frozen=True, eq=False)
class Probe:
    """A model opened at one layer: images -> (that layer's maps, class scores, probabilities).

    Holds no reference to the model object itself, so the caches keyed by it can let it go.
    """

    submodel: keras.Model  # images -> [layer output, last layer's input (or the model output)]
    undo_softmax: object  # last layer's input -> logits, or None
    layer: str | None

    def __call__(self, images):
        """(activations or None, gradient score per class, probabilities)."""
        outputs = self.submodel(images, training=False)
        activations, head = (outputs[0], outputs[1]) if self.layer else (None, outputs)
        if self.undo_softmax is None:
            return activations, head, head
        logits = self.undo_softmax(head)
        return activations, logits, tf.nn.softmax(logits)

    def activations(self, images):
        return self(images)[0]

    def probabilities(self, images):
        return self(images)[2]

    def gradients(self, images, targets):
        """(activations, the target's score, d score / d activations) for each image."""
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(images)
            activations, scores, _ = self(images)
            score = pick(scores, targets)
        return activations, score, tape.gradient(score, activations)


def _node_inputs(tensor) -> list:
    """The tensors the layer call that made ``tensor`` read."""
    operation, node_index, _ = tensor._keras_history
    return list(operation._inbound_nodes[node_index].input_tensors)


def _output_on_path(model: keras.Model, layer: str):
    """``layer``'s output on the path to the model's output.

    ``layer.output`` is the output of the layer's first call, and a reloaded Sequential model has called
    its layers several times (four for the shipped Tiny VGG): only one of those outputs leads to
    ``model.output``, and only there does a gradient flow.
    """
    stack, seen = list(model.outputs), set()
    while stack:
        tensor = stack.pop()
        if tensor._keras_history[0].name == layer:
            return tensor
        if id(tensor) not in seen:
            seen.add(id(tensor))
            stack.extend(_node_inputs(tensor))
    raise ExplanationError(f"Layer {layer!r} does not lead to the output of {model.name}.")


_PROBES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def probe(model: keras.Model, layer: str | None) -> Probe:
    """The model opened at ``layer`` (None: only the scores), built once per model and layer."""
    cache = _PROBES.setdefault(model, {})
    if layer not in cache:
        undo = _logit_head(model.layers[-1])
        head = _node_inputs(model.outputs[0])[0] if undo else model.outputs[0]
        outputs = [_output_on_path(model, layer), head] if layer else head
        cache[layer] = Probe(keras.Model(model.inputs[0], outputs), undo, layer)
    return cache[layer]


def pick(scores, targets):
    """``scores[i, targets[i]]`` for every image i."""
    return tf.gather(scores, targets, axis=1, batch_dims=1)


# -- the reader's picture ----------------------------------------------------------------


def upsample(maps, size):
    """(N, h, w, K) -> (N, H, W, K), bilinear, cells at their centres (as cv2.resize, which pytorch-grad-cam uses)."""
    return tf.image.resize(maps, size, method="bilinear")


def normalise(maps, size):
    """ReLU, upsample to ``size``, min-max to [0, 1] per image; a constant map becomes zeros."""
    maps = upsample(tf.nn.relu(maps)[..., None], size)[..., 0]
    low = tf.reduce_min(maps, axis=(1, 2), keepdims=True)
    high = tf.reduce_max(maps, axis=(1, 2), keepdims=True)
    span = high - low
    return tf.where(span > 1e-6 * high, (maps - low) / tf.where(span > 0, span, 1.0), 0.0)


# -- checking a request ------------------------------------------------------------------


def check_images(images, shape: tuple[int, int, int]) -> np.ndarray:
    """``images`` as float32 (N, H, W, C) in [0, 1]; uint8 is scaled, a single image becomes N = 1."""
    array = np.asarray(images)
    if array.ndim == 3:
        array = array[None]
    if array.ndim != 4 or array.shape[0] == 0 or tuple(array.shape[1:]) != shape:
        raise ExplanationError(
            f"Images of shape {tuple(np.shape(images))} do not fit the model, which reads {shape[0]}x{shape[1]} "
            f"pictures with {shape[2]} channels: give one ({shape[0]}, {shape[1]}, {shape[2]}) image or a batch "
            f"(N, {shape[0]}, {shape[1]}, {shape[2]}); prepare_image() resizes any picture."
        )
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    if not np.issubdtype(array.dtype, np.floating):
        raise ExplanationError(f"Images must be uint8 (0-255) or floats in [0, 1], not {array.dtype}.")
    if not np.isfinite(array).all():
        raise ExplanationError("Some pixel values are not numbers (NaN or infinity); give pixels in [0, 1].")
    if array.min() < -1e-6 or array.max() > 1 + 1e-6:
        raise ExplanationError(
            f"Pixel values must lie in [0, 1] (these span {array.min():g} to {array.max():g}); "
            "divide 0-255 values by 255, or use prepare_image()."
        )
    return np.clip(array, 0.0, 1.0).astype(np.float32)


def check_targets(target, count: int, num_classes: int) -> np.ndarray:
    """One class index per image; -1 stands for "the predicted class"."""
    if target is None:
        return np.full(count, -1, np.int32)
    targets = [target] * count if isinstance(target, (int, np.integer)) else list(np.ravel(target))
    if len(targets) != count:
        raise ExplanationError(f"{len(targets)} target classes for {count} images: give one class, or one per image.")
    for value in targets:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise ExplanationError(f"Target class {value!r} is not a class index (an integer).")
        if not 0 <= value < num_classes:
            raise ExplanationError(
                f"Class {value} is out of range: this model has {num_classes} classes, 0 to {num_classes - 1}."
            )
    return np.asarray(targets, np.int32)


# -- the base class ----------------------------------------------------------------------


class Explainer:
    """One explanation method bound to one model and one target layer; call it on a batch of images.

    ``explainer(images, target=None)`` returns maps (N, H, W) in [0, 1] at the input's resolution;
    ``target`` is None (each image's predicted class), one class index, or one index per image.
    The computation is one ``tf.function``, traced once for any batch size.
    """

    #: The method's name in :data:`METHODS`.
    name: ClassVar[str]
    #: False for methods that perturb the input rather than weight a layer's maps (BBMP).
    needs_layer: ClassVar[bool] = True

    def __init__(self, model, layer: str | None = None):
        keras_model = keras_model_of(model)
        shape = tuple(keras_model.input_shape[1:])
        if len(shape) != 3 or None in shape:
            raise ExplanationError(f"{keras_model.name} must read images of one fixed size (H, W, C), not {shape}.")
        self.input_shape: tuple[int, int, int] = shape
        self.num_classes = int(keras_model.output_shape[-1])
        self.layer = resolve_layer(keras_model, layer) if self.needs_layer else None
        self.probe = probe(keras_model, self.layer)
        spec = (tf.TensorSpec((None, *shape), tf.float32), tf.TensorSpec((None,), tf.int32))
        # a partial, not the bound method: TensorFlow counts traces per function code and would warn of
        # "retracing" when the explainers of many models each trace their own graph once
        self._graph = tf.function(functools.partial(type(self)._maps, self), input_signature=spec)

    def __call__(self, images, target=None) -> np.ndarray:
        images = check_images(images, self.input_shape)
        targets = check_targets(target, len(images), self.num_classes)
        step = max(1, IMAGES_PER_PASS // self.copies_per_image())
        return np.concatenate(
            [self._graph(images[i : i + step], targets[i : i + step]).numpy() for i in range(0, len(images), step)]
        )

    def copies_per_image(self) -> int:
        """How many altered copies of each image one forward pass holds (Score-CAM: one per channel)."""
        return 1

    def _maps(self, images, targets):
        predicted = tf.argmax(self.probe.probabilities(images), axis=-1, output_type=tf.int32)
        targets = tf.where(targets < 0, predicted, targets)
        return normalise(self.layer_maps(images, targets), self.input_shape[:2])

    def layer_maps(self, images, targets):
        """The raw map (N, h, w) before ReLU and normalisation: by default the weighted sum of the layer's maps."""
        activations, weights = self.channel_weights(images, targets)
        return tf.einsum("nhwk,nk->nhw", activations, weights)

    def channel_weights(self, images, targets):
        """(activations (N, h, w, K), weights (N, K)): what a class activation mapping method defines."""
        raise NotImplementedError


def cached(method: type[Explainer], model, layer: str | None, **options) -> Explainer:
    """The explainer of ``method`` for ``model`` and ``layer``, built (and compiled) once while the model lives."""
    keras_model = keras_model_of(model)
    cache = _EXPLAINERS.setdefault(keras_model, {})
    key = (method, layer, tuple(sorted(options.items())))
    if key not in cache:
        cache[key] = method(keras_model, layer, **options)
    return cache[key]


_EXPLAINERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
