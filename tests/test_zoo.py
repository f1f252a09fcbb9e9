"""The model zoo: its builders, its trained members and their cards, and how they load."""

from __future__ import annotations

import json
import sys

import keras
import numpy as np
import pytest

from explainer_core.errors import ModelLoadError
from explainer_core.models import train_zoo
from explainer_core.models.loading import SHIPPED_MODEL, card_path, load_model
from explainer_core.models.zoo import BN_MOMENTUM, ZOO, ZOO_DIR, _grouped_pointwise, multiply_adds

CARD_KEYS = {"name", "family", "parameters", "multiply_adds", "class_names", "data", "validation", "versions"}


@pytest.fixture(scope="module")
def built():
    """Every builder's untrained network, built once."""
    return {name: entry.build((64, 64, 3), 10) for name, entry in ZOO.items()}


def _spatial_side(model: keras.Model, layer_name: str) -> int:
    return min(int(d) for d in model.get_layer(layer_name).output.shape[1:3])


def test_the_zoo_has_twelve_or_more_members_in_six_or_more_families():
    assert len(ZOO) >= 12
    assert len({entry.family for entry in ZOO.values()}) >= 6
    assert {"Tiny VGG", "AlexNet", "VGG", "ResNet", "SqueezeNet", "DenseNet", "MobileNet", "ShuffleNet"} <= {
        entry.family for entry in ZOO.values()
    }


@pytest.mark.parametrize("name", list(ZOO))
def test_each_builder_reads_64x64_and_answers_ten_classes(built, name):
    model = built[name]
    assert model.input_shape == (None, 64, 64, 3)
    assert model.output_shape == (None, 10)
    probabilities = np.asarray(model(np.random.default_rng(0).random((2, 64, 64, 3), dtype=np.float32)))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("name", list(ZOO))
def test_the_last_convolution_still_sees_at_least_8x8(built, name):
    """A class activation map needs a map to show: keras.applications shrink 64x64 to 2x2 there."""
    from explainer_core.explain import default_target_layer

    model = built[name]
    assert _spatial_side(model, default_target_layer(model)) >= 8


@pytest.mark.parametrize("name", [name for name, entry in ZOO.items() if entry.family != "Tiny VGG" or "bn" in name])
def test_batch_normalisation_uses_momentum_0_9(built, name):
    norms = [layer for layer in built[name].layers if isinstance(layer, keras.layers.BatchNormalization)]
    if name in ("alexnet_mini", "squeezenet_mini"):  # the 2012 and 2016 designs had none
        assert not norms
        return
    assert norms and all(layer.momentum == BN_MOMENTUM for layer in norms)


def test_the_tiny_vgg_variants_change_one_thing_each(built):
    base = built["tiny_vgg"]
    assert base.count_params() == 19_920
    assert built["tiny_vgg_wide"].get_layer("conv_1_1").filters == 20
    assert any(layer.name == "max_pool_3" for layer in built["tiny_vgg_deep"].layers)
    assert not any(isinstance(layer, keras.layers.ReLU) for layer in built["tiny_vgg_linear"].layers)
    assert isinstance(built["tiny_vgg_avgpool"].get_layer("avg_pool_1"), keras.layers.AveragePooling2D)
    assert built["tiny_vgg_avgpool"].count_params() == built["tiny_vgg_linear"].count_params() == 19_920


def test_multiply_adds_of_tiny_vgg_by_hand(built):
    by_hand = 62 * 62 * 10 * 27 + 60 * 60 * 10 * 90 + 28 * 28 * 10 * 90 + 26 * 26 * 10 * 90 + 13 * 13 * 10 * 10
    assert multiply_adds(built["tiny_vgg"]) == by_hand


