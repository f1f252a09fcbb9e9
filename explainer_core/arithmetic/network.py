"""A NumPy description of a sequential CNN, read once from Keras.

The forward trace, the formula explanations and the views all read this one
description, never the Keras model, so nothing about Tiny VGG (10 filters, 64
pixels, the ten class names) is assumed anywhere: any sequential model of
Conv2D, ReLU, MaxPooling2D, Flatten and Dense layers ending in a softmax can be
explained.

Each Keras layer becomes one or two *steps*, one per operation the book
explains (kinds: conv, relu, maxpool, flatten, dense, softmax). A layer with a
fused activation, such as ``Conv2D(activation="relu")`` or Tiny VGG's
``Dense(activation="softmax")`` output layer, becomes two steps: the linear
part, named ``<layer>_conv`` or ``<layer>_dense``, then the activation, which
keeps the Keras name. So the output of the step called ``output`` is exactly
what Keras's layer ``output`` returns, and the logits stay visible as the
output of ``output_dense``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from ..errors import ModelLoadError, TraceError
from .hyperparams import padding_amounts

__all__ = ["KINDS", "LayerSpec", "Network", "check_class_names"]

#: The operations the book explains, in the order a CNN classifier usually uses them.
KINDS = ("conv", "relu", "maxpool", "flatten", "dense", "softmax")
SPATIAL_KINDS = ("conv", "relu", "maxpool")


def _frozen(array) -> np.ndarray:
    """A read-only float32 copy, so a view cannot change the weights by accident."""
    out = np.array(array, dtype=np.float32, copy=True)
    out.flags.writeable = False
    return out


@dataclass(frozen=True, eq=False)
class LayerSpec:
    """One step of the network: what it computes and with which numbers.

    ``kernel`` keeps Keras's layout, (kH, kW, in, out) for a convolution and
    (inputs, outputs) for a dense layer. ``window`` is the kernel or pooling size,
    ``pads`` the zeros (or −inf, for pooling) added as ((top, bottom), (left, right)),
    and ``padding`` Keras's own word for it ("valid" or "same").
    """

    kind: str
    name: str
    keras_name: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    kernel: np.ndarray | None = field(default=None, repr=False)
    bias: np.ndarray | None = field(default=None, repr=False)
    window: tuple[int, int] | None = None
    strides: tuple[int, int] | None = None
    padding: str | None = None
    pads: tuple[tuple[int, int], tuple[int, int]] | None = None

    @property
    def neurons(self) -> int:
        """Activation maps (spatial steps) or units (vectors) this step outputs."""
        return self.output_shape[-1]


@dataclass(frozen=True, eq=False)
class Network:
    """A sequential CNN as plain NumPy data: input shape, steps, and class names.

    Build one with :meth:`from_keras` or :meth:`from_loaded`; it does not change
    if the Keras model is trained further, so build a new one after training.
    """

    name: str
    input_shape: tuple[int, int, int]
    layers: tuple[LayerSpec, ...]
    class_names: tuple[str, ...] | None = None

    # -- reading ----------------------------------------------------------
    @property
    def layer_names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.layers)

    @property
    def num_classes(self) -> int:
        return self.layers[-1].output_shape[-1]

    def layer(self, name: str) -> LayerSpec:
        """The step called ``name``; a :class:`TraceError` lists the names when it does not exist."""
        for spec in self.layers:
            if spec.name == name:
                return spec
        raise TraceError(f"This network has no layer called {name!r}; its layers are {', '.join(self.layer_names)}.")

    def index(self, name: str) -> int:
        """Position of the step called ``name`` in :attr:`layers`."""
        return self.layers.index(self.layer(name))

    def previous(self, name: str) -> str:
        """The name of the step that feeds the step called ``name`` (the input's name for the first)."""
        index = self.index(name)
        return self.layers[index - 1].name if index > 0 else "input"

    def class_name(self, index: int) -> str:
        """The name of output class ``index``, or "class <index>" when the model has none."""
        if self.class_names is not None:
            return self.class_names[index]
        return f"class {index}"

    # -- building ---------------------------------------------------------
    @classmethod
    def from_loaded(cls, loaded) -> Network:
        """From an :class:`explainer_core.models.loading.LoadedModel`, keeping its class names."""
        return cls.from_keras(loaded.keras_model, class_names=loaded.class_names)

    @classmethod
    def from_keras(cls, model, class_names=None) -> Network:
        """Read the structure and weights of a sequential Keras model.

        Raises :class:`ModelLoadError`, naming the layer, for anything the book
        cannot explain step by step.
        """
        import keras

        if not isinstance(model, keras.Model):
            raise ModelLoadError(f"Expected a Keras model, got {type(model).__name__}.")
        try:
            inputs, outputs = model.inputs, model.outputs
        except (AttributeError, ValueError):
            raise ModelLoadError("The model has not been built yet: start it with keras.Input(shape=...).") from None
        if len(inputs or ()) != 1 or len(outputs or ()) != 1:
            raise ModelLoadError("The book explains models with exactly one input and one output.")
        input_shape = tuple(model.inputs[0].shape[1:])
        if len(input_shape) != 3 or any(d is None for d in input_shape):
            raise ModelLoadError(
                f"The model's input must be an image of fixed (height, width, channels); it is {input_shape}."
            )
        input_shape = tuple(int(d) for d in input_shape)
        try:
            if not isinstance(model, keras.Sequential):
                _check_chain(model)
            builder = _Builder(input_shape)
            for layer in model.layers:
                builder.add(layer)
            steps = builder.finish()
        except ModelLoadError as exc:
            raise ModelLoadError(f"{exc} {COMPARISON_ONLY}") from None
        if class_names is not None:
            class_names = check_class_names(class_names, steps[-1].output_shape[-1])
        return cls(name=model.name, input_shape=input_shape, layers=steps, class_names=class_names)


#: What a model the step-by-step views cannot show can still be used for.
COMPARISON_ONLY = (
    "The CNN Explainer views (overview, elastic, formula, flatten and softmax views) show only a chain of "
    "Conv2D, ReLU, MaxPooling2D, Flatten and Dense layers; the comparison views (class activation maps, "
    "similarity, accuracy and distribution views) can show this model: load it with "
    "load_model(path, sequential_only=False)."
)


def check_class_names(names, num_classes: int, origin: str = "class_names") -> tuple[str, ...]:
    """One name per output, each a different non-empty string; ``origin`` says where they came from.

    A single string is refused rather than split into letters, and a repeated
    name rather than shown twice in the output view, where it could not be told apart.
    """
    if isinstance(names, (str, bytes)) or not isinstance(names, (list, tuple)):
        raise ModelLoadError(
            f"The class names ({origin}) must be a list with one name per output, not {type(names).__name__} "
            f"{str(names)[:60]!r}."
        )
    odd = [name for name in names if not isinstance(name, str) or not name.strip()]
    if odd:
        raise ModelLoadError(f"Every class name ({origin}) must be a non-empty string; {odd[0]!r} is not.")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ModelLoadError(f"Each class name ({origin}) must be different; repeated: {', '.join(repeated)}.")
    if len(names) != num_classes:
        raise ModelLoadError(f"The model has {num_classes} outputs but {len(names)} class names were given ({origin}).")
    return tuple(names)


def _check_chain(model) -> None:
    """A functional model must be a plain chain: each layer called once, on the previous layer's output.

    (A Sequential model is a chain by construction; its layers may hold extra graph
    nodes after loading, so it is not checked this way.)
    """
    previous = model.inputs[0]
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        try:
            chained = layer.input is previous
        except (AttributeError, ValueError):
            chained = False
        if not chained:
            raise ModelLoadError(
                f"Layer {layer.name!r} ({type(layer).__name__}) cannot be explained: the model is not a simple "
                "chain of layers (a layer is shared, skipped over or fed by a branch)."
            )
        previous = layer.output
    if model.outputs[0] is not previous:
        raise ModelLoadError("The model's output is not its last layer's output: it is not a simple chain.")


class _Builder:
    """Turns Keras layers into steps one by one, tracking the shape between them."""

    def __init__(self, input_shape: tuple[int, int, int]):
        self.shape: tuple[int, ...] = input_shape
        self.steps: list[LayerSpec] = []
        self.names: set[str] = set()

    # -- helpers ----------------------------------------------------------
    def _fail(self, layer, why: str) -> ModelLoadError:
        return ModelLoadError(f"Layer {layer.name!r} ({type(layer).__name__}) cannot be explained: {why}")

    def _name(self, wanted: str) -> str:
        name, n = wanted, 1
        while name in self.names:
            name, n = f"{wanted}_{n}", n + 1
        self.names.add(name)
        return name

    def _push(self, kind: str, keras_name: str, name: str, output_shape, **extra) -> None:
        self.steps.append(
            LayerSpec(kind, self._name(name), keras_name, self.shape, tuple(int(d) for d in output_shape), **extra)
        )
        self.shape = self.steps[-1].output_shape

    def _need_image(self, layer) -> None:
        if len(self.shape) != 3:
            raise self._fail(layer, f"it needs an image-shaped input but receives a vector of {self.shape[0]}.")

    def _need_vector(self, layer) -> None:
        if len(self.shape) != 1:
            raise self._fail(layer, f"it needs a vector but receives shape {self.shape}; add a Flatten layer first.")

    def _weights(self, layer, config) -> tuple[np.ndarray, np.ndarray]:
        """Kernel and bias (zeros without one), refused if any value is NaN or infinite.

        Such a model would give NaN probabilities, and every view would show "p=nan".
        """
        weights = layer.get_weights()
        kernel = weights[0]
        bias = weights[1] if config["use_bias"] else np.zeros(kernel.shape[-1], np.float32)
        for label, value in (("kernel", kernel), ("bias", bias)):
            broken = int(value.size - np.count_nonzero(np.isfinite(value)))
            if broken:
                raise self._fail(
                    layer,
                    f"{broken} of the {value.size} values of its {label} are NaN or infinite, so every output "
                    "would be NaN; the weights are damaged or the training diverged.",
                )
        return kernel, bias

    def _activation(self, layer, activation: str) -> None:
        """Append the activation step that a fused layer or an Activation layer computes."""
        if activation == "relu":
            self._push("relu", layer.name, layer.name, self.shape)
        elif activation == "softmax":
            self._need_vector(layer)
            self._push("softmax", layer.name, layer.name, self.shape)
        else:
            raise self._fail(layer, f"the activation {activation!r} is not one the book explains (relu, softmax).")

    # -- one Keras layer --------------------------------------------------
    def add(self, layer) -> None:
        kind = type(layer).__name__
        if kind == "InputLayer":
            return
        try:
            config = layer.get_config()
        except Exception as exc:  # e.g. a lambda activation, which Keras cannot describe
            raise self._fail(layer, f"its configuration cannot be read ({type(exc).__name__}).") from None
        policy = getattr(layer, "dtype_policy", None)
        compute = getattr(policy, "compute_dtype", "float32")
        if compute != "float32":
            raise self._fail(layer, f"it computes in {compute}; the trace reproduces float32 models only.")
        if config.get("data_format", "channels_last") != "channels_last":
            raise self._fail(layer, "only channels_last data is supported.")
        handler = getattr(self, f"_add_{kind}", None)
        if handler is None:
            raise self._fail(layer, "the book explains Conv2D, ReLU, Activation, MaxPooling2D, Flatten and Dense.")
        handler(layer, config)
        try:
            expected = tuple(layer.output.shape[1:])
        except (AttributeError, ValueError):  # a layer used twice has no single output
            raise self._fail(layer, "it is used more than once; the model must be a simple chain.") from None
        if self.shape != expected:
            raise self._fail(layer, f"its output {expected} does not follow from its input; is the model sequential?")

    def _add_Conv2D(self, layer, config) -> None:
        self._need_image(layer)
        if tuple(config["dilation_rate"]) != (1, 1):
            raise self._fail(layer, "dilated convolutions are not supported.")
        if config.get("groups", 1) != 1:
            raise self._fail(layer, "grouped convolutions are not supported.")
        if config["padding"] not in ("valid", "same"):
            raise self._fail(layer, f"padding {config['padding']!r} is not supported.")
        activation = config["activation"]
        if activation not in ("linear", "relu"):
            raise self._fail(layer, f"the fused activation {activation!r} is not supported (linear, relu).")
        kernel, bias = self._weights(layer, config)
        (kh, kw), strides = tuple(kernel.shape[:2]), tuple(int(s) for s in config["strides"])
        height, width, _ = self.shape
        pads = (
            padding_amounts(height, kh, strides[0], config["padding"]),
            padding_amounts(width, kw, strides[1], config["padding"]),
        )
        out_h = (height + sum(pads[0]) - kh) // strides[0] + 1
        out_w = (width + sum(pads[1]) - kw) // strides[1] + 1
        if out_h < 1 or out_w < 1:
            raise self._fail(layer, f"its {kh}×{kw} kernel does not fit its {height}×{width} input.")
        name = layer.name if activation == "linear" else f"{layer.name}_conv"
        self._push(
            "conv",
            layer.name,
            name,
            (out_h, out_w, kernel.shape[-1]),
            kernel=_frozen(kernel),
            bias=_frozen(bias),
            window=(kh, kw),
            strides=strides,
            padding=config["padding"],
            pads=pads,
        )
        if activation == "relu":
            self._activation(layer, "relu")

    def _add_MaxPooling2D(self, layer, config) -> None:
        self._need_image(layer)
        window = tuple(int(s) for s in config["pool_size"])
        strides = tuple(int(s) for s in (config["strides"] or window))
        height, width, channels = self.shape
        pads = (
            padding_amounts(height, window[0], strides[0], config["padding"]),
            padding_amounts(width, window[1], strides[1], config["padding"]),
        )
        out_h = (height + sum(pads[0]) - window[0]) // strides[0] + 1
        out_w = (width + sum(pads[1]) - window[1]) // strides[1] + 1
        if out_h < 1 or out_w < 1:
            raise self._fail(layer, f"its {window[0]}×{window[1]} window does not fit its {height}×{width} input.")
        self._push(
            "maxpool",
            layer.name,
            layer.name,
            (out_h, out_w, channels),
            window=window,
            strides=strides,
            padding=config["padding"],
            pads=pads,
        )

    def _add_ReLU(self, layer, config) -> None:
        if config.get("max_value") is not None or config.get("negative_slope") or config.get("threshold"):
            raise self._fail(layer, "only the plain ReLU max(0, x) is supported (no max_value, slope or threshold).")
        self._activation(layer, "relu")

    def _add_Activation(self, layer, config) -> None:
        self._activation(layer, config["activation"] if isinstance(config["activation"], str) else "custom")

    def _add_Softmax(self, layer, config) -> None:
        if config.get("axis", -1) not in (-1, [-1], (-1,), 1, [1], (1,)):
            raise self._fail(layer, "only a softmax over the class scores (the last axis) is supported.")
        self._activation(layer, "softmax")

    def _add_Flatten(self, layer, config) -> None:
        self._need_image(layer)
        self._push("flatten", layer.name, layer.name, (int(np.prod(self.shape)),))

    def _add_Dense(self, layer, config) -> None:
        self._need_vector(layer)
        activation = config["activation"]
        if activation not in ("linear", "relu", "softmax"):
            raise self._fail(layer, f"the fused activation {activation!r} is not supported (linear, relu, softmax).")
        kernel, bias = self._weights(layer, config)
        name = layer.name if activation == "linear" else f"{layer.name}_dense"
        self._push("dense", layer.name, name, (kernel.shape[-1],), kernel=_frozen(kernel), bias=_frozen(bias))
        if activation != "linear":
            self._activation(layer, activation)

    # -- the whole model --------------------------------------------------
    def finish(self) -> tuple[LayerSpec, ...]:
        kinds = [s.kind for s in self.steps]
        if kinds.count("flatten") != 1:
            raise ModelLoadError(
                f"The model needs exactly one Flatten layer between its image layers and its dense layers; "
                f"it has {kinds.count('flatten')}."
            )
        if not kinds or kinds[-1] != "softmax" or kinds.count("softmax") != 1:
            raise ModelLoadError(
                "The model's last layer must turn its logits into class probabilities with one softmax."
            )
        return tuple(self.steps)


def fingerprint(network: Network) -> str:
    """A short name for exactly these layers and weights (SHA-256 of them), so that a page
    holding several networks finds each view's own: the same network always gets the same name."""
    digest = hashlib.sha256(repr((network.input_shape, network.class_names)).encode())
    for s in network.layers:
        digest.update(repr((s.kind, s.name, s.input_shape, s.output_shape, s.window, s.strides, s.pads)).encode())
        for values in (s.kernel, s.bias):
            if values is not None:
                digest.update(np.ascontiguousarray(values, dtype=np.float32).tobytes())
    return digest.hexdigest()[:16]
