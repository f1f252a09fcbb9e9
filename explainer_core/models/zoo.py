"""The model zoo: small CNNs of VAC-CNN's families, sized for 64x64 pictures and two CPU cores.

VAC-CNN compares 13 ImageNet networks. No pretrained weights reach this
machine, and the book's readers know the 10 Tiny ImageNet classes, so every
network here is a scaled-down member of a famous family, trained on those
classes (``python -m explainer_core.models.zoo``). Each builder is a few
lines of the Keras Functional API, close to the paper that named the family.

Two rules hold for every member:

- its last convolution still sees a map of at least 8x8, so a class
  activation map has something to show (``keras.applications`` networks
  shrink 64x64 to 2x2 there);
- batch normalisation uses momentum 0.9: with Keras's 0.999 the MobileNets
  stay at chance for many epochs on 5,000 pictures.

The Tiny VGG variants each change one thing of the book's Tiny VGG, to answer
a learner's "why": why ten filters, why two modules, why max pooling, why the
ReLU, and what batch normalisation buys.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import keras
from keras import layers

from .loading import MODEL_DIR, SHIPPED_MODEL, LoadedModel, build_tiny_vgg, load_model

ZOO_DIR = MODEL_DIR / "zoo"
BN_MOMENTUM = 0.9

Shape = tuple[int, int, int]


@dataclass(frozen=True)
class ZooEntry:
    """One member of the zoo: how to build it, how long to train it, and what it teaches."""

    name: str
    family: str
    build: Callable[[Shape, int], keras.Model]
    why: str
    epochs: int = 40
    patience: int = 12
    learning_rate: float = 2e-3

    @property
    def path(self) -> Path:
        """Where the trained member lives; the zoo's Tiny VGG is the book's own model."""
        return SHIPPED_MODEL if self.name == "tiny_vgg" else ZOO_DIR / f"{self.name}.keras"

    def load(self) -> LoadedModel:
        """The trained member, through the book's one loader (non-sequential members allowed)."""
        return load_model(self.path, sequential_only=False)


def _bn_relu(x, name: str):
    x = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def _head(x, num_classes: int):
    """Global average pooling and a softmax layer, the head of every modern family."""
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    return layers.Dense(num_classes, activation="softmax", name="output")(x)


# -- Tiny VGG and its variants -----------------------------------------------------------


def _tiny_vgg_like(
    input_shape: Shape,
    num_classes: int,
    name: str,
    filters: int = 10,
    modules: int = 2,
    pool: type = layers.MaxPooling2D,
    activation: str | None = "relu",
    batch_norm: bool = False,
) -> keras.Model:
    """Tiny VGG's modules (two 3x3 valid convolutions, then a 2x2 pooling) with one thing changed."""
    inputs = keras.Input(shape=input_shape, name="input")
    x = inputs
    for module in range(1, modules + 1):
        for unit in (1, 2):
            x = layers.Conv2D(filters, 3, padding="valid", name=f"conv_{module}_{unit}")(x)
            if batch_norm:
                x = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"bn_{module}_{unit}")(x)
            if activation:
                x = layers.ReLU(name=f"relu_{module}_{unit}")(x)
        kind = "max" if pool is layers.MaxPooling2D else "avg"
        x = pool(2, strides=2, name=f"{kind}_pool_{module}")(x)
    x = layers.Flatten(name="flatten")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name=name)


def tiny_vgg(input_shape: Shape = (64, 64, 3), num_classes: int = 10) -> keras.Model:
    """The book's network (CNN Explainer, Fig. 4), trained again with the zoo's recipe."""
    return build_tiny_vgg(input_shape, num_classes)


def tiny_vgg_wide(input_shape: Shape = (64, 64, 3), num_classes: int = 10) -> keras.Model:
    """Twice the filters (20 per layer): does Tiny VGG lack filters?"""
    return _tiny_vgg_like(input_shape, num_classes, "tiny_vgg_wide", filters=20)


