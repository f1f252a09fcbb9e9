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
from pathlib import Path

import keras
import numpy as np

from .errors import ModelLoadError

_DTYPES = {"float32": np.float32, "int32": np.int32, "uint8": np.uint8, "uint16": np.uint16, "float16": np.float16}

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
    """Build the Keras model a TF.js ``model.json`` describes and load its weights."""
    source = Path(source)
    manifest_file = source / "model.json" if source.is_dir() else source
    try:
        spec = json.loads(manifest_file.read_text())
        topology = spec["modelTopology"]
        groups = spec["weightsManifest"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelLoadError(f"{manifest_file} is not a TensorFlow.js layers model.json ({exc}).") from exc
    model = _build(topology)
    weights = _read_weights(groups, manifest_file.parent)
    for layer in model.layers:
        wanted = [w for w in layer.weights]
        if not wanted:
            continue
        values = []
        for variable in wanted:
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
        layer.set_weights(values)
    metadata = spec.get("userDefinedMetadata") or {}
    return model, metadata


def _find_weight(weights: dict[str, np.ndarray], layer: str, variable: str) -> str | None:
    for key in (f"{layer}/{variable}", f"{layer}/{variable}:0"):
        if key in weights:
            return key
    suffix = f"/{variable}"
    matches = [k for k in weights if k.startswith(f"{layer}/") and k.rstrip(":0").endswith(suffix)]
    return matches[0] if len(matches) == 1 else None


def _build(topology: dict) -> keras.Sequential:
    config = topology.get("model_config", topology)
    if config.get("class_name") != "Sequential":
        raise ModelLoadError("Only sequential TensorFlow.js models can be explained.")
    layer_configs = config["config"]
    if isinstance(layer_configs, dict):
        layer_configs = layer_configs.get("layers", [])
    input_shape = None
    layers: list[keras.layers.Layer] = []
    for entry in layer_configs:
        kind, cfg = entry.get("class_name"), entry.get("config", {})
        shape = cfg.get("batch_input_shape") or cfg.get("batch_shape")
        if shape and input_shape is None:
            input_shape = tuple(shape[1:])
        if kind == "InputLayer":
            continue
        if kind not in _LAYER_KEYS:
            raise ModelLoadError(f"Layer {cfg.get('name')!r} is a {kind}, which the book cannot explain.")
        if cfg.get("data_format", "channels_last") != "channels_last":
            raise ModelLoadError(f"Layer {cfg.get('name')!r} is channels_first; only channels_last is supported.")
        kwargs = {key: cfg[key] for key in _LAYER_KEYS[kind] if key in cfg}
        layers.append(getattr(keras.layers, kind)(name=cfg.get("name"), **kwargs))
    if input_shape is None or any(d is None for d in input_shape):
        raise ModelLoadError("model.json does not give the model's fixed input shape.")
    return keras.Sequential([keras.Input(shape=input_shape), *layers], name="tfjs_model")


def _read_weights(groups: list, folder: Path) -> dict[str, np.ndarray]:
    """Decode every weight of every group: concatenate its shards, then slice in order."""
    weights: dict[str, np.ndarray] = {}
    for group in groups:
        try:
            buffer = b"".join((folder / name).read_bytes() for name in group["paths"])
        except OSError as exc:
            raise ModelLoadError(f"A weight shard of this TensorFlow.js model is missing ({exc}).") from exc
        offset = 0
        for entry in group["weights"]:
            shape = tuple(entry["shape"])
            count = int(np.prod(shape, dtype=np.int64))
            quant = entry.get("quantization")
            dtype = np.dtype(_DTYPES.get(quant["dtype"] if quant else entry.get("dtype", "float32"), np.float32))
            if (quant["dtype"] if quant else entry.get("dtype", "float32")) not in _DTYPES:
                raise ModelLoadError(f"Weight {entry['name']} has an unsupported dtype.")
            size = count * dtype.itemsize
            if offset + size > len(buffer):
                raise ModelLoadError(
                    f"The weight shards end before weight {entry['name']}: they are truncated or do not "
                    "belong to this model.json."
                )
            value = np.frombuffer(buffer, dtype=dtype, count=count, offset=offset).reshape(shape)
            offset += size
            if quant:
                if "scale" in quant:
                    value = value.astype(np.float32) * np.float32(quant["scale"]) + np.float32(quant.get("min", 0.0))
                else:
                    value = value.astype(np.float32)
            weights[entry["name"]] = value.astype(np.float32, copy=False)
        if offset != len(buffer):
            raise ModelLoadError(
                f"The weight shards hold {len(buffer) - offset} more bytes than model.json describes: "
                "they do not belong to this model."
            )
    return weights
