"""Loading models in every accepted format, and refusing the ones we cannot explain."""

from __future__ import annotations

import json
import shutil

import keras
import numpy as np
import pytest

from explainer_core.data import PAPER_CLASS_NAMES
from explainer_core.errors import ModelLoadError
from explainer_core.model import SHIPPED_MODEL, build_tiny_vgg, card_path, load_model, save_model_atomically
from tests.tfjs_writer import write_tfjs


@pytest.fixture(scope="module")
def random_vgg():
    keras.utils.set_random_seed(7)
    return build_tiny_vgg()


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(3).random((4, 64, 64, 3), dtype=np.float32)


def other_cnn() -> keras.Sequential:
    """A CNN with another shape: fused ReLU, 'same' padding, stride 2, 5 classes, 32x48 input."""
    keras.utils.set_random_seed(11)
    return keras.Sequential(
        [
            keras.Input(shape=(32, 48, 1)),
            keras.layers.Conv2D(4, 5, strides=2, padding="same", activation="relu", name="c1"),
            keras.layers.MaxPooling2D(3, strides=2, padding="same", name="p1"),
            keras.layers.Conv2D(6, 3, name="c2"),
            keras.layers.Activation("relu", name="a2"),
            keras.layers.Flatten(name="f"),
            keras.layers.Dense(5, activation="softmax", name="out"),
        ]
    )


def test_tiny_vgg_matches_the_paper(random_vgg):
    names = [layer.name for layer in random_vgg.layers]
    assert names == [
        "conv_1_1", "relu_1_1", "conv_1_2", "relu_1_2", "max_pool_1",
        "conv_2_1", "relu_2_1", "conv_2_2", "relu_2_2", "max_pool_2", "flatten", "output",
    ]
    convs = [layer for layer in random_vgg.layers if isinstance(layer, keras.layers.Conv2D)]
    assert all(c.filters == 10 and c.kernel_size == (3, 3) and c.padding == "valid" and c.strides == (1, 1)
               for c in convs)
    pools = [layer for layer in random_vgg.layers if isinstance(layer, keras.layers.MaxPooling2D)]
    assert all(p.pool_size == (2, 2) and p.strides == (2, 2) for p in pools)
    assert random_vgg.get_layer("max_pool_2").output.shape[1:] == (13, 13, 10)
    assert random_vgg.output_shape == (None, 10)


def test_keras_round_trip_keeps_weights_card_and_names(tmp_path, random_vgg, images):
    path = tmp_path / "m.keras"
    save_model_atomically(random_vgg, path, {"class_names": list(PAPER_CLASS_NAMES)})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.card.json", "m.keras"]
    loaded = load_model(path)
    assert loaded.class_names == PAPER_CLASS_NAMES
    assert loaded.input_shape == (64, 64, 3)
    np.testing.assert_array_equal(loaded.keras_model.predict(images, verbose=0), random_vgg.predict(images, verbose=0))


def test_legacy_h5(tmp_path, random_vgg, images):
    path = tmp_path / "m.h5"
    random_vgg.save(path)
    loaded = load_model(path)
    assert loaded.class_names == tuple(f"class {i}" for i in range(10))
    np.testing.assert_allclose(loaded.keras_model.predict(images, verbose=0),
                               random_vgg.predict(images, verbose=0), atol=1e-6)