def tiny_vgg_deep(input_shape: Shape = (64, 64, 3), num_classes: int = 10) -> keras.Model:
    """A third module: last convolution at 9x9 and a receptive field of 36 pixels instead of 16."""
    return _tiny_vgg_like(input_shape, num_classes, "tiny_vgg_deep", modules=3)


def tiny_vgg_bn(input_shape: Shape = (64, 64, 3), num_classes: int = 10) -> keras.Model:
    """Batch normalisation after each convolution (Ioffe & Szegedy, 2015)."""
    return _tiny_vgg_like(input_shape, num_classes, "tiny_vgg_bn", batch_norm=True)


def tiny_vgg_avgpool(input_shape: Shape = (64, 64, 3), num_classes: int = 10) -> keras.Model:
    """Average pooling instead of max pooling: keep the mean of a window rather than its strongest cue."""
    return _tiny_vgg_like(input_shape, num_classes, "tiny_vgg_avgpool", pool=layers.AveragePooling2D)


def tiny_vgg_linear(input_shape: Shape = (64, 64, 3), num_classes: int = 10) -> keras.Model:
    """No ReLU: only max pooling is left to bend the line between pixels and scores."""
    return _tiny_vgg_like(input_shape, num_classes, "tiny_vgg_linear", activation=None)


# -- the families of VAC-CNN --------------------------------------------------------------


def alexnet_mini(input_shape: Shape = (64, 64, 3), num_classes: int = 10) -> keras.Model:
    """AlexNet (Krizhevsky et al., 2012): a large strided first kernel, five convolutions, guarded dense layers."""
    inputs = keras.Input(shape=input_shape, name="input")
    x = layers.Conv2D(32, 5, strides=2, padding="same", activation="relu", name="conv1")(inputs)  # 32x32
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool1")(x)  # 16x16
    x = layers.Conv2D(48, 5, padding="same", activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool2")(x)  # 8x8
    x = layers.Conv2D(96, 3, padding="same", activation="relu", name="conv3")(x)
    x = layers.Conv2D(96, 3, padding="same", activation="relu", name="conv4")(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu", name="conv5")(x)
    x = layers.MaxPooling2D(2, name="pool5")(x)  # 4x4
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(0.5, name="drop6")(x)
    x = layers.Dense(256, activation="relu", name="fc6")(x)
    x = layers.Dropout(0.5, name="drop7")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name="alexnet_mini")


def vgg_mini(input_shape: Shape = (64, 64, 3), num_classes: int = 10) -> keras.Model:
    """VGG (Simonyan & Zisserman, 2015): only 3x3 convolutions, doubling the filters after each pooling."""
    inputs = keras.Input(shape=input_shape, name="input")
    x = inputs
    for block, (filters, convs) in enumerate(((16, 1), (24, 2), (48, 2)), start=1):
        for unit in range(1, convs + 1):
            x = layers.Conv2D(filters, 3, padding="same", name=f"block{block}_conv{unit}")(x)
            x = _bn_relu(x, f"block{block}_conv{unit}")
        x = layers.MaxPooling2D(2, name=f"block{block}_pool")(x)  # 32, 16, 8
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(0.4, name="drop")(x)
    x = layers.Dense(128, activation="relu", name="fc")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name="vgg_mini")


def _basic_block(x, filters: int, stride: int, name: str):
    """ResNet's basic block: two 3x3 convolutions and an identity (or 1x1 projection) shortcut."""
    shortcut = x
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False, name=f"{name}_conv1")(x)
    y = _bn_relu(y, f"{name}_1")
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv2")(y)
    y = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_2_bn")(y)
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False, name=f"{name}_proj")(x)
        shortcut = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_proj_bn")(shortcut)
    y = layers.Add(name=f"{name}_add")([y, shortcut])
    return layers.ReLU(name=f"{name}_out")(y)


