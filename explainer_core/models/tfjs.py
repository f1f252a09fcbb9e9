"""Read a TensorFlow.js layers model (``model.json`` + weight shards) with NumPy alone.

CNN Explainer itself ships its Tiny VGG in this format, so an instructor can
bring a model trained with TensorFlow.js (or converted for it) without the
``tensorflowjs`` package. The format: ``model.json`` holds ``modelTopology``
(a Keras model config) and ``weightsManifest``, a list of groups, each naming
its shard files (``paths``) and the weights they hold in order (``name``,
``shape``, ``dtype``, optional ``quantization``); a group's shards are one
byte stream cut into files.
"""

from __future__ import annotations

import json
import math
from pathlib import Path, PurePosixPath

import keras
import numpy as np

from ..errors import ModelLoadError

#: The stored dtype of a quantized weight (``quantization.dtype``); unquantized weights are float32.
_QUANTIZED = {"uint8": np.uint8, "uint16": np.uint16, "float16": np.float16}

# Keras layer classes rebuilt from a TF.js topology, and the config keys each keeps.
_LAYER_KEYS = {
    "Conv2D": ("filters", "kernel_size", "strides", "padding", "activation", "use_bias", "dilation_rate"),
    "MaxPooling2D": ("pool_size", "strides", "padding"),
    "Flatten": (),
    "Dense": ("units", "activation", "use_bias"),
    "ReLU": (),
    "Activation": ("activation",),
}


def read_tfjs_model(source: str | Path) -> tuple[keras.Sequential, dict]:
    """Build the Keras model a TF.js ``model.json`` describes and load its weights.

    Anything malformed raises :class:`ModelLoadError`: a model.json is often
    written by hand or by another tool, and a learner should read what is
    wrong in it, not a KeyError.
    """
    source = Path(source)
    manifest_file = source / "model.json" if source.is_dir() else source
    if not manifest_file.is_file():
        raise ModelLoadError(f"{source} holds no model.json: it is not a TensorFlow.js layers model folder.")
    try:
        spec = json.loads(manifest_file.read_text())
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"{manifest_file} is not a TensorFlow.js layers model.json ({exc}).") from exc
    if not isinstance(spec, dict) or not isinstance(spec.get("modelTopology"), dict):
        raise ModelLoadError(f"{manifest_file} is not a TensorFlow.js layers model.json (no modelTopology object).")
    if not isinstance(spec.get("weightsManifest"), list):
        raise ModelLoadError(f"{manifest_file} is not a TensorFlow.js layers model.json (no weightsManifest list).")
    metadata = spec.get("userDefinedMetadata") or {}
    if not isinstance(metadata, dict):
        raise ModelLoadError(f"userDefinedMetadata in {manifest_file.name} must be a JSON object.")
    model = _build(spec["modelTopology"])
    weights = _read_weights(spec["weightsManifest"], manifest_file.parent)
    for layer in model.layers:
        values = []
        for variable in layer.weights:
            key = _find_weight(weights, layer.name, variable.name)
            if key is None:
                raise ModelLoadError(f"The weight shards hold no {variable.name} for layer {layer.name!r}.")
            value = weights[key]
            if tuple(value.shape) != tuple(variable.shape):
                raise ModelLoadError(
                    f"Weight {key} has shape {tuple(value.shape)}, but layer {layer.name!r} "
                    f"needs {tuple(variable.shape)}: the shards do not match model.json."
                )
            values.append(value)
        if values:
            layer.set_weights(values)
    return model, metadata


def _find_weight(weights: dict[str, np.ndarray], layer: str, variable: str) -> str | None:
    for key in (f"{layer}/{variable}", f"{layer}/{variable}:0"):
        if key in weights:
            return key
    suffix = f"/{variable}"
    matches = [k for k in weights if k.startswith(f"{layer}/") and k.removesuffix(":0").endswith(suffix)]
    return matches[0] if len(matches) == 1 else None


def _malformed(why: str) -> ModelLoadError:
    return ModelLoadError(f"model.json does not describe a model the book can build: {why}.")


def _build(topology: dict) -> keras.Sequential:
    config = topology.get("model_config", topology)
    if not isinstance(config, dict) or config.get("class_name") != "Sequential":
        raise ModelLoadError("Only sequential TensorFlow.js models can be explained.")
    layer_configs = config.get("config")
    if isinstance(layer_configs, dict):
        layer_configs = layer_configs.get("layers")
    if not isinstance(layer_configs, list) or not all(
        isinstance(entry, dict) and isinstance(entry.get("config", {}), dict) for entry in layer_configs
    ):
        raise _malformed("its layers must be a list of objects, each with a class_name and a config")
    names = [entry.get("config", {}).get("name") for entry in layer_configs]
    unnamed = [i for i, name in enumerate(names) if not isinstance(name, str) or not name]
    if unnamed:
        raise _malformed(f"layer {unnamed[0]} has no name, and the weights are found by layer name")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise _malformed(f"each layer needs its own name; repeated: {', '.join(repeated)}")
    input_shape = None
    layers: list[keras.layers.Layer] = []
    for entry in layer_configs:
        kind, cfg = entry.get("class_name"), entry.get("config", {})
        shape = cfg.get("batch_input_shape") or cfg.get("batch_shape")
        if shape and input_shape is None:
            input_shape = _input_shape(shape, cfg["name"])
        if kind == "InputLayer":
            continue
        if kind not in _LAYER_KEYS:
            raise ModelLoadError(f"Layer {cfg['name']!r} is a {kind}, which the book cannot explain.")
        if cfg.get("data_format", "channels_last") != "channels_last":
            raise ModelLoadError(f"Layer {cfg['name']!r} is channels_first; only channels_last is supported.")
        kwargs = {key: cfg[key] for key in _LAYER_KEYS[kind] if key in cfg}
        try:
            layers.append(getattr(keras.layers, kind)(name=cfg["name"], **kwargs))
        except Exception as exc:  # Keras checks the arguments with TypeErrors and ValueErrors of its own
            raise _malformed(f"layer {cfg['name']!r} ({kind}) cannot be built ({str(exc)[:200]})") from exc
    if input_shape is None:
        raise ModelLoadError("model.json does not give the model's fixed input shape.")
    try:
        return keras.Sequential([keras.Input(shape=input_shape), *layers], name="tfjs_model")
    except Exception as exc:  # e.g. a kernel larger than its input
        raise _malformed(f"its layers do not fit together ({str(exc)[:200]})") from exc


