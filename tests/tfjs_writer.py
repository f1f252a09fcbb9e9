"""Write a Keras model in the TensorFlow.js layers format, as the tfjs converter lays it out.

Used by the tests only, so that the NumPy reader in ``explainer_core.models.tfjs`` is
checked against files shaped like real converter output: a Keras-2 style
topology with ``batch_input_shape``, weights named ``<layer>/<variable>``, and
a group's bytes cut into shards of ``shard_bytes``.
"""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np


def write_tfjs(model: keras.Model, folder: Path, shard_bytes: int = 4096, fuse_relu: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    layers = []
    first = True
    for layer in model.layers:
        config = {"name": layer.name, "trainable": True, "dtype": "float32"}
        kind = type(layer).__name__
        if kind == "Conv2D":
            config.update(
                filters=layer.filters, kernel_size=list(layer.kernel_size), strides=list(layer.strides),
                padding=layer.padding, data_format="channels_last", dilation_rate=[1, 1],
                activation=keras.activations.serialize(layer.activation), use_bias=layer.use_bias,
            )
        elif kind == "MaxPooling2D":
            config.update(pool_size=list(layer.pool_size), strides=list(layer.strides), padding=layer.padding,
                          data_format="channels_last")
        elif kind == "Dense":
            config.update(units=layer.units, activation=keras.activations.serialize(layer.activation),
                          use_bias=layer.use_bias)
        elif kind == "Activation":
            config.update(activation=keras.activations.serialize(layer.activation))
        if first:
            config["batch_input_shape"] = [None, *model.input_shape[1:]]
            first = False
        layers.append({"class_name": kind, "config": config})
    entries, chunks = [], []
    for layer in model.layers:
        for variable in layer.weights:
            value = np.asarray(variable.numpy(), dtype=np.float32)
            entries.append({"name": f"{layer.name}/{variable.name}", "shape": list(value.shape), "dtype": "float32"})
            chunks.append(value.tobytes())
    data = b"".join(chunks)
    paths = []
    for i in range(0, max(len(data), 1), shard_bytes):
        name = f"group1-shard{len(paths) + 1}of{{total}}.bin"
        paths.append((name, data[i:i + shard_bytes]))
    names = []
    for name, chunk in paths:
        final = name.format(total=len(paths))
        (folder / final).write_bytes(chunk)
        names.append(final)
    spec = {
        "format": "layers-model",
        "generatedBy": "keras v2.4.0",
        "convertedBy": "TensorFlow.js Converter v2.7.0",
        "modelTopology": {
            "keras_version": "2.4.0",
            "backend": "tensorflow",
            "model_config": {"class_name": "Sequential", "config": {"name": model.name, "layers": layers}},
        },
        "weightsManifest": [{"paths": names, "weights": entries}],
    }
    path = folder / "model.json"
    path.write_text(json.dumps(spec))
    return path
