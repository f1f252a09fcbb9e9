"""Train Tiny VGG on Tiny ImageNet classes and write the weights with a model card.

    python -m explainer_core.models.train --data ../shared/data/tiny-imagenet-10.zip --out runs/tiny_vgg.keras

Augmentation lives in the input pipeline, not in the model, so the saved
network is exactly the paper's sequence of layers. Early stopping watches the
validation images (the only use made of them) and keeps the best epoch.

Every setting and the output path are checked before any data is read, and an
existing model (the shipped one is the default ``--out``) is replaced only
with ``--overwrite``: a two-epoch smoke run must not quietly become the book's model.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import signal
import sys
import threading
import time
from pathlib import Path

import keras  # noqa: E402  (model sets the backend first)
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from ..data.tiny_imagenet import TinyImageNet  # noqa: E402
from ..errors import ExplainerError, TrainingError  # noqa: E402
from .loading import SHIPPED_MODEL, card_path, save_model_atomically

#: The project's bar for the shipped model: top-1 on the validation images (the original reaches 69.6 %).
ACCURACY_BAR = 0.74

DEFAULTS = dict(
    epochs=200,
    batch_size=64,
    learning_rate=2e-3,
    weight_decay=1e-4,
    patience=30,
    seed=20201,
    schedule="plateau",
    distil_weight=0.7,
    temperature=4.0,
    augmentation="full",
)
SCHEDULES = ("plateau", "cosine")
AUGMENTATIONS = ("full", "light")
_HELP = dict(
    epochs="most epochs to run; early stopping may end sooner",
    batch_size="training images per step",
    learning_rate="AdamW's learning rate, above 0",
    weight_decay="AdamW's weight decay, 0 or more",
    patience="epochs without a better validation accuracy before stopping",
    seed="seed of the weights, the shuffling and the augmentation",
    schedule="learning-rate schedule: 'plateau' halves it when the validation loss stalls, 'cosine' decays it "
    "to zero over --epochs without looking at the validation images",
    distil_weight="with --teacher: share of the loss that follows the teacher's softened outputs (0 to 1)",
    temperature="with --teacher: the softening temperature of both networks' outputs (Hinton et al., 2015)",
    augmentation="'full' flips, shifts, zooms, rotates and changes colour; 'light' only flips and shifts "
    "(for a small network that underfits the full set)",
)


def _whole(name: str, value, least: int, most: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < least or (most is not None and value > most):
        bound = f"from {least} to {most}" if most is not None else f"of at least {least}"
        raise TrainingError(f"--{name} must be a whole number {bound}, not {value!r}.")


def _real(name: str, value, positive: bool) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (positive and value == 0):
        raise TrainingError(f"--{name} must be a number {'above' if positive else 'of at least'} 0, not {value!r}.")


def check_settings(
    out: str | os.PathLike,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    weight_decay: float,
    patience: int,
    seed: int,
    limit_per_class: int | None = None,
    overwrite: bool = False,
    schedule: str = "plateau",
    architecture: str = "tiny_vgg",
    teacher: str | os.PathLike | None = None,
    distil_weight: float = 0.7,
    temperature: float = 4.0,
    augmentation: str = "full",
) -> Path:
    """Refuse, before any data is read, what would fail (or waste a run) later; return the output path.

    Raises :class:`TrainingError`, naming the command-line option.
    """
    _whole("epochs", epochs, 1)
    _whole("batch-size", batch_size, 1)
    _real("learning-rate", learning_rate, positive=True)
    _real("weight-decay", weight_decay, positive=False)
    _whole("patience", patience, 0)
    _whole("seed", seed, 0, 2**32 - 1)  # what NumPy's generator accepts
    if limit_per_class is not None:
        _whole("limit-per-class", limit_per_class, 1)
    if schedule not in SCHEDULES:
        raise TrainingError(f"--schedule must be one of {', '.join(SCHEDULES)}, not {schedule!r}.")
    if augmentation not in AUGMENTATIONS:
        raise TrainingError(f"--augmentation must be one of {', '.join(AUGMENTATIONS)}, not {augmentation!r}.")
    from .zoo import ZOO

    if architecture not in ZOO:
        raise TrainingError(f"--model must be one of the zoo's networks ({', '.join(ZOO)}), not {architecture!r}.")
    if teacher is not None:
        _real("distil-weight", distil_weight, positive=False)
        if distil_weight > 1:
            raise TrainingError(f"--distil-weight must be from 0 to 1, not {distil_weight!r}.")
        _real("temperature", temperature, positive=True)
        if not Path(teacher).is_file():
            raise TrainingError(f"--teacher {teacher}: there is no model file there.")
    return check_output(out, overwrite)


def check_output(out: str | os.PathLike, overwrite: bool = False) -> Path:
    """The ``.keras`` file to write: never a folder, in a folder that can be made, new unless ``overwrite``."""
    out = Path(out)
    card = card_path(out)
    if out.is_dir() or card.is_dir():
        raise TrainingError(f"--out {out} is a folder; give a file name in it, such as {out / 'tiny_vgg.keras'}.")
    if out.suffix != ".keras":
        raise TrainingError(f"--out must name a .keras file (Keras's own format), not {out}.")
    existing = [path for path in (out, card) if path.exists()]
    if existing and not overwrite:
        shipped = " (the model the book ships)" if out.resolve() == SHIPPED_MODEL.resolve() else ""
        raise TrainingError(
            f"{existing[0]}{shipped} already exists; give --out a new file name, "
            "or add --overwrite to replace the model and its card."
        )
    folder = out.absolute().parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise TrainingError(f"--out {out} cannot be written: {folder} is a file, not a folder.")
    if not os.access(folder, os.W_OK):
        raise TrainingError(f"--out {out} cannot be written: {folder} is not writable.")
    return out


@contextlib.contextmanager
def _ctrl_c_held():
    """Hold Ctrl-C while the model and its card are replaced, so they never disagree; raise it afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pressed = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: pressed.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)
    if pressed:
        raise KeyboardInterrupt


