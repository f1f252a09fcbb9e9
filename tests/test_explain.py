"""The explanation methods on cases worked by hand, sanity checks from the literature, and bad requests.

tf-keras-vis has no Smooth Grad-CAM++ and no BBMP, so besides the oracle comparison
(test_explain_oracle.py) every method is checked here against a definition computed in NumPy on
networks small enough to follow: Grad-CAM equals CAM where CAM is defined, Smooth Grad-CAM++ is the
explicit mean over its noisy copies, BBMP deletes what a hand-made network reads. Tiny networks keep
each test to seconds.
"""

from __future__ import annotations

import keras  # noqa: E402  (core dependencies: a missing one is a failure, not a skip)
import numpy as np
import pytest
import tensorflow as tf  # noqa: E402

from explainer_core.data.preprocess import prepare_image  # noqa: E402
from explainer_core.errors import ExplanationError  # noqa: E402
from explainer_core.explain import (  # noqa: E402
    BBMP,
    METHODS,
    GradCAM,
    GradCAMPlusPlus,
    SmoothGradCAMPlusPlus,
    default_target_layer,
    explain,
)
from explainer_core.explain.base import cached  # noqa: E402
from explainer_core.models.loading import SHIPPED_MODEL, load_model  # noqa: E402
from explainer_core.models.zoo import ZOO  # noqa: E402

from .conftest import seed_weights  # noqa: E402

CAMS = [name for name in METHODS if name != "bbmp"]


def normalised(maps: np.ndarray) -> np.ndarray:
    """ReLU and min-max per map, the reader's scale, in NumPy."""
    maps = np.maximum(maps, 0)
    low, high = maps.min(axis=(1, 2), keepdims=True), maps.max(axis=(1, 2), keepdims=True)
    return (maps - low) / (high - low)


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


@pytest.fixture(scope="module")
def shipped():
    return load_model(SHIPPED_MODEL, sequential_only=False)


@pytest.fixture(scope="module")
def coffee(coffee_uint8):
    return prepare_image(coffee_uint8)


# -- networks made by hand ---------------------------------------------------------------


def cam_network(seed: int = 0, activation: str | None = "relu") -> keras.Model:
    """The architecture CAM was defined for (Zhou et al., 2016): last convolution, global average pool, dense.

    'same' padding keeps the maps at the input's 8x8, so no upsampling stands between us and the definition.
    """
    inputs = keras.Input((8, 8, 3), name="input")
    x = keras.layers.Conv2D(4, 3, padding="same", activation=activation, name="conv")(inputs)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = keras.layers.Dense(3, activation="softmax", name="output")(x)
    return seed_weights(keras.Model(inputs, outputs), seed)


def two_layer_network(seed: int = 1) -> keras.Model:
    """Gradients that vary from place to place (ReLU and max pooling after the target layer), explicit
    logits and a separate Softmax layer."""
    inputs = keras.Input((12, 12, 3), name="input")
    x = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="conv_a")(inputs)
    x = keras.layers.Conv2D(5, 3, padding="same", name="conv_b")(x)
    x = keras.layers.ReLU(name="relu_b")(x)
    x = keras.layers.MaxPooling2D(2, name="pool")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(4, name="logits")(x)
    outputs = keras.layers.Softmax(name="output")(x)
    return seed_weights(keras.Model(inputs, outputs), seed)


def checkerboard(size: int) -> np.ndarray:
    return (np.indices((size, size)).sum(axis=0) % 2).astype(np.float32)


def texture_network(size: int = 32, strength: float = 0.1) -> keras.Model:
    """Class 0 is "red fine texture", class 1 "blue fine texture", read anywhere in the picture.

    A 4-neighbour Laplacian on the red (channel 0) and blue (channel 1) planes, ReLU, a global average, and
    logits k (red - blue) and k (blue - red). Blurring a texture silences its detector, so BBMP can delete it.
    """
    inputs = keras.Input((size, size, 3), name="input")
    x = keras.layers.Conv2D(2, 3, padding="same", activation="relu", name="texture")(inputs)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = keras.layers.Dense(2, activation="softmax", name="output")(x)
    model = keras.Model(inputs, outputs)
    laplacian = np.array([[0, -1, 0], [-1, 4, -1], [0, -1, 0]], np.float32)
    kernel = np.zeros((3, 3, 3, 2), np.float32)
    kernel[:, :, 0, 0] = kernel[:, :, 2, 1] = laplacian
    model.get_layer("texture").set_weights([kernel, np.zeros(2, np.float32)])
    dense = size * np.array([[1.0, -1.0], [-1.0, 1.0]], np.float32) * strength
    model.get_layer("output").set_weights([dense, np.zeros(2, np.float32)])
    return model


