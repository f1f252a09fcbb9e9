"""The training command end to end, on a few images so it runs in seconds."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal

import keras
import pytest

from explainer_core.data.tiny_imagenet import PAPER_CLASS_NAMES, PAPER_WNIDS
from explainer_core.models import train as train_module
from explainer_core.models.loading import SHIPPED_MODEL, card_path, load_model
from explainer_core.models.train import main


def test_one_epoch_writes_a_loadable_model_and_a_full_card(tiny_imagenet_zip, tmp_path, capsys):
    out = tmp_path / "run" / "vgg.keras"
    code = main(["--data", str(tiny_imagenet_zip), "--out", str(out), "--epochs", "1",
                 "--limit-per-class", "4", "--batch-size", "8"])
    assert code == 0
    assert sorted(p.name for p in out.parent.iterdir()) == ["vgg.card.json", "vgg.keras"]
    card = json.loads((out.parent / "vgg.card.json").read_text())
    assert card["class_names"] == list(PAPER_CLASS_NAMES)
    assert card["data"]["train_images"] == 40 and card["data"]["val_images"] == 40
    assert len(card["data"]["sha256"]) == 64
    assert card["hyperparameters"]["epochs_run"] == 1 and card["hyperparameters"]["seed"] == 20201
    confusion = card["validation"]["confusion"]
    assert len(confusion) == 10 and sum(map(sum, confusion)) == 40
    assert all(sum(row) == 4 for row in confusion)
    assert card["validation"]["top1"] == pytest.approx(sum(confusion[i][i] for i in range(10)) / 40)
    assert set(card["versions"]) >= {"keras", "tensorflow", "numpy", "python"}
    assert card["training_seconds"] > 0
    loaded = load_model(out)
    assert loaded.class_names == PAPER_CLASS_NAMES
    assert "val_top1" in capsys.readouterr().out


def test_distillation_writes_a_model_plain_keras_opens_and_a_card_naming_the_teacher(tiny_imagenet_zip, tmp_path):
    """A one-epoch student of the shipped Tiny VGG, with the light augmentation: the file opens with
    keras.saving.load_model alone (the distillation loss is not saved), the card names the teacher
    by file and sha256, and the student has the book's layers."""
    out = tmp_path / "student.keras"
    code = main(["--data", str(tiny_imagenet_zip), "--out", str(out), "--epochs", "1", "--limit-per-class", "4",
                 "--batch-size", "8", "--teacher", str(SHIPPED_MODEL), "--augmentation", "light",
                 "--distil-weight", "0.5", "--temperature", "2"])
    assert code == 0
    card = json.loads(card_path(out).read_text())
    assert card["distillation"]["teacher"] == SHIPPED_MODEL.name
    assert card["distillation"]["teacher_sha256"] == hashlib.sha256(SHIPPED_MODEL.read_bytes()).hexdigest()
    assert (card["distillation"]["distil_weight"], card["distillation"]["temperature"]) == (0.5, 2.0)
    assert card["hyperparameters"]["augmentation"] == ["RandomFlip", "RandomTranslation"]
    plain = keras.saving.load_model(out)
    shipped = keras.saving.load_model(SHIPPED_MODEL, compile=False)
    assert [layer.name for layer in plain.layers] == [layer.name for layer in shipped.layers]
    assert plain.count_params() == shipped.count_params()


def test_missing_data_is_a_clear_error_not_a_traceback(tmp_path, capsys):
    code = main(["--data", str(tmp_path / "absent.zip"), "--out", str(tmp_path / "m.keras"), "--epochs", "1"])
    assert code == 2
    assert "does not exist" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


# -- the shipped model is safe, and every refusal comes before training ---------------------
class Reached(BaseException):
    """Raised past every ``except Exception`` when a refused run gets further than it should."""


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def shipped_digests():
    """The shipped model and card, by content, to check after a test that they did not change."""
    files = (SHIPPED_MODEL, card_path(SHIPPED_MODEL))
    before = {path: _digest(path) for path in files}
    yield before
    assert {path: _digest(path) for path in files} == before


def _reached(what: str):
    def stop(*args, **kwargs):
        raise Reached(what)

    return stop


