"""The forward trace reproduces Keras layer by layer, on real photos, for more than one architecture.

Also covers reading a Keras model into a Network (and refusing what the book
cannot explain) and the colour-scale ranges computed from a trace.
"""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

from explainer_core.arithmetic import ops
from explainer_core.arithmetic.network import Network
from explainer_core.arithmetic.scales import color_ranges, scale_groups
from explainer_core.arithmetic.trace import Trace, trace
from explainer_core.data.preprocess import prepare_image
from explainer_core.errors import ModelLoadError, TraceError
from explainer_core.models.loading import LoadedModel, build_tiny_vgg
from tests.conftest import seed_weights, strided_cnn

ATOL = 1e-5


def keras_layer_outputs(model: keras.Model, image: np.ndarray) -> dict[str, np.ndarray]:
    """What every Keras layer returns for ``image``, computed by Keras itself."""
    probe = keras.Model(inputs=model.inputs, outputs=[layer.output for layer in model.layers])
    outputs = probe(tf.convert_to_tensor(image[None]), training=False)
    return {
        layer.name: np.asarray(out)[0]
        for layer, out in zip(model.layers, outputs, strict=True)
        if not isinstance(layer, keras.layers.InputLayer)  # a functional model lists its input too
    }


def assert_trace_matches_keras(model: keras.Model, image: np.ndarray) -> Trace:
    network = Network.from_keras(model)
    result = trace(network, image)
    expected = keras_layer_outputs(model, image)
    for name, keras_output in expected.items():
        ours = result.outputs[name]
        assert ours.shape == keras_output.shape, name
        np.testing.assert_allclose(ours, keras_output, atol=ATOL, rtol=0, err_msg=name)
    np.testing.assert_allclose(result.probabilities, model.predict(image[None], verbose=0)[0], atol=ATOL, rtol=0)
    assert_intermediates_add_up(result)
    return result


def assert_intermediates_add_up(result: Trace) -> None:
    """For every conv step: Σ_c intermediate[f, c] + bias[f] is the conv output (exactly, in float32
    in the trace's order; and to 1e-5 when re-added in float64)."""
    for step in result.network.layers:
        if step.kind != "conv":
            continue
        parts = result.intermediates[step.name]
        out_h, out_w, filters = step.output_shape
        assert parts.shape == (filters, step.input_shape[-1], out_h, out_w)
        np.testing.assert_array_equal(ops.sum_intermediates(parts, step.bias), result.outputs[step.name])
        in_float64 = parts.astype(np.float64).sum(axis=1) + step.bias.astype(np.float64)[:, None, None]
        np.testing.assert_allclose(result.outputs[step.name], in_float64.transpose(1, 2, 0), atol=ATOL, rtol=0)


def fit(image_uint8: np.ndarray, network_shape: tuple[int, int, int]) -> np.ndarray:
    return prepare_image(image_uint8, size=network_shape[:2])


# -- the trace against Keras -------------------------------------------------


def test_trace_matches_keras_on_a_photo(cnn_model, coffee_uint8):
    image = fit(coffee_uint8, cnn_model.input_shape[1:])
    result = assert_trace_matches_keras(cnn_model, image)
    assert result.image.shape == tuple(cnn_model.input_shape[1:])


def test_trace_matches_keras_on_tiny_imagenet_photos(cnn_model, dataset_uint8):
    for photo in dataset_uint8:
        assert_trace_matches_keras(cnn_model, fit(photo, cnn_model.input_shape[1:]))


def test_intermediates_are_the_single_channel_convolutions(cnn_model, coffee_uint8):
    """Checked against TensorFlow: channel c alone, convolved with filter slice c, no bias."""
    network = Network.from_keras(cnn_model)
    result = trace(network, fit(coffee_uint8, network.input_shape))
    for step in network.layers:
        if step.kind != "conv":
            continue
        x = result.input_of(step.name)
        for c in range(x.shape[-1]):
            alone = tf.nn.conv2d(
                x[None, :, :, c : c + 1], step.kernel[:, :, c : c + 1, :], [1, *step.strides, 1], step.padding.upper()
            )[0].numpy()
            np.testing.assert_allclose(result.intermediates[step.name][:, c], alone.transpose(2, 0, 1), atol=ATOL)


