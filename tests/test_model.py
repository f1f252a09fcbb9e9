"""Loading models in every accepted format, and refusing the ones we cannot explain."""

from __future__ import annotations

import json
import shutil

import keras
import numpy as np
import pytest

from explainer_core.data.tiny_imagenet import PAPER_CLASS_NAMES
from explainer_core.errors import ModelLoadError
from explainer_core.models.loading import SHIPPED_MODEL, build_tiny_vgg, card_path, load_model, save_model_atomically
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


# -- malformed TF.js models, cards and class names: ModelLoadError, never a raw error ------
def _layers(spec: dict) -> list:
    return spec["modelTopology"]["model_config"]["config"]["layers"]


def _entries(spec: dict) -> list:
    return spec["weightsManifest"][0]["weights"]


def _shard_outside(spec: dict, folder) -> None:
    """Name the first shard by a path that climbs out of the folder (the file is really there)."""
    name = spec["weightsManifest"][0]["paths"][0]
    shutil.copy(folder / name, folder.parent / name)
    spec["weightsManifest"][0]["paths"][0] = f"../{name}"


def _shard_absolute(spec: dict, folder) -> None:
    name = spec["weightsManifest"][0]["paths"][0]
    spec["weightsManifest"][0]["paths"][0] = str((folder / name).resolve())


def _poison(value: float):
    """Write ``value`` over the first float of the first shard (the first kernel weight)."""

    def change(spec: dict, folder) -> None:
        shard = folder / spec["weightsManifest"][0]["paths"][0]
        data = bytearray(shard.read_bytes())
        data[:4] = np.float32(value).tobytes()
        shard.write_bytes(bytes(data))

    return change


