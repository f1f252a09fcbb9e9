"""Keras as the reference for the views' tests: every layer's output for one image.

Shared by the view tests (test_views_conv, test_views_formulas, test_views_output);
their fixtures ``shipped`` and ``traced`` live in tests/conftest.py.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from explainer_core.data.preprocess import prepare_image

ATOL = 1e-5


# -- Keras, the reference ----------------------------------------------------------
class KerasReference:
    """What Keras computes for one image: every layer's output, and each layer's input."""

    def __init__(self, model: keras.Model, image: np.ndarray):
        self.model = model
        self.image = image
        probe = keras.Model(inputs=model.inputs, outputs=[layer.output for layer in model.layers])
        outputs = probe(tf.convert_to_tensor(image[None]), training=False)
        layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
        outputs = outputs[-len(layers) :]
        self.outputs = {layer.name: np.asarray(out)[0] for layer, out in zip(layers, outputs, strict=True)}
        self.layers = {layer.name: layer for layer in layers}
        self.order = [layer.name for layer in layers]

    def input_of(self, name: str) -> np.ndarray:
        index = self.order.index(name)
        return self.image if index == 0 else self.outputs[self.order[index - 1]]

    def conv_parts(self, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(kernel, bias, linear output) of Conv2D ``name``, the output before any fused activation."""
        layer = self.layers[name]
        weights = layer.get_weights()
        kernel = weights[0]
        bias = weights[1] if layer.use_bias else np.zeros(kernel.shape[-1], np.float32)
        linear = tf.nn.conv2d(self.input_of(name)[None], kernel, [1, *layer.strides, 1], layer.padding.upper())
        linear = linear[0].numpy() + bias
        if layer.get_config()["activation"] == "linear":  # then Keras's own output is the reference
            np.testing.assert_allclose(linear, self.outputs[name], atol=ATOL, rtol=0)
            linear = self.outputs[name]
        else:  # a fused activation: Keras's output is the ReLU of it
            np.testing.assert_allclose(np.maximum(linear, 0), self.outputs[name], atol=ATOL, rtol=0)
        return kernel, bias, linear

    def single_channel(self, name: str, channel: int, neuron: int) -> np.ndarray:
        """Input channel ``channel`` of Conv2D ``name`` convolved with neuron ``neuron``'s slice, no bias."""
        layer = self.layers[name]
        kernel = layer.get_weights()[0][:, :, channel : channel + 1, neuron : neuron + 1]
        x = self.input_of(name)[None, :, :, channel : channel + 1]
        return tf.nn.conv2d(x, kernel, [1, *layer.strides, 1], layer.padding.upper())[0, :, :, 0].numpy()


def fitted(photo: np.ndarray, shape) -> np.ndarray:
    return prepare_image(photo, size=tuple(shape[:2]))