def resnet_mini(input_shape: Shape = (64, 64, 3), num_classes: int = 10) -> keras.Model:
    """ResNet (He et al., 2016): residual blocks whose shortcuts let gradients skip layers."""
    inputs = keras.Input(shape=input_shape, name="input")
    x = layers.Conv2D(16, 3, strides=2, padding="same", use_bias=False, name="stem_conv")(inputs)  # 32x32
    x = _bn_relu(x, "stem")
    x = _basic_block(x, 16, 1, "stage1_block1")
    x = _basic_block(x, 16, 1, "stage1_block2")
    x = _basic_block(x, 32, 2, "stage2_block1")  # 16x16
    x = _basic_block(x, 32, 1, "stage2_block2")
    x = _basic_block(x, 64, 2, "stage3_block1")  # 8x8
    return keras.Model(inputs, _head(x, num_classes), name="resnet_mini")


def _fire(x, squeeze: int, expand: int, name: str):
    """SqueezeNet's fire module: squeeze to few channels with 1x1, expand with 1x1 and 3x3 side by side."""
    s = layers.Conv2D(squeeze, 1, activation="relu", name=f"{name}_squeeze")(x)
    e1 = layers.Conv2D(expand, 1, activation="relu", name=f"{name}_expand1x1")(s)
    e3 = layers.Conv2D(expand, 3, padding="same", activation="relu", name=f"{name}_expand3x3")(s)
    return layers.Concatenate(name=f"{name}_concat")([e1, e3])


def squeezenet_mini(input_shape: Shape = (64, 64, 3), num_classes: int = 10) -> keras.Model:
    """SqueezeNet (Iandola et al., 2016): fire modules and a convolutional classifier, no dense layer."""
    inputs = keras.Input(shape=input_shape, name="input")
    x = layers.Conv2D(48, 3, strides=2, padding="same", activation="relu", name="conv1")(inputs)  # 32x32
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool1")(x)  # 16x16
    x = _fire(x, 16, 48, "fire2")
    x = _fire(x, 16, 48, "fire3")
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool3")(x)  # 8x8
    x = _fire(x, 32, 96, "fire4")
    x = _fire(x, 32, 96, "fire5")
    x = layers.Dropout(0.5, name="drop")(x)
    x = layers.Conv2D(num_classes, 1, activation="relu", name="conv_classifier")(x)  # 8x8, one map per class
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = layers.Softmax(name="output")(x)
    return keras.Model(inputs, outputs, name="squeezenet_mini")


def densenet_mini(input_shape: Shape = (64, 64, 3), num_classes: int = 10) -> keras.Model:
    """DenseNet (Huang et al., 2017): each layer reads the maps of every layer before it in its block."""
    growth = 16
    inputs = keras.Input(shape=input_shape, name="input")
    x = layers.Conv2D(32, 3, strides=2, padding="same", use_bias=False, name="stem_conv")(inputs)  # 32x32
    x = _bn_relu(x, "stem")
    x = layers.MaxPooling2D(2, name="stem_pool")(x)  # 16x16
    for block in (1, 2):
        for unit in range(1, 5):
            name = f"block{block}_layer{unit}"
            y = _bn_relu(x, name)
            y = layers.Conv2D(growth, 3, padding="same", use_bias=False, name=f"{name}_conv")(y)
            x = layers.Concatenate(name=f"{name}_concat")([x, y])
        if block == 1:  # transition: halve the channels and the size
            x = _bn_relu(x, "transition")
            x = layers.Conv2D(int(x.shape[-1]) // 2, 1, use_bias=False, name="transition_conv")(x)
            x = layers.AveragePooling2D(2, name="transition_pool")(x)  # 8x8
    x = _bn_relu(x, "final")
    return keras.Model(inputs, _head(x, num_classes), name="densenet_mini")


def _inverted_residual(x, filters: int, stride: int, expansion: int, name: str):
    """MobileNetV2's block: expand with 1x1, filter each channel alone (depthwise 3x3), project back linearly."""
    channels = int(x.shape[-1])
    y = layers.Conv2D(channels * expansion, 1, use_bias=False, name=f"{name}_expand")(x)
    y = _bn_relu(y, f"{name}_expand")
    y = layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False, name=f"{name}_depthwise")(y)
    y = _bn_relu(y, f"{name}_depthwise")
    y = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_project")(y)
    y = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_project_bn")(y)
    if stride == 1 and channels == filters:
        y = layers.Add(name=f"{name}_add")([x, y])
    return y


