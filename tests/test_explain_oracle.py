"""Our Grad-CAM, Grad-CAM++ and Score-CAM against an independent library, tf-keras-vis 0.8.7.

The oracle gets the target layer explicitly (its automatic choice moves to the last convolution,
``conv_2_2`` instead of ``relu_2_2``), its progress bar is silenced, and the last layer's softmax is
replaced by a linear activation: what its ``ReplaceToLinear`` does (that modifier itself fails on a
Keras 3 Sequential model, which has no ``output_names``) and what its documentation recommends for the
gradient methods on softmax models. So its Grad-CAM and Grad-CAM++ differentiate the logit, as ours
do. For Score-CAM its documentation keeps the softmax, but its Score-CAM applies a softmax of its own
to the model's outputs, which would then be a softmax of probabilities; with the linear output it is
the softmax of the logits, the paper's weight and ours. Every model here ends in a Dense softmax
layer, whose softmax both sides can remove.

Tolerance. tf-keras-vis upsamples with ``scipy.ndimage.zoom(order=1)``, which aligns the corners of the
small map with the corners of the picture; we (like cv2.resize, which pytorch-grad-cam uses) put the
small map's cells at their centres. The tight test therefore gives the oracle the same bilinear rule
(``grid_mode=True``, the only change): maps then agree to 1e-3 on the [0, 1] scale. What is left
is float32 rounding, summed in another order (eager NumPy there, a compiled graph here) and stretched
by the min-max normalisation, most for classes the model does not predict, whose maps are flatter:
measured up to 3e-4 (Grad-CAM++ of class 3 on the shipped Tiny VGG), where a float64 computation was
1e-5 from ours and 3e-4 from the oracle. With the oracle as shipped, the two rules place an 8x8 map's
cells up to 3.5 pixels apart on a 64x64 picture, and maps agree only in their broad shape (Pearson
correlation 0.96 to 0.99 on the shipped Tiny VGG's 26x26 maps, 0.87 to 0.99 on the 8x8 maps of ResNet
and DenseNet, for these pictures and targets): a difference of convention, not of method, so it is not
asserted.
"""

from __future__ import annotations

import contextlib
import functools
import io
import warnings

import keras  # noqa: E402  (core and test dependencies: a missing one is a failure, not a skip)
import numpy as np
import pytest
import tf_keras_vis  # noqa: E402, F401
from scipy import ndimage  # noqa: E402

with warnings.catch_warnings():  # the oracle imports zoom from a namespace SciPy has deprecated
    warnings.simplefilter("ignore", DeprecationWarning)
    import tf_keras_vis.gradcam as tkv_gradcam
    import tf_keras_vis.gradcam_plus_plus as tkv_gradcam_pp
    import tf_keras_vis.scorecam as tkv_scorecam
    from tf_keras_vis.utils.scores import CategoricalScore

from explainer_core.data.preprocess import prepare_image  # noqa: E402
from explainer_core.explain import default_target_layer, explain  # noqa: E402
from explainer_core.models.loading import SHIPPED_MODEL, load_model  # noqa: E402
from explainer_core.models.zoo import ZOO  # noqa: E402

#: Our method name -> the oracle's class, and the module whose ``zoom`` it calls.
ORACLES = {
    "gradcam": (tkv_gradcam.Gradcam, tkv_gradcam),
    "gradcam++": (tkv_gradcam_pp.GradcamPlusPlus, tkv_gradcam_pp),
    "scorecam": (tkv_scorecam.Scorecam, tkv_scorecam),
}
TIGHT = 1e-3

#: The oracle calls the model with a list where Keras 3 expects a tensor, and Keras says so.
pytestmark = pytest.mark.filterwarnings("ignore:The structure of `inputs` doesn't match:UserWarning")


def seeded_zoo_model(name: str, seed: int) -> keras.Model:
    """A zoo builder with fixed random weights, as conftest's ``seed_weights`` draws them (He-scaled kernels,
    non-zero biases), except that batch normalisation gets statistics it can use (positive variances)."""
    model = ZOO[name].build((64, 64, 3), 10)
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        weights = layer.get_weights()
        if isinstance(layer, keras.layers.BatchNormalization):
            shape = weights[0].shape
            gamma, variance = rng.uniform(0.5, 1.5, shape), rng.uniform(0.5, 2.0, shape)
            layer.set_weights([gamma, rng.normal(0, 0.1, shape), rng.normal(0, 0.1, shape), variance])
        elif weights:
            fan_in = int(np.prod(weights[0].shape[:-1]))
            kernel = rng.normal(0.0, np.sqrt(2.0 / fan_in), weights[0].shape)
            layer.set_weights([kernel, *(rng.normal(0.0, 0.1, w.shape) for w in weights[1:])])
    return model


@pytest.fixture(scope="module", params=["tiny_vgg", "resnet_mini", "densenet_mini", "mobilenet_v2_mini"])
def model(request):
    """The shipped Tiny VGG; ResNet and DenseNet with seeded weights; the trained MobileNetV2 (shipped in model/zoo).

    A MobileNetV2 with random weights makes nearly the same, nearly flat map for every picture (its raw
    map varies by 2 to 15 % around its mean): a poor witness, since min-max normalisation then stretches
    float32 rounding 10 to 50 times. Trained, it explains pictures and is compared like the others.
    """
    if request.param == "tiny_vgg":
        return load_model(SHIPPED_MODEL, sequential_only=False).keras_model
    if request.param == "mobilenet_v2_mini":
        return load_model(ZOO["mobilenet_v2_mini"].path, sequential_only=False).keras_model
    return seeded_zoo_model(request.param, seed=0)


@pytest.fixture(scope="module")
def pictures(coffee_uint8, dataset_uint8):
    """Three real photos: scikit-image's coffee and two Tiny ImageNet validation pictures."""
    return np.stack([prepare_image(coffee_uint8), *(image / 255.0 for image in dataset_uint8[:2])]).astype(np.float32)


def linear_output(model):
    """The oracle's ReplaceToLinear, for models without ``output_names``: the softmax becomes linear."""
    model.layers[-1].activation = keras.activations.linear


def oracle_maps(method: str, model, images, targets) -> np.ndarray:
    cls, _ = ORACLES[method]
    with contextlib.redirect_stdout(io.StringIO()):  # Score-CAM's model.predict prints a progress bar
        return cls(model, model_modifier=linear_output)(
            CategoricalScore(list(targets)),
            images,
            penultimate_layer=default_target_layer(model),
            seek_penultimate_conv_layer=False,
        )


@pytest.fixture
def half_pixel_oracle(monkeypatch):
    """The oracle with our upsampling rule (cell centres, edges held): scipy's ``grid_mode=True``."""
    zoom = functools.partial(ndimage.zoom, grid_mode=True, mode="nearest")
    for _, module in ORACLES.values():
        monkeypatch.setattr(module, "zoom", zoom)


@pytest.mark.parametrize("method", list(ORACLES))
def test_maps_agree_with_tf_keras_vis(method, model, pictures, half_pixel_oracle):
    """The first picture's predicted class, then two fixed classes (one target per image)."""
    targets = [int(model.predict(pictures[:1], verbose=0).argmax()), 3, 7]
    ours = explain(method, model, pictures, target=targets)
    theirs = oracle_maps(method, model, pictures, targets)
    assert ours.shape == theirs.shape == pictures.shape[:3]
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=TIGHT)