def test_the_grouped_pointwise_einsum_is_a_grouped_1x1_convolution():
    """ShuffleNet's grouped 1x1 convolutions are einsums (30 times faster on a CPU): same numbers, same count."""
    inputs = keras.Input((5, 6, 8))
    einsum_model = keras.Model(inputs, _grouped_pointwise(inputs, 12, 4, "g"))
    conv = keras.layers.Conv2D(12, 1, groups=4, use_bias=False)
    conv_model = keras.Model(inputs, conv(inputs))
    kernel = np.asarray(einsum_model.get_layer("g").kernel)  # (groups, in/groups, out/groups)
    conv.kernel.assign(np.concatenate(list(kernel), axis=-1)[None, None])  # (1, 1, in/groups, out)
    x = np.random.default_rng(1).standard_normal((2, 5, 6, 8)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(einsum_model(x)), np.asarray(conv_model(x)), atol=1e-5)
    assert multiply_adds(einsum_model) == multiply_adds(conv_model) == 5 * 6 * 12 * 2


def test_non_sequential_models_load_for_the_comparison_only(tmp_path, built):
    path = tmp_path / "resnet_mini.keras"
    built["resnet_mini"].save(path)
    loaded = load_model(path, sequential_only=False)
    x = np.random.default_rng(2).random((1, 64, 64, 3), dtype=np.float32)
    np.testing.assert_allclose(np.asarray(loaded.keras_model(x)), np.asarray(built["resnet_mini"](x)), atol=1e-6)
    with pytest.raises(ModelLoadError, match="comparison views .* can show this model") as caught:
        load_model(path)
    assert "sequential_only=False" in str(caught.value)


def test_train_zoo_refuses_an_unknown_member(capsys):
    assert train_zoo.main(["not_a_network"]) == 2
    assert "not a zoo member: not_a_network" in capsys.readouterr().err


def test_train_zoo_trains_each_member_with_the_same_seed_and_never_overwrites_by_accident():
    for name in train_zoo.ORDER:
        args = train_zoo.command(name, "data.zip", overwrite=False)
        assert args[:3] == [sys.executable, "-m", "explainer_core.models.train"]
        assert args[args.index("--seed") + 1] == str(train_zoo.SEED)
        assert args[args.index("--out") + 1] == str(ZOO[name].path)
        assert "--overwrite" not in args
    assert "tiny_vgg" not in train_zoo.ORDER  # the book's own model is trained by its own command
    assert ZOO["tiny_vgg"].path == SHIPPED_MODEL


# -- the trained zoo as shipped -----------------------------------------------------------


def _cards():
    return {name: json.loads(card_path(entry.path).read_text()) for name, entry in ZOO.items()}


def test_every_member_is_shipped_with_its_card_and_the_zoo_is_under_40_mb():
    missing = [name for name, entry in ZOO.items() if not entry.path.exists() or not card_path(entry.path).exists()]
    assert not missing, f"train them with: make zoo ZOO='{' '.join(missing)}'"
    size = sum(path.stat().st_size for path in ZOO_DIR.iterdir()) + SHIPPED_MODEL.stat().st_size
    assert size < 40 * 2**20


def test_the_cards_say_what_the_issue_asks_and_match_the_weights():
    cards = _cards()
    fingerprints = {card["data"]["sha256"] for card in cards.values()}
    assert len(fingerprints) == 1  # every member learnt from the same data
    for name, card in cards.items():
        if name == "tiny_vgg" and "family" not in card:
            continue  # the book's model card predates the zoo; checked in test_model.py
        assert CARD_KEYS <= set(card), name
        model = ZOO[name].load().keras_model
        assert card["parameters"] == model.count_params()
        assert card["multiply_adds"] == multiply_adds(model)
        confusion = np.array(card["validation"]["confusion"])
        assert confusion.shape == (10, 10) and confusion.sum() == card["validation"]["count"] == 250
        assert card["validation"]["top1"] == pytest.approx(np.trace(confusion) / 250)
        assert card["training_seconds"] > 0 and card["versions"]["keras"]


def test_the_zoo_table_has_a_row_per_member_from_its_card(capsys):
    assert train_zoo.main(["--table"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")][1:]
    assert [row.split(" | ")[0].strip("| ") for row in rows] == list(ZOO)
    tiny = json.loads(card_path(SHIPPED_MODEL).read_text())
    assert f"{tiny['validation']['top1']:.1%}" in rows[0]