# name: (a change to the parsed model.json -- in place, or a spec returned instead; what the message says)
MALFORMED_TFJS = {
    "spec-is-a-list": (lambda spec, folder: [], "no modelTopology"),
    "topology-is-a-string": (lambda spec, folder: spec.update(modelTopology="Sequential"), "no modelTopology"),
    "manifest-is-an-object": (lambda spec, folder: spec.update(weightsManifest={}), "no weightsManifest list"),
    "model-config-is-a-string": (
        lambda spec, folder: spec["modelTopology"].update(model_config="Sequential"),
        "Only sequential",
    ),
    "layers-are-a-string": (
        lambda spec, folder: spec["modelTopology"]["model_config"]["config"].update(layers="conv"),
        "layers must be a list of objects",
    ),
    "layer-is-a-string": (
        lambda spec, folder: _layers(spec).__setitem__(1, "relu"),
        "layers must be a list of objects",
    ),
    "layer-config-is-a-list": (
        lambda spec, folder: _layers(spec)[1].update(config=[]),
        "layers must be a list of objects",
    ),
    "layer-without-name": (lambda spec, folder: _layers(spec)[1]["config"].__delitem__("name"), "layer 1 has no name"),
    "repeated-layer-names": (
        lambda spec, folder: _layers(spec)[2]["config"].update(name="conv_1_1"),
        "own name; repeated: conv_1_1",
    ),
    "input-shape-a-number": (
        lambda spec, folder: _layers(spec)[0]["config"].update(batch_input_shape=64),
        "input shape 64, not a list",
    ),
    "input-shape-unknown": (
        lambda spec, folder: _layers(spec)[0]["config"].update(batch_input_shape=[None, None, 64, 3]),
        "fixed input shape",
    ),
    "input-shape-text": (
        lambda spec, folder: _layers(spec)[0]["config"].update(batch_input_shape=[None, "64", 64, 3]),
        "fixed input shape",
    ),
    "filters-as-text": (
        lambda spec, folder: _layers(spec)[0]["config"].update(filters="ten"),
        "layer 'conv_1_1' \\(Conv2D\\) cannot be built",
    ),
    "negative-kernel-size": (
        lambda spec, folder: _layers(spec)[0]["config"].update(kernel_size=[-3, 3]),
        "layer 'conv_1_1' \\(Conv2D\\) cannot be built",
    ),
    "zero-stride": (
        lambda spec, folder: _layers(spec)[0]["config"].update(strides=[0, 1]),
        "layer 'conv_1_1' \\(Conv2D\\) cannot be built",
    ),
    "kernel-larger-than-input": (
        lambda spec, folder: _layers(spec)[0]["config"].update(kernel_size=[99, 99]),
        "do not fit together",
    ),
    "metadata-is-a-string": (lambda spec, folder: spec.update(userDefinedMetadata="lifeboat"), "must be a JSON object"),
    "group-is-a-string": (
        lambda spec, folder: spec.update(weightsManifest=["group1-shard1of1.bin"]),
        "group must be an object with a list of paths",
    ),
    "paths-are-a-string": (
        lambda spec, folder: spec["weightsManifest"][0].update(paths="group1-shard1of2.bin"),
        "group must be an object with a list of paths",
    ),
    "path-is-a-number": (lambda spec, folder: spec["weightsManifest"][0]["paths"].__setitem__(0, 1), "not a file name"),
    "weight-is-a-string": (
        lambda spec, folder: _entries(spec).__setitem__(0, "conv_1_1/kernel"),
        "a weight must be an object with a name",
    ),
    "weight-without-name": (
        lambda spec, folder: _entries(spec)[0].__delitem__("name"),
        "a weight must be an object with a name",
    ),
    "shape-as-text": (lambda spec, folder: _entries(spec)[0].update(shape="3x3x3x10"), "shape '3x3x3x10', not a list"),
    "negative-shape": (lambda spec, folder: _entries(spec)[1].update(shape=[-10]), r"shape \[-10\], not a list"),
    "float32-declared-int32": (
        lambda spec, folder: _entries(spec)[0].update(dtype="int32"),
        "conv_1_1/kernel is declared as 'int32'; .* hold float32 weights",
    ),
    "float32-declared-float16": (
        lambda spec, folder: _entries(spec)[1].update(dtype="float16"),
        "conv_1_1/bias is declared as 'float16'",
    ),
    "unknown-quantization": (
        lambda spec, folder: _entries(spec)[0].update(quantization={"dtype": "int4"}),
        "unsupported quantization .* supported: uint8, uint16, float16",
    ),
    "quantization-without-scale": (
        lambda spec, folder: _entries(spec)[0].update(quantization={"dtype": "uint8", "min": 0.0}),
        "quantized with the scale None, not a finite number",
    ),
    "repeated-weight-names": (
        lambda spec, folder: _entries(spec)[1].update(name="conv_1_1/kernel"),
        "weight conv_1_1/kernel is listed twice",
    ),
    "shard-path-climbs-out": (_shard_outside, "lies outside the model's folder"),
    "shard-path-absolute": (_shard_absolute, "lies outside the model's folder"),
    "nan-weight": (_poison(np.nan), r"'conv_1_1' \(Conv2D\) cannot be explained: 1 of the 270 values of its kernel"),
    "infinite-weight": (_poison(-np.inf), "NaN or infinite"),
    "class-names-one-string": (
        lambda spec, folder: spec.update(userDefinedMetadata={"class_names": "abcdefghij"}),
        "in the TensorFlow.js metadata\\) must be a list with one name per output, not str 'abcdefghij'",
    ),
    "class-names-repeated": (
        lambda spec, folder: spec.update(userDefinedMetadata={"class_names": ["cat"] * 2 + list("abcdefgh")}),
        "must be different; repeated: cat",
    ),
}


@pytest.mark.parametrize("name", MALFORMED_TFJS)
def test_a_malformed_tfjs_model_is_a_model_load_error(tmp_path, random_vgg, name):
    change, message = MALFORMED_TFJS[name]
    manifest = write_tfjs(random_vgg, tmp_path / "tfjs", shard_bytes=4096)
    spec = json.loads(manifest.read_text())
    replaced = change(spec, manifest.parent)
    manifest.write_text(json.dumps(spec if replaced is None else replaced))
    with pytest.raises(ModelLoadError, match=message):
        load_model(manifest)


def test_a_tfjs_model_with_weights_in_uint8_and_float16_still_loads(tmp_path, random_vgg, images):
    """The checks above refuse nonsense, not the quantized formats the TF.js converter writes."""
    manifest = write_tfjs(random_vgg, tmp_path / "tfjs", shard_bytes=10**7)
    spec = json.loads(manifest.read_text())
    shard = manifest.parent / spec["weightsManifest"][0]["paths"][0]
    values = np.frombuffer(shard.read_bytes(), np.float32)
    chunks, at = [], 0
    for i, entry in enumerate(_entries(spec)):
        count = int(np.prod(entry["shape"]))
        value = values[at:at + count]
        at += count
        if i % 2:
            entry["quantization"] = {"dtype": "float16"}
            chunks.append(value.astype(np.float16).tobytes())
        else:
            low, scale = float(value.min()), float(value.max() - value.min()) / 255
            entry["quantization"] = {"dtype": "uint8", "min": low, "scale": scale}
            chunks.append(np.round((value - low) / scale).astype(np.uint8).tobytes())
    shard.write_bytes(b"".join(chunks))
    manifest.write_text(json.dumps(spec))
    loaded = load_model(manifest)
    np.testing.assert_allclose(loaded.keras_model.predict(images, verbose=0),
                               random_vgg.predict(images, verbose=0), atol=0.05)


