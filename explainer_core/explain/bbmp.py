"""BBMP, the meaningful perturbation of Fong & Vedaldi (2017, "Interpretable explanations of black boxes by
meaningful perturbation", ICCV, Sect. 4).

A mask m (1 keeps a pixel, 0 replaces it by a blurred copy) is optimised to delete as little as possible
while making the class probability drop:

    min_m  lambda_1 mean|1 - m| + lambda_2 TV_beta(m) + p_c(x o Up(m) + blur(x) o (1 - Up(m)) + noise)

with TV_beta(m) = mean |m_i - m_i+1|^beta over rows plus the same over columns. The map is 1 - m: high
where deleting the pixels destroys the class.

The settings are VAC-CNN's: a mask of 1/8 of the input side, Adam with learning rate 0.1 for 300 steps,
lambda_1 = 0.01, lambda_2 = 0.2, beta = 3, a blurred and noisy copy. What they leave open follows the
PyTorch code whose settings these are (jacobgil/pytorch-explain-black-box): an all-ones start, PyTorch's
Adam (betas 0.9 and 0.999, epsilon 1e-8), the mask clipped to [0, 1] after each step, fresh Gaussian
noise at each step. Where we differ: the blur is the paper's Gaussian (sigma 10 pixels at 224, scaled to the
input) rather than that code's 11-pixel median; its noise is named std 0.2 on ImageNet-normalised pixels
(about 0.045 on our [0, 1] pixels, which we use), though adding the array to itself doubles it there;
the mask is upsampled with cells at their centres, like every map here, not corner-aligned; and the
noise comes from a fixed seed, so the same picture gives the same map. BBMP perturbs the input, so it
has no target layer: ``layer`` is ignored.

    >>> maps = explain("bbmp", model, images)
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from .base import Explainer, pick, upsample


def gaussian_blur(images, sigma: float):
    """Each channel blurred by a Gaussian of ``sigma`` pixels, edges reflected."""
    radius = max(1, math.ceil(3 * sigma))
    line = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    kernel = np.outer(line, line) / line.sum() ** 2
    channels = images.shape[-1]
    kernel = tf.constant(np.tile(kernel[:, :, None, None], (1, 1, channels, 1)), tf.float32)
    padded = tf.pad(images, [[0, 0], [radius, radius], [radius, radius], [0, 0]], mode="REFLECT")
    return tf.nn.depthwise_conv2d(padded, kernel, strides=(1, 1, 1, 1), padding="VALID")


def total_variation(masks, beta: float):
    """TV_beta of each (h, w, 1) mask: mean |difference|^beta down the rows plus across the columns."""
    rows = tf.reduce_mean(tf.abs(masks[:, 1:] - masks[:, :-1]) ** beta, axis=(1, 2, 3))
    columns = tf.reduce_mean(tf.abs(masks[:, :, 1:] - masks[:, :, :-1]) ** beta, axis=(1, 2, 3))
    return rows + columns


class BBMP(Explainer):
    name = "bbmp"
    needs_layer = False
    learning_rate, l1_weight, tv_weight, tv_beta, noise_std = 0.1, 0.01, 0.2, 3.0, 0.045

    def __init__(self, model, layer=None, steps: int = 300, seed: int = 0):
        super().__init__(model, layer)
        self.steps, self.seed = steps, seed

    def layer_maps(self, images, targets):
        height, width, _ = self.input_shape
        blurred = gaussian_blur(images, sigma=10 * height / 224)
        mask = tf.ones((tf.shape(images)[0], math.ceil(height / 8), math.ceil(width / 8), 1))

        def loss(mask, step):
            kept = upsample(mask, (height, width))
            noise = self.noise_std * tf.random.stateless_normal(self.input_shape, seed=tf.stack([self.seed, step]))
            probability = pick(self.probe.probabilities(images * kept + blurred * (1 - kept) + noise), targets)
            area = tf.reduce_mean(tf.abs(1 - mask), axis=(1, 2, 3))
            roughness = total_variation(mask, self.tv_beta)
            return tf.reduce_sum(self.l1_weight * area + self.tv_weight * roughness + probability)

        first, second = tf.zeros_like(mask), tf.zeros_like(mask)
        for step in tf.range(1, self.steps + 1):
            with tf.GradientTape() as tape:
                tape.watch(mask)
                value = loss(mask, step)
            mask, first, second = adam(mask, tape.gradient(value, mask), first, second, step, self.learning_rate)
            mask = tf.clip_by_value(mask, 0.0, 1.0)
        return 1.0 - mask[..., 0]


def adam(value, gradient, first, second, step, learning_rate, beta1=0.9, beta2=0.999, epsilon=1e-8):
    """One step of Adam (Kingma & Ba, 2015) as PyTorch writes it: (new value, first moment, second moment)."""
    first = beta1 * first + (1 - beta1) * gradient
    second = beta2 * second + (1 - beta2) * gradient**2
    step = tf.cast(step, tf.float32)
    corrected = (first / (1 - beta1**step)) / (tf.sqrt(second / (1 - beta2**step)) + epsilon)
    return value - learning_rate * corrected, first, second