def test_logits_flatten_and_prediction(cnn_model, coffee_uint8):
    network = Network.from_keras(cnn_model)
    result = trace(network, fit(coffee_uint8, network.input_shape))
    flatten_step = next(s for s in network.layers if s.kind == "flatten")
    source = result.input_of(flatten_step.name)
    assert result.flattened.shape == (source.size,)
    assert result.flatten_index.shape == (source.size, 3)
    rows, cols, channels = result.flatten_index.T
    np.testing.assert_array_equal(source[rows, cols, channels], result.flattened)

    last_dense = [s for s in network.layers if s.kind == "dense"][-1]
    x = result.input_of(last_dense.name).astype(np.float64)
    np.testing.assert_allclose(result.logits, x @ last_dense.kernel + last_dense.bias, atol=ATOL)
    np.testing.assert_array_equal(result.probabilities, ops.softmax(result.logits))
    assert result.logits.shape == result.probabilities.shape == (network.num_classes,)
    assert abs(float(result.probabilities.sum()) - 1.0) < 1e-6
    assert result.predicted_class == int(np.argmax(cnn_model.predict(result.image[None], verbose=0)[0]))


def test_fused_activations_split_into_two_steps():
    """Conv2D(activation='relu') and Dense(activation='softmax') keep the linear result visible."""
    network = Network.from_keras(seed_weights(strided_cnn(), seed=1))
    assert network.layer_names == (
        "conv_a_conv", "conv_a", "pool_a", "conv_b", "act_b", "pool_b",
        "flat", "hidden_dense", "hidden", "scores", "probs",
    )  # fmt: skip
    assert [s.kind for s in network.layers] == [
        "conv", "relu", "maxpool", "conv", "relu", "maxpool", "flatten", "dense", "relu", "dense", "softmax",
    ]  # fmt: skip
    assert network.layer("conv_a").keras_name == network.layer("conv_a_conv").keras_name == "conv_a"
    assert network.layer("conv_b").pads == ((1, 2), (0, 1))  # Keras's 'same' for a 4×3 kernel
    result = trace(network, np.zeros(network.input_shape, np.float32))
    np.testing.assert_array_equal(result.outputs["conv_a"], ops.relu(result.outputs["conv_a_conv"]))

    vgg = Network.from_keras(seed_weights(build_tiny_vgg()))
    assert vgg.layer_names[-2:] == ("output_dense", "output")
    assert vgg.layer("output").kind == "softmax"


def test_nothing_about_tiny_vgg_is_hard_coded():
    model = seed_weights(build_tiny_vgg(input_shape=(40, 40, 1), num_classes=4, filters=3), seed=5)
    image = np.random.default_rng(0).random((40, 40, 1), dtype=np.float32)
    result = assert_trace_matches_keras(model, image)
    assert result.outputs["max_pool_2"].shape == (7, 7, 3)
    assert result.intermediates["conv_1_1"].shape == (3, 1, 38, 38)
    assert result.probabilities.shape == (4,)


def test_trace_accepts_a_loaded_model_or_a_keras_model(coffee_uint8):
    model = seed_weights(build_tiny_vgg(), seed=2)
    names = tuple(f"thing {i}" for i in range(10))
    loaded = LoadedModel(model, names, source=None)
    image = fit(coffee_uint8, (64, 64, 3))
    by_network = trace(Network.from_loaded(loaded), image)
    for other in (trace(loaded, image), trace(model, image)):
        for name in by_network.layer_names:
            np.testing.assert_array_equal(other.outputs[name], by_network.outputs[name])
    assert trace(loaded, image).predicted_label == names[by_network.predicted_class]
    assert by_network.network.class_names == names


def test_the_trace_is_read_only(coffee_uint8):
    result = trace(Network.from_keras(seed_weights(build_tiny_vgg())), fit(coffee_uint8, (64, 64, 3)))
    for array in (result.image, result.outputs["conv_1_1"], result.intermediates["conv_2_2"], result.logits):
        with pytest.raises(ValueError):
            array[0] = 1.0
    with pytest.raises(TypeError):
        result.outputs["conv_1_1"] = None
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.logits = None


