"""Tiny VGG: its definition, loading in every format we accept, and model cards.

Tiny VGG (CNN Explainer, Fig. 4): two modules of two units each; a unit is a
3x3 convolution with 10 filters (valid padding, stride 1) and a ReLU, and each
module ends in a 2x2 max pooling with stride 2; then flatten and a dense
softmax output.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402

from ..errors import ModelLoadError  # noqa: E402

MODEL_DIR = Path(__file__).resolve().parents[2] / "model"
SHIPPED_MODEL = MODEL_DIR / "tiny_vgg.keras"


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


# -- loading --------------------------------------------------------------------------


def load_model(
    path: str | os.PathLike | None = None,
    class_names: tuple[str, ...] | None = None,
    *,
    sequential_only: bool = True,
) -> LoadedModel:
    """Load a Tiny VGG (or any sequential CNN the book can explain) from any format we accept.

    With ``sequential_only=False`` any Keras classifier loads (skip connections,
    concatenations, batch normalisation: the zoo), for the comparison part's
    explanations; the first part's step-by-step views still need a sequential
    chain of the layers they can show, and refuse the others with a message that
    says which views can show them.

    ``path`` may be a ``.keras`` file, a legacy ``.h5`` file, or a TensorFlow.js
    layers model (its ``model.json`` or the folder holding it, with its weight
    shards beside it). The default is the model shipped in ``model/``. Class
    names come from ``class_names``, else the model card beside the file, else
    the TensorFlow.js metadata, else "class 0", "class 1", ...

    Every problem (missing, corrupt, truncated, mismatched or unsupported
    file, a malformed card or class names) raises :class:`ModelLoadError`
    with a plain message.
    """
    if path is not None and not os.fspath(path).strip():
        raise ModelLoadError(
            "The model path is empty. Give a .keras or .h5 file, a TensorFlow.js model.json or its folder, "
            "or nothing for the model the book ships."
        )
    source = Path(path) if path is not None else SHIPPED_MODEL
    if not source.exists():
        raise ModelLoadError(f"There is no model file at {source}.")
    metadata: dict = {}
    if source.is_dir() or source.suffix == ".json":
        from .tfjs import read_tfjs_model

        keras_model, metadata = read_tfjs_model(source)
    elif source.suffix in (".keras", ".h5", ".hdf5"):
        keras_model = _load_keras_file(source)
    else:
        raise ModelLoadError(
            f"{source.name}: unknown model format. Use a .keras or .h5 file, or a TensorFlow.js model.json."
        )
    if sequential_only:
        check_supported(keras_model)

    card_file = card_path(source / "model.json" if source.is_dir() else source)
    card = {}
    if card_file.exists():
        try:
            card = json.loads(card_file.read_text())
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"The model card {card_file.name} is not valid JSON ({exc}).") from exc
        if not isinstance(card, dict):
            raise ModelLoadError(
                f"The model card {card_file.name} must hold a JSON object, not a {type(card).__name__}."
            )
    return LoadedModel(keras_model, _class_names(keras_model, class_names, card, card_file, metadata), source, card)


def _class_names(keras_model, given, card: dict, card_file: Path, metadata: dict) -> tuple[str, ...]:
    """The first of: the argument, the card, the TF.js metadata, else "class 0", "class 1", ..."""
    from ..arithmetic.network import check_class_names

    num_classes = int(keras_model.output_shape[-1])
    for names, origin in (
        (given, "the class_names argument"),
        (card.get("class_names"), f"in the model card {card_file.name}"),
        (metadata.get("class_names"), "in the TensorFlow.js metadata"),
    ):
        if names is not None and not (isinstance(names, (list, tuple)) and not names):  # () means "not given"
            return check_class_names(names, num_classes, origin)
    return tuple(f"class {i}" for i in range(num_classes))


def _load_keras_file(source: Path) -> keras.Model:
    if source.stat().st_size == 0:
        raise ModelLoadError(f"{source.name} is empty (0 bytes): the model was not saved, or the copy failed.")
    if source.suffix == ".keras":
        _check_keras_archive(source)
    try:
        return keras.saving.load_model(source, compile=False)
    except Exception as exc:  # Keras raises many kinds here (zip, HDF5, JSON, shape errors)
        detail = f" ({type(exc).__name__}: {str(exc)[:200]})"
        if "File not found" in str(exc):  # Keras says so of any file it cannot open; this one exists
            detail = ""
        raise ModelLoadError(
            f"{source.name} could not be loaded as a Keras model: the file is corrupt, truncated, "
            f"or was not saved by Keras{detail}."
        ) from exc


def _check_keras_archive(source: Path) -> None:
    """A ``.keras`` file is a zip holding ``config.json``: say so plainly, before Keras says "File not found"."""
    problem = None
    try:
        with zipfile.ZipFile(source) as archive:
            damaged = archive.testzip()
            if damaged is not None:
                problem = f"its part {damaged} is damaged"
            elif "config.json" not in archive.namelist():
                problem = "it is a zip archive without the config.json that Keras writes"
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        problem = f"it is not a readable zip archive, as every .keras file is ({exc})"
    if problem:
        raise ModelLoadError(
            f"{source.name} could not be loaded as a Keras model: the file is corrupt, truncated, "
            f"or was not saved by Keras: {problem}."
        )


def check_supported(keras_model: keras.Model) -> None:
    """Refuse models the trace and views cannot explain, naming the first odd layer.

    What is explainable is decided in one place, :meth:`Network.from_keras`.
    """
    from ..arithmetic.network import Network

    Network.from_keras(keras_model)
