"""Tiny VGG: its definition, loading in every format we accept, and model cards.

Tiny VGG (CNN Explainer, Fig. 4): two modules of two units each; a unit is a
3x3 convolution with 10 filters (valid padding, stride 1) and a ReLU, and each
module ends in a 2x2 max pooling with stride 2; then flatten and a dense
softmax output.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from .errors import ModelLoadError  # noqa: E402

MODEL_DIR = Path(__file__).resolve().parent.parent / "model"
SHIPPED_MODEL = MODEL_DIR / "tiny_vgg.keras"

#: Layer kinds the trace, the views and the browser forward pass understand.
SUPPORTED_LAYERS = ("InputLayer", "Conv2D", "ReLU", "Activation", "MaxPooling2D", "Flatten", "Dense")


def build_tiny_vgg(
    input_shape: tuple[int, int, int] = (64, 64, 3), num_classes: int = 10, filters: int = 10
) -> keras.Sequential:
    """An untrained Tiny VGG with the paper's layer names."""
    layers: list[keras.layers.Layer] = [keras.Input(shape=input_shape, name="input")]
    for module in (1, 2):
        for unit in (1, 2):
            layers.append(keras.layers.Conv2D(filters, 3, padding="valid", name=f"conv_{module}_{unit}"))
            layers.append(keras.layers.ReLU(name=f"relu_{module}_{unit}"))
        layers.append(keras.layers.MaxPooling2D(2, strides=2, name=f"max_pool_{module}"))
    layers.append(keras.layers.Flatten(name="flatten"))
    layers.append(keras.layers.Dense(num_classes, activation="softmax", name="output"))
    return keras.Sequential(layers, name="tiny_vgg")


def card_path(model_path: str | os.PathLike) -> Path:
    """The model card that sits beside a weights file: ``<stem>.card.json``."""
    path = Path(model_path)
    return path.with_name(path.name.split(".")[0] + ".card.json")


@dataclass(frozen=True)
class LoadedModel:
    """A Keras model with the class names of its outputs and its model card."""

    keras_model: keras.Model
    class_names: tuple[str, ...]
    source: Path
    card: dict = field(default_factory=dict)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """(height, width, channels) of the image the model reads."""
        return tuple(int(d) for d in self.keras_model.input_shape[1:])


def save_model_atomically(model: keras.Model, path: str | os.PathLike, card: dict) -> None:
    """Write the ``.keras`` file and its card via temporary names, so a crash leaves no half file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_model = path.with_name(f".{path.stem}.tmp.keras")
    tmp_card = card_path(path).with_name(f".{card_path(path).name}.tmp")
    try:
        model.save(tmp_model)
        tmp_card.write_text(json.dumps(card, indent=2) + "\n")
        os.replace(tmp_model, path)
        os.replace(tmp_card, card_path(path))
    finally:
        tmp_model.unlink(missing_ok=True)
        tmp_card.unlink(missing_ok=True)