def test_input_of_chains_the_steps(coffee_uint8):
    network = Network.from_keras(seed_weights(build_tiny_vgg()))
    result = trace(network, fit(coffee_uint8, (64, 64, 3)))
    assert result.input_of("conv_1_1") is result.image
    assert result.input_of("relu_1_1") is result.outputs["conv_1_1"]
    with pytest.raises(TraceError, match="no layer called 'conv_9'"):
        result.input_of("conv_9")


# -- bad input ---------------------------------------------------------------


@pytest.fixture(scope="module")
def vgg_network():
    return Network.from_keras(seed_weights(build_tiny_vgg()))


@pytest.mark.parametrize(
    "image, message",
    [
        (np.zeros((32, 32, 3), np.float32), r"needs a 64×64×3 image .* given 32×32×3"),
        (np.zeros((64, 64), np.float32), r"needs a 64×64×3 image .* given 64×64;"),
        (np.zeros((64, 64, 4), np.float32), r"given 64×64×4"),
        (np.zeros((2, 64, 64, 3), np.float32), r"given 2×64×64×3"),
        (np.zeros((64, 64, 3), np.uint8), r"uint8 values"),
        (np.zeros((64, 64, 3), bool), r"bool values"),
        (np.full((64, 64, 3), np.nan, np.float32), r"NaN"),
        ([[0.0] * 3] * 64, r"NumPy array"),
    ],
)
def test_bad_images_are_refused_clearly(vgg_network, image, message):
    with pytest.raises(TraceError, match=message):
        trace(vgg_network, image)


def test_a_batch_of_one_and_float64_are_accepted(vgg_network):
    image = np.random.default_rng(1).random((64, 64, 3))
    a = trace(vgg_network, image)
    b = trace(vgg_network, image[None].astype(np.float32))
    assert a.image.dtype == np.float32
    np.testing.assert_array_equal(a.probabilities, b.probabilities)


def _sequential(*layers, shape=(16, 16, 3)):
    return keras.Sequential([keras.Input(shape=shape), *layers])


@pytest.mark.parametrize(
    "model, culprit",
    [
        (_sequential(keras.layers.Conv2D(2, 3, name="c"), keras.layers.BatchNormalization(name="bn")), "'bn'"),
        (_sequential(keras.layers.Dropout(0.5, name="drop")), "'drop'"),
        (_sequential(keras.layers.Conv2D(2, 3, dilation_rate=2, name="dilated")), "'dilated'.*dilated"),
        (_sequential(keras.layers.Conv2D(2, 3, activation="tanh", name="tanhconv")), "'tanhconv'.*tanh"),
        (_sequential(keras.layers.ReLU(max_value=6.0, name="relu6")), "'relu6'"),
        (_sequential(keras.layers.Dense(4, name="early_dense")), "'early_dense'.*Flatten"),
        (_sequential(keras.layers.GlobalAveragePooling2D(name="gap")), "'gap'"),
        (_sequential(keras.layers.Flatten(), keras.layers.Dense(3, name="no_softmax")), "softmax"),
        (
            _sequential(
                keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax"), keras.layers.Flatten(name="again")
            ),
            "'again'",
        ),
    ],
)
def test_unsupported_models_name_the_layer(model, culprit):
    with pytest.raises(ModelLoadError, match=culprit):
        Network.from_keras(model)


def _doubled(t):
    return 2 * t


def _shared_layer_model():
    inputs = keras.Input((8, 8, 3))
    shared = keras.layers.Conv2D(3, 1, name="shared")
    x = keras.layers.Flatten()(shared(shared(inputs)))
    return keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x))