def augmenter(seed: int, augmentation: str = "full") -> keras.Sequential:
    """Random flips and shifts, and for ``"full"`` also zooms, small rotations and colour changes (training only)."""
    layers = [
        keras.layers.RandomFlip("horizontal", seed=seed),
        keras.layers.RandomTranslation(0.125, 0.125, fill_mode="reflect", seed=seed + 1),
    ]
    if augmentation == "full":
        layers += [
            keras.layers.RandomZoom((-0.15, 0.15), fill_mode="reflect", seed=seed + 2),
            keras.layers.RandomRotation(0.04, fill_mode="reflect", seed=seed + 3),
            keras.layers.RandomContrast(0.2, seed=seed + 4),
            keras.layers.RandomBrightness(0.15, value_range=(0.0, 1.0), seed=seed + 5),
        ]
    return keras.Sequential(layers, name="augment")


def _dataset(
    images: np.ndarray, labels: np.ndarray, batch_size: int, seed: int, augment: bool, teacher=None, augmentation="full"
):
    """Batches of pictures in [0, 1] and their labels; with a ``teacher``, each label row is
    the one-hot class followed by the teacher's probabilities for the same (augmented) picture."""
    data = tf.data.Dataset.from_tensor_slices((images, labels))
    if augment:
        data = data.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    data = data.batch(batch_size).map(lambda x, y: (tf.cast(x, tf.float32) / 255.0, y))
    if augment:
        aug = augmenter(seed, augmentation)
        data = data.map(lambda x, y: (tf.clip_by_value(aug(x, training=True), 0.0, 1.0), y))
    if teacher is not None:
        classes = int(teacher.output_shape[-1])

        def with_teacher(x, y):
            soft = tf.cast(teacher(x, training=False), tf.float32)
            return x, tf.concat([tf.one_hot(tf.cast(y, tf.int32), classes), soft], axis=-1)

        data = data.map(with_teacher)
    return data.prefetch(tf.data.AUTOTUNE)


def distillation_loss(distil_weight: float, temperature: float):
    """Hinton et al. (2015): (1 - w) cross-entropy with the labels + w T^2 KL(teacher_T || student_T).

    The student ends in a softmax, so its tempered distribution is taken from
    its probabilities: softmax(z / T) is proportional to p ** (1 / T).
    """

    def soften(p):
        logp = tf.math.log(tf.clip_by_value(p, 1e-7, 1.0)) / temperature
        return tf.nn.softmax(logp, axis=-1)

    def loss(target, predicted):
        classes = predicted.shape[-1]
        hard, teacher = target[:, :classes], target[:, classes:]
        cross_entropy = keras.losses.categorical_crossentropy(hard, predicted)
        kl = keras.losses.kl_divergence(soften(teacher), soften(predicted))
        return (1 - distil_weight) * cross_entropy + distil_weight * temperature**2 * kl

    return loss


def _accuracy_of_first_half(target, predicted):
    """Top-1 accuracy when the label row is the one-hot class followed by the teacher's output."""
    classes = predicted.shape[-1]
    return keras.metrics.categorical_accuracy(target[:, :classes], predicted)