@pytest.mark.parametrize("build", [lambda: build_tiny_vgg(), other_cnn], ids=["tiny_vgg", "other_cnn"])
@pytest.mark.parametrize("by_folder", [False, True], ids=["model.json", "folder"])
def test_tfjs_layers_format(tmp_path, build, by_folder):
    keras.utils.set_random_seed(5)
    model = build()
    manifest = write_tfjs(model, tmp_path / "tfjs", shard_bytes=3000)
    assert len(list((tmp_path / "tfjs").glob("*.bin"))) > 1
    loaded = load_model(manifest.parent if by_folder else manifest)
    assert [layer.name for layer in loaded.keras_model.layers] == [layer.name for layer in model.layers]
    x = np.random.default_rng(0).random((2, *model.input_shape[1:]), dtype=np.float32)
    np.testing.assert_allclose(loaded.keras_model.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_tfjs_class_names_from_metadata_or_argument(tmp_path, random_vgg):
    manifest = write_tfjs(random_vgg, tmp_path / "tfjs")
    assert load_model(manifest, class_names=PAPER_CLASS_NAMES).class_names == PAPER_CLASS_NAMES
    spec = json.loads(manifest.read_text())
    spec["userDefinedMetadata"] = {"class_names": [f"c{i}" for i in range(10)]}
    manifest.write_text(json.dumps(spec))
    assert load_model(manifest).class_names[3] == "c3"


def test_shipped_model_loads_with_its_card():
    if not SHIPPED_MODEL.exists():
        pytest.fail(f"the trained model must be shipped at {SHIPPED_MODEL}")
    loaded = load_model()
    assert loaded.class_names == PAPER_CLASS_NAMES
    assert loaded.card["validation"]["top1"] >= 0.74 and loaded.card["accuracy_bar"]["met"] is True
    assert card_path(SHIPPED_MODEL).exists()


# -- refusals ------------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(ModelLoadError, match="no model file"):
        load_model(tmp_path / "nothing.keras")


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_corrupt_keras_file(tmp_path, random_vgg, damage):
    good = tmp_path / "good.keras"
    random_vgg.save(good)
    bad = tmp_path / "bad.keras"
    data = good.read_bytes()
    bad.write_bytes({"garbage": b"not a zip at all" * 10, "truncated": data[: len(data) // 2], "empty": b""}[damage])
    with pytest.raises(ModelLoadError, match="could not be loaded"):
        load_model(bad)


def test_unknown_suffix(tmp_path):
    path = tmp_path / "weights.pt"
    path.write_bytes(b"\0" * 10)
    with pytest.raises(ModelLoadError, match="unknown model format"):
        load_model(path)


def test_wrong_number_of_class_names(tmp_path, random_vgg):
    path = tmp_path / "m.keras"
    random_vgg.save(path)
    with pytest.raises(ModelLoadError, match="10 outputs but 3 class names"):
        load_model(path, class_names=("a", "b", "c"))


def test_unsupported_layer_is_named(tmp_path):
    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(2, 3), keras.layers.BatchNormalization(
        name="bn"), keras.layers.Flatten(), keras.layers.Dense(2)])
    path = tmp_path / "bn.keras"
    model.save(path)
    with pytest.raises(ModelLoadError, match=r"'bn' \(BatchNormalization\) cannot be explained"):
        load_model(path)


def test_tfjs_truncated_shard(tmp_path, random_vgg):
    manifest = write_tfjs(random_vgg, tmp_path / "tfjs", shard_bytes=4096)
    last = sorted((tmp_path / "tfjs").glob("*.bin"))[-1]
    last.write_bytes(last.read_bytes()[:-8])
    with pytest.raises(ModelLoadError, match="truncated"):
        load_model(manifest)


def test_tfjs_missing_shard(tmp_path, random_vgg):
    manifest = write_tfjs(random_vgg, tmp_path / "tfjs")
    sorted((tmp_path / "tfjs").glob("*.bin"))[0].unlink()
    with pytest.raises(ModelLoadError, match="shard .* missing"):
        load_model(manifest)


def test_tfjs_shards_of_another_model(tmp_path, random_vgg):
    """Shards from a bigger model than model.json describes are refused, not silently cut."""
    write_tfjs(build_tiny_vgg(filters=12), tmp_path / "big", shard_bytes=10**7)
    manifest = write_tfjs(random_vgg, tmp_path / "small", shard_bytes=10**7)
    shutil.copy(next((tmp_path / "big").glob("*.bin")), next((tmp_path / "small").glob("*.bin")))
    with pytest.raises(ModelLoadError, match="more bytes"):
        load_model(manifest)


def test_tfjs_shape_mismatch(tmp_path, random_vgg):
    manifest = write_tfjs(random_vgg, tmp_path / "tfjs")
    spec = json.loads(manifest.read_text())
    spec["modelTopology"]["model_config"]["config"]["layers"][0]["config"]["filters"] = 8
    manifest.write_text(json.dumps(spec))
    with pytest.raises(ModelLoadError):
        load_model(manifest)


def test_tfjs_not_json(tmp_path):
    path = tmp_path / "model.json"
    path.write_text("{ not json")
    with pytest.raises(ModelLoadError, match="not a TensorFlow.js layers model.json"):
        load_model(path)


def test_shipped_model_meets_the_bar_on_the_validation_images(tiny_imagenet_zip):
    """Measured here, not read from the card: top-1 on the 250 shared validation images."""
    from explainer_core.data import TinyImageNet
    from explainer_core.train import evaluate

    loaded = load_model()
    val = TinyImageNet(tiny_imagenet_zip).load("val")
    result = evaluate(loaded.keras_model, val.images, val.labels, len(loaded.class_names))
    assert result["count"] == 250
    assert result["top1"] >= 0.74
    assert result["top1"] == pytest.approx(loaded.card["validation"]["top1"], abs=1e-9)