def _branching_model():
    inputs = keras.Input((8, 8, 3))
    a, b = keras.layers.Conv2D(2, 3, name="left")(inputs), keras.layers.Conv2D(2, 3, name="right")(inputs)
    x = keras.layers.Flatten()(keras.layers.Add(name="merge")([a, b]))
    return keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: keras.Sequential([keras.layers.Conv2D(2, 3), keras.layers.Flatten()]), "not been built"),
        (_shared_layer_model, "not a simple chain"),
        (_branching_model, "'right'.*not a simple chain"),
        (lambda: _sequential(keras.layers.Conv2D(2, 3, activation=_doubled, name="custom")), "'custom'"),
    ],
)
def test_models_that_are_not_plain_chains_are_refused(make, message):
    with pytest.raises(ModelLoadError, match=message):
        Network.from_keras(make())


def test_a_functional_chain_is_traced_like_a_sequential_model():
    inputs = keras.Input((20, 20, 3))
    x = keras.layers.Conv2D(4, 3, strides=2, activation="relu", name="c")(inputs)
    x = keras.layers.MaxPooling2D(name="p")(x)
    outputs = keras.layers.Dense(3, activation="softmax", name="d")(keras.layers.Flatten(name="f")(x))
    model = seed_weights(keras.Model(inputs, outputs), seed=4)
    assert_trace_matches_keras(model, np.random.default_rng(4).random((20, 20, 3), dtype=np.float32))


def test_class_names_must_match_the_outputs():
    with pytest.raises(ModelLoadError, match="10 outputs but 3 class names"):
        Network.from_keras(build_tiny_vgg(), class_names=("a", "b", "c"))
    with pytest.raises(ModelLoadError, match="Keras model"):
        Network.from_keras("tiny_vgg.keras")


def test_network_weights_are_frozen_copies():
    model = seed_weights(build_tiny_vgg())
    network = Network.from_keras(model)
    kernel = network.layer("conv_1_1").kernel
    assert kernel.dtype == np.float32 and not kernel.flags.writeable
    np.testing.assert_array_equal(kernel, model.get_layer("conv_1_1").get_weights()[0])


# -- colour scales -------------------------------------------------------------


def test_scale_groups_follow_the_structure():
    vgg = Network.from_keras(build_tiny_vgg())
    assert scale_groups(vgg, "unit") == (
        ("conv_1_1", "relu_1_1"),
        ("conv_1_2", "relu_1_2", "max_pool_1"),
        ("conv_2_1", "relu_2_1"),
        ("conv_2_2", "relu_2_2", "max_pool_2"),
    )
    assert scale_groups(vgg, "module") == (
        ("conv_1_1", "relu_1_1", "conv_1_2", "relu_1_2", "max_pool_1"),
        ("conv_2_1", "relu_2_1", "conv_2_2", "relu_2_2", "max_pool_2"),
    )
    assert len(scale_groups(vgg, "layer")) == 10
    assert len(scale_groups(vgg, "global")) == 1
    other = Network.from_keras(strided_cnn())
    assert scale_groups(other, "unit") == (("conv_a_conv", "conv_a", "pool_a"), ("conv_b", "act_b", "pool_b"))
    assert scale_groups(other, "module") == scale_groups(other, "unit")
    with pytest.raises(ValueError, match="mode must be one of"):
        scale_groups(vgg, "local")


@pytest.mark.parametrize("mode", ["layer", "unit", "module", "global"])
def test_color_ranges_are_symmetric_and_cover_each_group(cnn_model, coffee_uint8, mode):
    network = Network.from_keras(cnn_model)
    result = trace(network, fit(coffee_uint8, network.input_shape))
    ranges = color_ranges(result, mode)
    heatmaps = [s.name for s in network.layers if len(s.output_shape) == 3]
    assert list(ranges) == heatmaps
    for group in scale_groups(network, mode):
        largest = max(float(np.abs(result.outputs[name]).max()) for name in group)
        for name in group:
            assert ranges[name] == (-largest, largest)
    if mode == "global":
        assert len(set(ranges.values())) == 1


def test_an_all_zero_layer_still_gets_a_usable_range():
    model = build_tiny_vgg()
    model.set_weights([np.zeros_like(w) for w in model.get_weights()])
    result = trace(Network.from_keras(model), np.zeros((64, 64, 3), np.float32))
    assert set(color_ranges(result, "layer").values()) == {(-1.0, 1.0)}