def evaluate(model: keras.Model, images: np.ndarray, labels: np.ndarray, num_classes: int) -> dict:
    """Overall and per-class top-1 accuracy and the confusion matrix (rows: true class)."""
    predicted = model.predict(images.astype(np.float32) / 255.0, batch_size=256, verbose=0).argmax(axis=1)
    confusion = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(confusion, (labels, predicted), 1)
    per_class = confusion.diagonal() / np.maximum(confusion.sum(axis=1), 1)
    return {
        "top1": float((predicted == labels).mean()),
        "per_class": per_class.tolist(),
        "confusion": confusion.tolist(),
        "count": int(len(labels)),
    }


def train(
    data: str | None,
    out: Path,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    weight_decay: float,
    patience: int,
    seed: int,
    limit_per_class: int | None = None,
    verbose: int = 1,
    overwrite: bool = False,
    schedule: str = "plateau",
    architecture: str = "tiny_vgg",
    teacher: str | os.PathLike | None = None,
    distil_weight: float = 0.7,
    temperature: float = 4.0,
    augmentation: str = "full",
) -> dict:
    """Train, save ``out`` and its card, and return the card.

    ``out`` must not exist unless ``overwrite`` (see :func:`check_settings`).
    """
    out = check_settings(
        out,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        weight_decay=weight_decay,
        patience=patience,
        seed=seed,
        limit_per_class=limit_per_class,
        overwrite=overwrite,
        schedule=schedule,
        architecture=architecture,
        teacher=teacher,
        distil_weight=distil_weight,
        temperature=temperature,
        augmentation=augmentation,
    )
    from .zoo import ZOO, multiply_adds

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    dataset = TinyImageNet(data)
    train_split = dataset.load("train", limit_per_class=limit_per_class)
    val_split = dataset.load("val", limit_per_class=limit_per_class)
    num_classes = len(dataset.wnids)

    entry = ZOO[architecture]
    model = entry.build(tuple(train_split.images.shape[1:]), num_classes)
    teacher_model = None
    if teacher is not None:
        from .loading import load_model

        teacher_model = load_model(teacher, sequential_only=False).keras_model
        teacher_model.trainable = False
    steps = math.ceil(len(train_split.labels) / batch_size)
    rate = learning_rate
    if schedule == "cosine":
        rate = keras.optimizers.schedules.CosineDecay(learning_rate, epochs * steps)
    model.compile(
        optimizer=keras.optimizers.AdamW(rate, weight_decay=weight_decay),
        loss=distillation_loss(distil_weight, temperature) if teacher_model else "sparse_categorical_crossentropy",
        metrics=[_accuracy_of_first_half if teacher_model else "accuracy"],
    )
    callbacks = [
        keras.callbacks.EarlyStopping(
            monitor="val_accuracy" if not teacher_model else "val__accuracy_of_first_half",
            patience=patience,
            restore_best_weights=True,
            mode="max",
        ),
    ]
    if schedule == "plateau":
        callbacks.append(
            keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=8, min_lr=1e-5)
        )
    started = time.perf_counter()
    history = model.fit(
        _dataset(
            train_split.images,
            train_split.labels,
            batch_size,
            seed,
            augment=True,
            teacher=teacher_model,
            augmentation=augmentation,
        ),
        validation_data=_dataset(val_split.images, val_split.labels, 256, seed, augment=False, teacher=teacher_model),
        epochs=epochs,
        callbacks=callbacks,
        verbose=verbose,
    )
    seconds = time.perf_counter() - started
    val_acc = next(values for key, values in history.history.items() if key.startswith("val_") and "acc" in key)

    card = {
        "name": "Tiny VGG" if architecture == "tiny_vgg" else architecture,
        "family": entry.family,
        "question": entry.why,
        "builder": f"explainer_core.models.zoo.{entry.build.__name__}",
        "parameters": int(model.count_params()),
        "multiply_adds": int(multiply_adds(model)),
        "architecture": [layer.name for layer in model.layers],
        "input_shape": list(model.input_shape[1:]),
        "class_names": list(dataset.class_names),
        "wnids": list(dataset.wnids),
        "preprocessing": "resize so the shorter side fits, centre-crop, RGB scaled to [0, 1]",
        "data": {
            "source": dataset.path.name,
            "sha256": dataset.fingerprint(),
            "train_images": int(len(train_split.labels)),
            "val_images": int(len(val_split.labels)),
        },
        "hyperparameters": {
            "epochs_max": epochs,
            "epochs_run": len(val_acc),
            "best_epoch": int(np.argmax(val_acc)) + 1,
            "batch_size": batch_size,
            "optimizer": "AdamW",
            "learning_rate": learning_rate,
            "weight_decay": weight_decay,
            "early_stopping_patience": patience,
            "lr_schedule": "halve on validation-loss plateau (8 epochs)"
            if schedule == "plateau"
            else "cosine decay to zero over epochs_max",
            "augmentation": [type(layer).__name__ for layer in augmenter(seed, augmentation).layers],
            "seed": seed,
        },
        "distillation": None
        if teacher is None
        else {
            "teacher": Path(teacher).name,
            "teacher_sha256": _sha256(Path(teacher)),
            "distil_weight": distil_weight,
            "temperature": temperature,
            "recipe": "Hinton et al. (2015): the teacher sees the same augmented pictures; validation images "
            "are used only for early stopping",
        },
        "train_accuracy": evaluate(model, train_split.images, train_split.labels, num_classes)["top1"],
        "validation": evaluate(model, val_split.images, val_split.labels, num_classes),
        "reference": "the original CNN Explainer Tiny VGG: 69.6 % top-1 on the shared 250 validation images",
        "accuracy_bar": {"required_top1": ACCURACY_BAR, "met": None},
        "training_seconds": round(seconds, 1),
        "versions": {
            "python": platform.python_version(),
            "keras": keras.__version__,
            "tensorflow": tf.__version__,
            "numpy": np.__version__,
        },
        "machine": f"{platform.machine()}, {len(tf.config.list_physical_devices('CPU'))} CPU device(s)",
    }
    card["accuracy_bar"]["met"] = card["validation"]["top1"] >= ACCURACY_BAR
    if teacher_model is not None:
        # the distillation loss is a closure Keras cannot save: store the plain classifier's
        # compile settings, so keras.saving.load_model opens the file without our code
        model.compile(optimizer="adamw", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.optimizer.build(model.trainable_variables)  # saved whole, so loading it warns of nothing
    check_output(out, overwrite)  # a file may have appeared during the run
    with _ctrl_c_held():
        save_model_atomically(model, out, card)
    return card


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        """One line, like every other refusal of the command; the usage is one --help away."""
        self.exit(2, f"error: {message} (see --help)\n")


def _stamp(path: Path) -> tuple | None:
    """What changes when a file is replaced (os.replace gives a new inode)."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_ino, info.st_mtime_ns, info.st_size


def _interrupted(out: Path, before: tuple) -> str:
    """The one line Ctrl-C leaves, saying what became of the previous model (checked, not assumed)."""
    if (_stamp(out), _stamp(card_path(out))) != before:
        return f"interrupted after {out} and its card were written."
    if before[0] is not None:
        return f"interrupted: nothing was saved; the previous {out} and its card are untouched."
    return f"interrupted: nothing was saved to {out}."


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m explainer_core.models.train", description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="Tiny ImageNet folder or zip (default: $CNN_EXPLAINER_DATA)")
    shipped = os.path.relpath(SHIPPED_MODEL) if SHIPPED_MODEL.is_relative_to(Path.cwd()) else SHIPPED_MODEL
    parser.add_argument(
        "--out",
        type=Path,
        default=SHIPPED_MODEL,
        help=f"the .keras file to write, with its .card.json beside it (default: {shipped}, the model the book "
        "ships; an existing file is replaced only with --overwrite)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace --out and its card if they exist")
    parser.add_argument("--limit-per-class", type=int, help="use only this many images per class (smoke runs)")
    parser.add_argument("--model", default="tiny_vgg", help="the zoo network to train (default: tiny_vgg)")
    parser.add_argument("--teacher", help="a trained .keras model to distil into this one (knowledge distillation)")
    for name, value in DEFAULTS.items():
        parser.add_argument(
            f"--{name.replace('_', '-')}", type=type(value), default=value, help=f"{_HELP[name]} (default: {value})"
        )
    args = parser.parse_args(argv)
    before = (_stamp(args.out), _stamp(card_path(args.out)))
    try:
        card = train(
            args.data,
            args.out,
            epochs=args.epochs,
            batch_size=args.batch_size,
            learning_rate=args.learning_rate,
            weight_decay=args.weight_decay,
            patience=args.patience,
            seed=args.seed,
            limit_per_class=args.limit_per_class,
            verbose=1 if sys.stdout.isatty() else 2,
            overwrite=args.overwrite,
            schedule=args.schedule,
            architecture=args.model,
            teacher=args.teacher,
            distil_weight=args.distil_weight,
            temperature=args.temperature,
            augmentation=args.augmentation,
        )
    except ExplainerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(_interrupted(args.out, before), file=sys.stderr)
        return 130
    summary = {"val_top1": card["validation"]["top1"], "train_top1": card["train_accuracy"]}
    print(json.dumps(summary | {"seconds": card["training_seconds"]}))
    print(f"wrote {args.out} and {card_path(args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