@pytest.fixture
def no_fit(monkeypatch):
    """Fitting or saving ends the test: no model is trained, and none is ever written."""
    monkeypatch.setattr(keras.Model, "fit", _reached("training started"))
    monkeypatch.setattr(train_module, "save_model_atomically", _reached("a model was saved"))


@pytest.fixture
def no_training(no_fit, monkeypatch):
    """Reading the data ends the test too: a refusal of the settings must come before it."""
    monkeypatch.setattr(train_module, "TinyImageNet", _reached("the data was read"))


def _exit_code(argv: list[str]) -> int:
    """main's return value, or the code argparse exits with."""
    try:
        return main(argv)
    except SystemExit as exit:
        return exit.code


def _one_line(err: str) -> str:
    assert "Traceback" not in err
    assert err.endswith("\n") and err.count("\n") == 1, err
    return err.strip()


def test_a_smoke_run_without_out_does_not_replace_the_shipped_model(no_training, shipped_digests, capsys):
    code = main(["--data", "tiny-imagenet-10.zip", "--epochs", "2", "--limit-per-class", "2"])
    assert code == 2
    assert _one_line(capsys.readouterr().err) == (
        f"error: {SHIPPED_MODEL} (the model the book ships) already exists; give --out a new file name, "
        "or add --overwrite to replace the model and its card."
    )


def test_help_says_where_the_model_goes_by_default(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["--help"])
    assert caught.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert re.search(
        r"--out OUT the \.keras file to write, with its \.card\.json beside it \(default: \S*model/tiny_vgg\.keras, "
        r"the model the book ships; an existing file is replaced only with --overwrite\)",
        text,
    ), text
    assert "--overwrite replace --out and its card if they exist" in text
    assert "(default: 200)" in text and "(default: 64)" in text


def _under_a_file(tmp_path):
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    return ["--out", str(tmp_path / "notes.txt" / "m.keras")]


# (the arguments, given a tmp_path; what the one line says after "error: ")
BAD_ARGUMENTS = {
    "zero-epochs": (lambda tmp: ["--epochs", "0"], "--epochs must be a whole number of at least 1, not 0."),
    "zero-batch-size": (lambda tmp: ["--batch-size", "0"], "--batch-size must be a whole number of at least 1, not 0."),
    "negative-learning-rate": (
        lambda tmp: ["--learning-rate", "-0.001"],
        "--learning-rate must be a number above 0, not -0.001.",
    ),
    "zero-learning-rate": (lambda tmp: ["--learning-rate", "0"], "--learning-rate must be a number above 0, not 0.0."),
    "nan-learning-rate": (lambda tmp: ["--learning-rate", "nan"], "--learning-rate must be a number above 0, not nan."),
    "negative-weight-decay": (
        lambda tmp: ["--weight-decay=-1e-4"],
        "--weight-decay must be a number of at least 0, not -0.0001.",
    ),
    "negative-patience": (lambda tmp: ["--patience", "-1"], "--patience must be a whole number of at least 0, not -1."),
    "negative-seed": (lambda tmp: ["--seed", "-1"], "--seed must be a whole number from 0 to 4294967295, not -1."),
    "zero-limit": (
        lambda tmp: ["--limit-per-class", "0"],
        "--limit-per-class must be a whole number of at least 1, not 0.",
    ),
    "epochs-as-a-word": (
        lambda tmp: ["--epochs", "ten"],
        "argument --epochs: invalid int value: 'ten' (see --help)",
    ),
    "out-is-a-folder": (
        lambda tmp: ["--out", str(tmp)],
        "is a folder; give a file name in it, such as",
    ),
    "out-is-not-keras": (lambda tmp: ["--out", str(tmp / "m.h5")], "--out must name a .keras file"),
    "out-under-a-file": (_under_a_file, "notes.txt is a file, not a folder."),
    "unknown-augmentation": (
        lambda tmp: ["--augmentation", "heavy"],
        "--augmentation must be one of full, light, not 'heavy'.",
    ),
}