def mobilenet_v2_mini(input_shape: Shape = (64, 64, 3), num_classes: int = 10) -> keras.Model:
    """MobileNetV2 (Sandler et al., 2018): inverted residuals of depthwise-separable convolutions."""
    inputs = keras.Input(shape=input_shape, name="input")
    x = layers.Conv2D(24, 3, strides=2, padding="same", use_bias=False, name="stem_conv")(inputs)  # 32x32
    x = _bn_relu(x, "stem")
    for index, (filters, stride) in enumerate(((24, 1), (32, 2), (32, 1), (64, 2), (64, 1), (96, 1)), start=1):
        x = _inverted_residual(x, filters, stride, expansion=3, name=f"block{index}")  # 32, 16, 16, 8, 8, 8
    x = layers.Conv2D(256, 1, use_bias=False, name="last_conv")(x)
    x = _bn_relu(x, "last")
    return keras.Model(inputs, _head(x, num_classes), name="mobilenet_v2_mini")


def _channel_shuffle(x, groups: int, name: str):
    """Interleave the channels of ``groups`` groups, so information crosses between branches."""
    height, width, channels = (int(d) for d in x.shape[1:])
    x = layers.Reshape((height, width, groups, channels // groups), name=f"{name}_group")(x)
    x = layers.Permute((1, 2, 4, 3), name=f"{name}_swap")(x)
    return layers.Reshape((height, width, channels), name=f"{name}_shuffle")(x)


def _grouped_pointwise(x, filters: int, groups: int, name: str):
    """A 1x1 convolution in ``groups`` independent groups, as one EinsumDense.

    Keras's ``Conv2D(groups=...)`` is about 30 times slower on a CPU; the einsum
    computes the same products with built-in, saveable layers.
    """
    height, width, channels = (int(d) for d in x.shape[1:])
    x = layers.Reshape((height, width, groups, channels // groups), name=f"{name}_groups")(x)
    x = layers.EinsumDense(
        "bhwgc,gcd->bhwgd", output_shape=(height, width, groups, filters // groups), name=name
    )(x)
    return layers.Reshape((height, width, filters), name=f"{name}_merge")(x)


def _shuffle_unit(x, filters: int, stride: int, groups: int, name: str):
    """ShuffleNet's unit: grouped 1x1 convolutions around a depthwise 3x3, with a channel shuffle between."""
    channels = int(x.shape[-1])
    out = filters if stride == 1 else filters - channels  # a strided unit concatenates its pooled input
    y = _grouped_pointwise(x, filters // 4, groups, f"{name}_gconv1")
    y = _bn_relu(y, f"{name}_gconv1")
    y = _channel_shuffle(y, groups, name)
    y = layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False, name=f"{name}_depthwise")(y)
    y = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_depthwise_bn")(y)
    y = _grouped_pointwise(y, out, groups, f"{name}_gconv2")
    y = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_gconv2_bn")(y)
    if stride == 1:
        y = layers.Add(name=f"{name}_add")([x, y])
    else:
        side = layers.AveragePooling2D(3, strides=stride, padding="same", name=f"{name}_side_pool")(x)
        y = layers.Concatenate(name=f"{name}_concat")([side, y])
    return layers.ReLU(name=f"{name}_out")(y)


def shufflenet_mini(input_shape: Shape = (64, 64, 3), num_classes: int = 10) -> keras.Model:
    """ShuffleNet (Zhang et al., 2018): grouped 1x1 convolutions made to talk by shuffling channels."""
    inputs = keras.Input(shape=input_shape, name="input")
    x = layers.Conv2D(24, 3, strides=2, padding="same", use_bias=False, name="stem_conv")(inputs)  # 32x32
    x = _bn_relu(x, "stem")
    for stage, (filters, units) in enumerate(((96, 3), (192, 4)), start=2):
        for unit in range(1, units + 1):
            x = _shuffle_unit(x, filters, 2 if unit == 1 else 1, 4, f"stage{stage}_unit{unit}")  # 16x16, then 8x8
    return keras.Model(inputs, _head(x, num_classes), name="shufflenet_mini")


ZOO: dict[str, ZooEntry] = {
    entry.name: entry
    for entry in (
        ZooEntry("tiny_vgg", "Tiny VGG", tiny_vgg, "the book's network, as the zoo trains it"),
        ZooEntry("tiny_vgg_wide", "Tiny VGG", tiny_vgg_wide, "does Tiny VGG lack filters?"),
        ZooEntry("tiny_vgg_deep", "Tiny VGG", tiny_vgg_deep, "does it lack depth (a wider view)?"),
        ZooEntry("tiny_vgg_bn", "Tiny VGG", tiny_vgg_bn, "what batch normalisation buys"),
        ZooEntry("tiny_vgg_avgpool", "Tiny VGG", tiny_vgg_avgpool, "why max pooling, not the mean"),
        ZooEntry("tiny_vgg_linear", "Tiny VGG", tiny_vgg_linear, "why the ReLU"),
        ZooEntry("alexnet_mini", "AlexNet", alexnet_mini, "the 2012 design: big kernels, dense layers"),
        ZooEntry("vgg_mini", "VGG", vgg_mini, "only 3x3 convolutions, deeper"),
        ZooEntry("resnet_mini", "ResNet", resnet_mini, "shortcuts around every pair of layers"),
        ZooEntry("squeezenet_mini", "SqueezeNet", squeezenet_mini, "few parameters, no dense layer"),
        ZooEntry("densenet_mini", "DenseNet", densenet_mini, "every layer sees all earlier ones"),
        ZooEntry("mobilenet_v2_mini", "MobileNet", mobilenet_v2_mini, "depthwise convolutions for phones"),
        ZooEntry("shufflenet_mini", "ShuffleNet", shufflenet_mini, "grouped convolutions, shuffled"),
    )
}


def trained_members() -> list[ZooEntry]:
    """The members whose weights are on disk, in the zoo's order."""
    return [entry for entry in ZOO.values() if entry.path.exists()]


def multiply_adds(model: keras.Model) -> int:
    """Multiply-adds per image of the convolutions and dense layers (the rest costs comparatively nothing).

    Written here because no maintained library counts them for Keras 3 models.
    """
    total = 0
    for layer in model.layers:
        if isinstance(layer, (layers.Conv2D, layers.DepthwiseConv2D)):
            height, width, out_channels = (int(d) for d in layer.output.shape[1:])
            kernel_h, kernel_w = layer.kernel_size
            in_channels = int(layer.input.shape[-1])
            if isinstance(layer, layers.DepthwiseConv2D):
                per_output = kernel_h * kernel_w
            else:
                per_output = kernel_h * kernel_w * in_channels // layer.groups
            total += height * width * out_channels * per_output
        elif isinstance(layer, layers.EinsumDense):  # the grouped 1x1 convolutions: kernel once per pixel
            height, width = (int(d) for d in layer.output.shape[1:3])
            total += height * width * math.prod(int(d) for d in layer.kernel.shape)
        elif isinstance(layer, layers.Dense):
            total += int(layer.input.shape[-1]) * layer.units
    return total
