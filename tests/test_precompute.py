"""The precomputed explanations the comparison chapters read: complete, fresh, and equal to a recomputation."""

from __future__ import annotations

import numpy as np
import pytest

from explainer_core import precompute
from explainer_core.errors import DatasetError, ExplainerError
from explainer_core.explain import METHODS
from explainer_core.models.zoo import ZOO


@pytest.fixture(scope="module")
def stored():
    return precompute.load()


@pytest.fixture(scope="module")
def data():
    from explainer_core.data.tiny_imagenet import TinyImageNet

    try:
        return TinyImageNet()
    except DatasetError:
        pytest.skip("the gallery photos are the data set's: without ../shared/data the maps cannot be recomputed")


def test_the_file_covers_every_member_method_and_gallery_photo(stored):
    index, arrays = stored
    assert index["members"] == list(ZOO) and index["methods"] == list(METHODS)
    maps = arrays["maps"]
    assert maps.dtype == np.uint8 and maps.shape == (len(ZOO), len(METHODS), len(index["photos"]), 64, 64)
    assert (maps.max(axis=(3, 4)) == 255).mean() > 0.95  # maps are min-max normalised: nearly every map reaches 1
    assert arrays["val_probabilities"].shape == (len(ZOO), 250, 10)
    np.testing.assert_allclose(arrays["val_probabilities"].astype(np.float32).sum(axis=-1), 1.0, atol=5e-3)
    gallery = arrays["gallery_probabilities"]
    assert gallery.shape == (len(ZOO), len(index["photos"]), 10)
    np.testing.assert_allclose(gallery.astype(np.float32).sum(axis=-1), 1.0, atol=5e-3)
    assert "pixels" not in arrays and all(set(photo) == {"file", "label", "sha256"} for photo in index["photos"])


def test_the_faithfulness_table_has_every_member_method_and_baseline(stored):
    table = stored[0]["faithfulness"]["table"]
    assert set(table) == set(ZOO)
    for rows in table.values():
        assert set(rows) == set(METHODS) | {"random pixels", "random cells"}
        assert all(0 <= row["deletion"] <= 1 and 0 <= row["insertion"] <= 1 for row in rows.values())


def test_the_fingerprint_matches_the_shipped_models_and_the_gallery(stored, data):
    index, _ = stored
    photos, _ = precompute.gallery(data)
    digests = {name: precompute.sha256(entry.path.read_bytes()) for name, entry in ZOO.items()}
    assert index["model_sha256"] == digests, "a model changed: run python -m explainer_core.precompute --overwrite"
    assert index["photos"] == photos
    assert index["fingerprint"] == precompute.fingerprint(digests, photos, list(METHODS))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["tiny_vgg", "resnet_mini"])
def test_a_recomputation_equals_the_file(stored, data, name):
    """The same batch on the same kind of CPU gives the same bytes; one level (1/255) is allowed for another
    CPU's float rounding, and BBMP (300 optimisation steps, which can amplify it) on 1 % of its pixels."""
    index, arrays = stored
    _, pictures = precompute.gallery(data)
    member = index["members"].index(name)
    model = ZOO[name].load().keras_model
    again = precompute.maps_for(model, pictures, index["methods"]).astype(int)
    difference = np.abs(again - arrays["maps"][member].astype(int))
    bbmp = index["methods"].index("bbmp")
    assert np.delete(difference, bbmp, axis=0).max() <= 1
    assert (difference[bbmp] > 1).mean() <= 0.01
    probabilities = model.predict(data.load("val").images.astype(np.float32) / 255.0, verbose=0)
    np.testing.assert_allclose(arrays["val_probabilities"][member].astype(np.float32), probabilities, atol=1e-3)
    on_gallery = model.predict(pictures, verbose=0)
    np.testing.assert_allclose(arrays["gallery_probabilities"][member].astype(np.float32), on_gallery, atol=1e-3)


def test_precompute_never_replaces_the_file_unless_told(stored, capsys):
    before = precompute.INDEX_FILE.read_bytes(), precompute.MAPS_FILE.stat().st_mtime_ns
    assert precompute.main([]) == 2
    assert "already exists; add --overwrite" in capsys.readouterr().err
    assert (precompute.INDEX_FILE.read_bytes(), precompute.MAPS_FILE.stat().st_mtime_ns) == before


def test_a_missing_file_says_how_to_make_it(monkeypatch, tmp_path):
    monkeypatch.setattr(precompute, "INDEX_FILE", tmp_path / "index.json")
    with pytest.raises(ExplainerError, match="python -m explainer_core.precompute"):
        precompute.load()


def test_overwrite_recomputes_only_the_members_whose_model_changed(stored, data, monkeypatch, tmp_path):
    """A member whose model file still has the recorded sha256 keeps its rows; a changed one is redone."""
    import shutil

    for name in ("INDEX_FILE", "MAPS_FILE"):
        copy = tmp_path / getattr(precompute, name).name
        shutil.copy(getattr(precompute, name), copy)
        monkeypatch.setattr(precompute, name, copy)
    monkeypatch.setattr(precompute, "OUT_DIR", tmp_path)
    index, arrays = stored
    changed = "resnet_mini"
    edited = dict(index, model_sha256=dict(index["model_sha256"], **{changed: "0" * 64}))
    precompute.INDEX_FILE.write_text(__import__("json").dumps(edited))
    redone = []

    def fake_maps(model, pictures, methods):
        redone.append(model.name)
        return np.zeros((len(methods), len(pictures), 64, 64), np.uint8)

    monkeypatch.setattr(precompute, "maps_for", fake_maps)
    monkeypatch.setattr(precompute, "faithfulness", lambda model, pictures, methods: {"redone": True})
    lines = []
    new = precompute.precompute(overwrite=True, progress=lines.append)
    assert len(redone) == 1 and sum("unchanged, kept" in line for line in lines) == len(ZOO) - 1
    _, again = precompute.load()
    row = index["members"].index(changed)
    assert not again["maps"][row].any() and new["faithfulness"]["table"][changed] == {"redone": True}
    kept = [i for i in range(len(ZOO)) if i != row]
    np.testing.assert_array_equal(again["maps"][kept], arrays["maps"][kept])
    assert new["model_sha256"] == index["model_sha256"]  # the real digest is recorded again