def _input_shape(shape, layer: str) -> tuple[int, ...]:
    """``batch_input_shape`` without the batch: whole numbers of at least 1, none unknown."""
    if not isinstance(shape, list) or len(shape) < 2:
        raise _malformed(f"layer {layer!r} gives the input shape {shape!r}, not a list [batch, height, ...]")
    dims = shape[1:]
    if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in dims):
        raise ModelLoadError(f"model.json does not give the model's fixed input shape (it gives {shape!r}).")
    return tuple(dims)


def _weight_entry(entry) -> tuple[str, tuple[int, ...], np.dtype, dict | None]:
    """Name, shape, stored dtype and quantization of one manifest entry, each checked."""
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
        raise _malformed(f"a weight must be an object with a name, shape and dtype, not {str(entry)[:80]}")
    name, shape = entry["name"], entry.get("shape")
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise _malformed(f"weight {name} has the shape {shape!r}, not a list of whole numbers")
    dtype, quant = entry.get("dtype", "float32"), entry.get("quantization")
    if dtype != "float32":
        # float32 bytes read as int32 would give nonsense weights without a word.
        raise ModelLoadError(
            f"Weight {name} is declared as {dtype!r}; the layers the book explains hold float32 weights."
        )
    if quant is None:
        return name, tuple(shape), np.dtype(np.float32), None
    if not isinstance(quant, dict) or quant.get("dtype") not in _QUANTIZED:
        raise ModelLoadError(
            f"Weight {name} has an unsupported quantization {str(quant)[:80]}; supported: {', '.join(_QUANTIZED)}."
        )
    if quant["dtype"] != "float16":
        for key in ("scale", "min"):
            value = quant.get(key, 0.0 if key == "min" else None)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ModelLoadError(f"Weight {name} is quantized with the {key} {value!r}, not a finite number.")
    return name, tuple(shape), np.dtype(_QUANTIZED[quant["dtype"]]), quant


def _read_group(group, folder: Path) -> tuple[bytes, list]:
    """The bytes of one group's shards, in order, and its weight entries."""
    if (
        not isinstance(group, dict)
        or not isinstance(group.get("paths"), list)
        or not isinstance(group.get("weights"), list)
    ):
        raise _malformed("each weightsManifest group must be an object with a list of paths and a list of weights")
    chunks = []
    for name in group["paths"]:
        parts = PurePosixPath(name.replace("\\", "/")).parts if isinstance(name, str) else ()
        if not parts:
            raise _malformed(f"the weight shard path {name!r} is not a file name")
        # Judged by the name, not by where a symbolic link points (data tools store shards as links).
        if name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
            raise ModelLoadError(
                f"The weight shard {name!r} lies outside the model's folder {folder}; "
                "model.json may only name shards inside it."
            )
        try:
            chunks.append((folder / name).read_bytes())
        except OSError as exc:
            raise ModelLoadError(f"A weight shard of this TensorFlow.js model is missing ({exc}).") from exc
    return b"".join(chunks), group["weights"]


def _read_weights(groups: list, folder: Path) -> dict[str, np.ndarray]:
    """Decode every weight of every group: concatenate its shards, then slice in order."""
    weights: dict[str, np.ndarray] = {}
    for group in groups:
        buffer, entries = _read_group(group, folder)
        offset = 0
        for entry in entries:
            name, shape, dtype, quant = _weight_entry(entry)
            if name in weights:
                raise _malformed(f"the weight {name} is listed twice")
            count = math.prod(shape)
            size = count * dtype.itemsize
            if offset + size > len(buffer):
                raise ModelLoadError(
                    f"The weight shards end before weight {name}: they are truncated or do not "
                    "belong to this model.json."
                )
            value = np.frombuffer(buffer, dtype=dtype, count=count, offset=offset).reshape(shape)
            offset += size
            if quant is not None and "scale" in quant:
                value = value.astype(np.float32) * np.float32(quant["scale"]) + np.float32(quant.get("min", 0.0))
            weights[name] = value.astype(np.float32, copy=False)
        if offset != len(buffer):
            raise ModelLoadError(
                f"The weight shards hold {len(buffer) - offset} more bytes than model.json describes: "
                "they do not belong to this model."
            )
    return weights
