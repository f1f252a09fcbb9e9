"""The training command end to end, on a few images so it runs in seconds."""

from __future__ import annotations

import json

import pytest

from explainer_core.data import PAPER_CLASS_NAMES
from explainer_core.model import load_model
from explainer_core.train import main


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


def test_missing_data_is_a_clear_error_not_a_traceback(tmp_path, capsys):
    code = main(["--data", str(tmp_path / "absent.zip"), "--out", str(tmp_path / "m.keras"), "--epochs", "1"])
    assert code == 2
    assert "does not exist" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