def red_left_blue_right(size: int = 32) -> np.ndarray:
    """Fine red texture on the left half, fine blue texture on the right: evidence for both classes."""
    image = np.zeros((size, size, 3), np.float32)
    board = checkerboard(size)
    image[:, : size // 2, 0] = board[:, : size // 2]
    image[:, size // 2 :, 2] = board[:, size // 2 :]
    return image


def quadrant_network(size: int = 64) -> keras.Model:
    """A model whose score reads only the top-left quadrant: its fine texture is class 0's evidence.

    Not too sure of itself: at a probability of 1 - 1e-6 the gradient of BBMP's score is smaller than
    that of the area term, and the mask never moves (a weakness of scoring the softmax probability).
    """
    inputs = keras.Input((size, size, 3), name="input")
    x = keras.layers.Conv2D(1, 1, name="grey")(inputs)
    x = keras.layers.Flatten(name="flatten")(x)
    outputs = keras.layers.Dense(2, activation="softmax", name="output")(x)
    model = keras.Model(inputs, outputs)
    model.get_layer("grey").set_weights([np.full((1, 1, 3, 1), 1 / 3, np.float32), np.zeros(1, np.float32)])
    reads = np.zeros((size, size), np.float32)
    half = size // 2
    reads[:half, :half] = 2 * checkerboard(half) - 1  # +1 / -1 in step with the texture
    weights = 3 / half**2 * np.stack([reads.ravel(), -reads.ravel()], axis=1)  # logits +-1.5: p(class 0) 0.95
    model.get_layer("output").set_weights([weights, np.zeros(2, np.float32)])
    return model


# -- definitions computed by hand --------------------------------------------------------


def test_gradcam_equals_cam_on_a_global_average_pooling_network():
    """CAM (Zhou et al., 2016): M_c = sum_k w_kc A_k with the dense weights; Grad-CAM's weights are w_kc / Z."""
    model = cam_network()
    image = np.random.default_rng(0).random((8, 8, 3), dtype=np.float32)
    kernel, bias = model.get_layer("conv").get_weights()
    padded = np.pad(image, ((1, 1), (1, 1), (0, 0)))
    windows = np.stack([padded[i : i + 8, j : j + 8] for i in range(3) for j in range(3)], axis=2)  # (8, 8, 9, 3)
    activations = np.maximum(np.einsum("hwpc,pck->hwk", windows, kernel.reshape(9, 3, 4)) + bias, 0)
    dense = model.get_layer("output").get_weights()[0]  # (4 channels, 3 classes)
    for target in range(3):
        cam = normalised((activations @ dense[:, target])[None])
        np.testing.assert_allclose(explain("gradcam", model, image, target=target), cam, atol=1e-5)


def test_scorecam_weights_are_the_probabilities_of_the_masked_pictures():
    """Wang et al. (2020): w_k = softmax(f(X o s(A_k)))_c; a constant map shows no place: w = 0.

    Without a ReLU the maps can be negative, so the constant channel 3 (-2 everywhere) would, if weighted,
    shift the sum below zero where the ReLU clips it, and the map would change.
    """
    model = cam_network(activation=None)
    kernel, bias = model.get_layer("conv").get_weights()
    kernel[..., 3], bias[3] = 0.0, -2.0
    model.get_layer("conv").set_weights([kernel, bias])
    image = np.random.default_rng(7).random((8, 8, 3), dtype=np.float32)
    activations = keras.Model(model.input, model.get_layer("conv").output)(image[None])[0].numpy()
    low, high = activations.min(axis=(0, 1)), activations.max(axis=(0, 1))
    masks = (activations - low) / np.where(high > low, high - low, 1)
    masked = image[None] * np.moveaxis(masks, -1, 0)[..., None]  # one picture per channel
    for target in range(3):
        weights = np.where(high > low, model.predict(masked, verbose=0)[:, target], 0)
        expected = normalised((activations @ weights)[None])
        np.testing.assert_allclose(explain("scorecam", model, image, target=target), expected, atol=1e-5)


def test_smooth_gradcam_pp_without_noise_is_gradcam_pp():
    model = two_layer_network()
    images = np.random.default_rng(1).random((2, 12, 12, 3), dtype=np.float32)
    noiseless = SmoothGradCAMPlusPlus(model, "conv_b", noise_level=0.0)(images)
    np.testing.assert_allclose(noiseless, GradCAMPlusPlus(model, "conv_b")(images), atol=1e-5)


def test_smooth_gradcam_pp_is_the_mean_over_its_noisy_copies():
    """Omeiza et al. (2019): the first three derivatives of exp(S_c), averaged over the copies one by one."""
    model = two_layer_network()
    image = np.random.default_rng(2).random((12, 12, 3), dtype=np.float32)
    explainer = SmoothGradCAMPlusPlus(model, "conv_b", samples=6, noise_level=0.2)
    target = 2
    opened = keras.Model(model.input, [model.get_layer("conv_b").output, model.get_layer("logits").output])
    sigma = 0.2 * (image.max() - image.min())
    scores, gradients = [], []
    for pattern in explainer.noise:
        copy = tf.constant((image + sigma * pattern)[None])
        with tf.GradientTape() as tape:
            maps, logits = opened(copy)
            score = logits[0, target]
        gradients.append(tape.gradient(score, maps)[0].numpy().astype(np.float64))
        scores.append(float(score))
    weights = np.exp(np.array(scores) - max(scores))[:, None, None, None]  # exp(S_c), up to one common factor
    first, second, third = (np.mean(weights * np.array(gradients) ** p, axis=0) for p in (1, 2, 3))
    activations = opened(image[None])[0][0].numpy().astype(np.float64)
    denominator = 2 * second + activations.sum(axis=(0, 1)) * third
    alphas = np.divide(second, denominator, out=np.zeros_like(second), where=denominator != 0)
    alphas /= np.where(alphas.sum(axis=(0, 1)) != 0, alphas.sum(axis=(0, 1)), 1)
    channel_weights = (alphas * np.maximum(first, 0)).sum(axis=(0, 1))
    expected = normalised((activations @ channel_weights)[None])
    np.testing.assert_allclose(explainer(image, target=target), expected, atol=1e-4)
    assert not np.allclose(expected, GradCAMPlusPlus(model, "conv_b")(image, target=target), atol=1e-2)


def test_bbmp_deletes_the_region_the_model_reads():
    """The score reads only the top-left quadrant's texture: the optimised mask removes that quadrant.

    The total variation with beta = 3 punishes steep steps more than long slopes, so the mask does not stop
    at the quadrant's edge: it fades out towards the far corner, which the model never reads.
    """
    size, half = 64, 32
    image = np.random.default_rng(3).random((size, size, 3), dtype=np.float32) * 0.5
    image[:half, :half] = checkerboard(half)[:, :, None]
    model = quadrant_network(size)
    assert model.predict(image[None], verbose=0)[0, 0] > 0.9
    heat = explain("bbmp", model, image)[0]
    read = heat[:half, :half].mean()
    others = [heat[:half, half:].mean(), heat[half:, :half].mean(), heat[half:, half:].mean()]
    assert read > 0.9
    assert max(others) < read and others[2] < 0.4


def test_bbmp_same_seed_same_map():
    model = quadrant_network()
    image = np.random.default_rng(4).random((64, 64, 3), dtype=np.float32)
    first = BBMP(model, steps=40, seed=7)(image)
    assert np.array_equal(first, BBMP(model, steps=40, seed=7)(image))
    assert not np.array_equal(first, BBMP(model, steps=40, seed=8)(image))


# -- sanity checks from the literature ---------------------------------------------------


@pytest.mark.parametrize("method", list(METHODS))
def test_map_changes_when_the_weights_are_randomised(method, shipped, coffee):
    """Adebayo et al. (2018): a map that survives randomising the model explains the picture, not the model."""
    trained = shipped.keras_model
    random = seed_weights(keras.models.clone_model(trained), seed=5)
    target = int(trained.predict(coffee[None], verbose=0).argmax())
    before = explain(method, trained, coffee, target=target)
    after = explain(method, random, coffee, target=target)
    assert correlation(before, after) < 0.5


@pytest.mark.parametrize("method", list(METHODS))
def test_maps_of_two_classes_differ_on_a_picture_with_both(method):
    """Red texture (class 0) on the left, blue texture (class 1) on the right: each class's map lights its half."""
    image = red_left_blue_right()
    model = texture_network()
    red, blue = explain(method, model, np.stack([image, image]), target=[0, 1])
    assert red[:, :16].mean() > 2 * red[:, 16:].mean()
    assert blue[:, 16:].mean() > 2 * blue[:, :16].mean()


# -- the call ----------------------------------------------------------------------------


@pytest.mark.parametrize("method", list(METHODS))
def test_every_method_returns_maps_in_0_1_at_input_resolution(method, shipped, coffee):
    options = {"steps": 20} if method == "bbmp" else {}
    maps = explain(method, shipped, np.stack([coffee, coffee[::-1]]), **options)
    assert maps.shape == (2, 64, 64) and maps.dtype == np.float32
    assert maps.min() == 0.0 and maps.max() == 1.0


def test_default_target_is_the_predicted_class_and_uint8_is_scaled(shipped, coffee, coffee_uint8):
    predicted = int(shipped.keras_model.predict(coffee[None], verbose=0).argmax())
    default = explain("gradcam", shipped, coffee)
    np.testing.assert_array_equal(default, explain("gradcam", shipped, coffee[None], target=[predicted]))
    as_bytes = np.round(coffee * 255).astype(np.uint8)
    np.testing.assert_allclose(explain("gradcam", shipped, as_bytes), default, atol=1e-5)
    assert not np.allclose(explain("gradcam", shipped, coffee, target=(predicted + 1) % 10), default)


def test_one_compiled_graph_per_model_method_and_layer(shipped, coffee):
    explainer = cached(METHODS["gradcam++"], shipped, None)
    assert cached(METHODS["gradcam++"], shipped.keras_model, None) is explainer
    for batch in (1, 3, 2):
        explain("gradcam++", shipped, np.repeat(coffee[None], batch, axis=0), target=1)
    assert explainer._graph.experimental_get_tracing_count() == 1
    assert cached(METHODS["gradcam++"], shipped, "relu_2_1") is not explainer


def test_constant_map_becomes_zeros():
    model = cam_network()
    model.get_layer("conv").set_weights([np.zeros((3, 3, 3, 4), np.float32), np.ones(4, np.float32)])
    image = np.random.default_rng(6).random((8, 8, 3), dtype=np.float32)
    np.testing.assert_array_equal(GradCAM(model)(image), np.zeros((1, 8, 8), np.float32))


def test_default_target_layer_is_the_last_convolution_block_output():
    expected = {
        "tiny_vgg": "relu_2_2",
        "resnet_mini": "stage3_block1_out",
        "alexnet_mini": "conv5",
        "squeezenet_mini": "conv_classifier",
        "densenet_mini": "final_relu",
        "mobilenet_v2_mini": "last_relu",
        "shufflenet_mini": "stage3_unit4_out",
    }
    for name, layer in expected.items():
        assert default_target_layer(ZOO[name].build((64, 64, 3), 10)) == layer
    assert default_target_layer(two_layer_network()) == "relu_b"


# -- bad requests ------------------------------------------------------------------------


def test_unknown_method_lists_the_methods(shipped, coffee):
    with pytest.raises(ExplanationError, match="'lime'.*gradcam, gradcam\\+\\+, smoothgrad-cam\\+\\+, scorecam, bbmp"):
        explain("lime", shipped, coffee)


@pytest.mark.parametrize("target", [10, -1, [0, 12]])
def test_class_out_of_range(shipped, coffee, target):
    images = np.stack([coffee, coffee]) if isinstance(target, list) else coffee
    with pytest.raises(ExplanationError, match=r"out of range: this model has 10 classes, 0 to 9"):
        explain("gradcam", shipped, images, target=target)


def test_one_target_per_image(shipped, coffee):
    with pytest.raises(ExplanationError, match="3 target classes for 2 images"):
        explain("gradcam", shipped, np.stack([coffee, coffee]), target=[1, 2, 3])


def test_layer_that_does_not_exist(shipped, coffee):
    with pytest.raises(ExplanationError, match="no layer named 'conv_9'.*relu_2_2"):
        explain("gradcam", shipped, coffee, layer="conv_9")


@pytest.mark.parametrize("layer", ["flatten", "output"])
def test_layer_that_is_not_convolutional(shipped, coffee, layer):
    with pytest.raises(ExplanationError, match=f"'{layer}'.*not feature maps.*Choose a convolutional layer"):
        explain("scorecam", shipped, coffee, layer=layer)


def test_model_without_a_convolution():
    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(inputs)))
    with pytest.raises(ExplanationError, match="has no convolution"):
        explain("gradcam", model, np.zeros((8, 8, 3), np.float32))


@pytest.mark.parametrize("shape", [(32, 32, 3), (64, 64), (64, 64, 1), (2, 3, 64, 64, 3)])
def test_image_of_the_wrong_size(shipped, shape):
    with pytest.raises(ExplanationError, match=r"do not fit the model, which reads 64x64 pictures with 3 channels"):
        explain("gradcam", shipped, np.zeros(shape, np.float32))


@pytest.mark.parametrize(
    "values", [np.full((64, 64, 3), 255.0), np.full((64, 64, 3), np.nan), np.ones((64, 64, 3), int)]
)
def test_pixels_outside_0_1(shipped, values):
    with pytest.raises(ExplanationError, match=r"uint8 \(0-255\) or floats|not numbers|must lie in \[0, 1\]"):
        explain("gradcam", shipped, values)


def test_not_a_model(coffee):
    with pytest.raises(ExplanationError, match="Keras model"):
        explain("gradcam", "model/tiny_vgg.keras", coffee)