@pytest.mark.parametrize("name", BAD_ARGUMENTS)
def test_a_bad_argument_is_one_line_before_any_training(no_training, tmp_path, capsys, name):
    make, message = BAD_ARGUMENTS[name]
    arguments = make(tmp_path)
    if "--out" not in arguments:
        arguments += ["--out", str(tmp_path / "m.keras")]
    before = sorted(tmp_path.rglob("*"))
    code = _exit_code(["--data", "tiny-imagenet-10.zip", *arguments])
    assert code == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("error: ") and message in line, line
    assert sorted(tmp_path.rglob("*")) == before


def test_an_existing_out_is_replaced_only_with_overwrite(no_training, tmp_path, capsys):
    out = tmp_path / "mine.keras"
    out.write_bytes(b"an earlier run")
    assert main(["--out", str(out)]) == 2
    assert _one_line(capsys.readouterr().err).startswith(f"error: {out} already exists; give --out a new file name")
    card_only = tmp_path / "other.keras"
    card_path(card_only).write_text("{}")
    assert main(["--out", str(card_only)]) == 2
    assert f"{card_path(card_only)} already exists" in capsys.readouterr().err
    with pytest.raises(Reached, match="the data was read"):  # accepted: the run goes on to read the data
        main(["--out", str(out), "--overwrite"])


@pytest.mark.parametrize("target", ["shipped", "new-file"])
def test_ctrl_c_is_one_line_and_leaves_the_previous_model_untouched(
    tiny_imagenet_zip, monkeypatch, shipped_digests, tmp_path, capsys, target
):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(keras.Model, "fit", interrupted)
    monkeypatch.setattr(train_module, "save_model_atomically", _reached("a model was saved"))
    out = SHIPPED_MODEL if target == "shipped" else tmp_path / "new.keras"
    extra = ["--overwrite"] if target == "shipped" else ["--out", str(out)]
    code = main(["--data", str(tiny_imagenet_zip), "--limit-per-class", "1", "--epochs", "1", *extra])
    assert code == 130
    line = _one_line(capsys.readouterr().err)
    if target == "shipped":
        assert line == f"interrupted: nothing was saved; the previous {SHIPPED_MODEL} and its card are untouched."
    else:
        assert line == f"interrupted: nothing was saved to {out}." and not list(tmp_path.iterdir())


def test_ctrl_c_during_the_save_waits_until_model_and_card_are_both_written():
    written = []
    with pytest.raises(KeyboardInterrupt):
        with train_module._ctrl_c_held():
            signal.raise_signal(signal.SIGINT)
            written.append("model")
            written.append("card")
    assert written == ["model", "card"]


def test_ctrl_c_after_the_save_says_the_files_were_written(tmp_path):
    out = tmp_path / "m.keras"
    out.write_bytes(b"old")
    before = (train_module._stamp(out), train_module._stamp(card_path(out)))
    assert "untouched" in train_module._interrupted(out, before)
    replacement = tmp_path / "new.keras"
    replacement.write_bytes(b"new")
    os.replace(replacement, out)
    assert train_module._interrupted(out, before) == f"interrupted after {out} and its card were written."


def test_data_missing_a_paper_class_is_refused_not_trained_as_nine(make_tiny_imagenet, no_fit, tmp_path, capsys):
    nine = [wnid for wnid in PAPER_WNIDS if wnid != "n07747607"]
    data = make_tiny_imagenet(nine, train_per_class=1, val_per_class=1)
    out = tmp_path / "nine.keras"
    code = main(["--data", str(data), "--out", str(out), "--epochs", "1"])
    assert code == 2
    assert "lacks 1 of the paper's 10 classes: n07747607 (orange)" in _one_line(capsys.readouterr().err)
    assert not out.exists()


def test_light_augmentation_only_flips_and_shifts():
    """The light set keeps the geometry-preserving pair; the full set adds zoom, rotation and colour."""
    from explainer_core.models.train import augmenter

    light = [type(layer).__name__ for layer in augmenter(0, "light").layers]
    full = [type(layer).__name__ for layer in augmenter(0, "full").layers]
    assert light == ["RandomFlip", "RandomTranslation"]
    assert full[:2] == light and {"RandomZoom", "RandomRotation", "RandomContrast", "RandomBrightness"} == set(full[2:])