def test_nan_weights_in_a_keras_file_are_refused(tmp_path, random_vgg):
    broken = keras.models.clone_model(random_vgg)
    weights = random_vgg.get_weights()
    weights[-1] = np.full_like(weights[-1], np.nan)
    broken.set_weights(weights)
    path = tmp_path / "diverged.keras"
    broken.save(path)
    message = r"'output' \(Dense\) cannot be explained: 10 of the 10 values of its bias"
    with pytest.raises(ModelLoadError, match=message):
        load_model(path)


# (the card's JSON, or the class_names argument; what the message says)
BAD_NAMES = {
    "card-is-a-list": ({"card": ["lifeboat"]}, "m.card.json must hold a JSON object, not a list"),
    "card-names-one-string": (
        {"card": {"class_names": "abcdefghij"}},
        r"\(in the model card m.card.json\) must be a list with one name per output, not str",
    ),
    "card-names-a-number": ({"card": {"class_names": 10}}, "not int"),
    "card-names-not-strings": ({"card": {"class_names": list(range(10))}}, "must be a non-empty string; 0 is not"),
    "card-names-blank": ({"card": {"class_names": ["", *"abcdefghi"]}}, "non-empty string; '' is not"),
    "card-names-repeated": ({"card": {"class_names": ["koala", "koala", *"abcdefgh"]}}, "repeated: koala"),
    "argument-one-string": ({"argument": "abcdefghij"}, r"\(the class_names argument\) must be a list"),
    "argument-repeated": ({"argument": ("x",) * 10}, "repeated: x"),
}


@pytest.mark.parametrize("name", BAD_NAMES)
def test_malformed_cards_and_class_names_are_a_model_load_error(tmp_path, random_vgg, name):
    given, message = BAD_NAMES[name]
    path = tmp_path / "m.keras"
    random_vgg.save(path)
    if "card" in given:
        card_path(path).write_text(json.dumps(given["card"]))
    with pytest.raises(ModelLoadError, match=message):
        load_model(path, class_names=given.get("argument"))


# -- messages that say what is really wrong ----------------------------------------------
@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda data: b"not a zip at all" * 10, "not a readable zip archive, as every .keras file is"),
        (lambda data: data[: len(data) // 2], "not a readable zip archive, as every .keras file is"),
        (lambda data: b"", r"empty \(0 bytes\)"),
    ],
    ids=["garbage", "truncated", "empty"],
)
def test_a_corrupt_keras_file_is_not_reported_as_missing(tmp_path, random_vgg, damage, message):
    good = tmp_path / "good.keras"
    random_vgg.save(good)
    bad = tmp_path / "bad.keras"
    bad.write_bytes(damage(good.read_bytes()))
    with pytest.raises(ModelLoadError, match=message) as caught:
        load_model(bad)
    assert "not found" not in str(caught.value).lower()


def test_a_zip_that_keras_did_not_write_is_named_as_such(tmp_path):
    import zipfile

    path = tmp_path / "photos.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("cat.txt", "meow")
    with pytest.raises(ModelLoadError, match="without the config.json that Keras writes"):
        load_model(path)


@pytest.mark.parametrize("path", ["", "   "])
def test_an_empty_path_says_so_not_model_json(path):
    with pytest.raises(ModelLoadError, match="The model path is empty") as caught:
        load_model(path)
    assert "model.json" not in str(caught.value).split(".")[0]


def test_a_folder_without_model_json_says_so(tmp_path):
    with pytest.raises(ModelLoadError, match="holds no model.json: it is not a TensorFlow.js layers model folder"):
        load_model(tmp_path)


def test_shipped_model_meets_the_bar_on_the_validation_images(real_tiny_imagenet_zip):
    """Measured here, not read from the card: top-1 on the 250 shared validation images."""
    from explainer_core.data.tiny_imagenet import TinyImageNet
    from explainer_core.models.train import evaluate

    loaded = load_model()
    val = TinyImageNet(real_tiny_imagenet_zip).load("val")
    result = evaluate(loaded.keras_model, val.images, val.labels, len(loaded.class_names))
    assert result["count"] == 250
    assert result["top1"] >= 0.74
    assert result["top1"] == pytest.approx(loaded.card["validation"]["top1"], abs=1e-9)
