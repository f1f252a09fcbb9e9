"""Smooth Grad-CAM++ (Omeiza et al., 2019, "Smooth Grad-CAM++: An enhanced inference level visualization
technique for deep convolutional neural network models", arXiv:1908.01224, Sect. 3).

Grad-CAM++ (see :mod:`.gradcam_pp`) with each derivative averaged, as in SmoothGrad (Smilkov et al., 2017),
over n noisy copies x + N(0, sigma^2) of the image, sigma = noise level x (max x - min x):

    D^p_ij = 1/n sum_m exp(S^c(x_m)) g_ij(x_m)^p        (p = 1, 2, 3)
    alpha^k_ij = D^2_ij / (2 D^2_ij + sum_ab A^k_ab D^3_ij),    w_k = sum_ij alpha^k_ij ReLU(D^1_ij)

A^k are the maps of the image itself; exp(S^c) is taken relative to its largest value over the copies,
a factor common to all weights of an image. Defaults: 25 copies, as in VAC-CNN's code, and a noise
level of 0.15, within SmoothGrad's recommended 10-20 % and the default of the widely used
yiskw713/SmoothGradCAMplusplus. Where we differ from that code: it draws the noise with
sigma = level / (max x - min x), dividing by the input's range where SmoothGrad multiplies (as VAC-CNN's
code does), and it averages 25 normalised Grad-CAM++ maps, for the class its first noisy copy predicts,
where the paper averages the derivatives, for the image's class. We follow the paper. The alphas are
normalised per channel as in :mod:`.gradcam_pp`, so that without noise the two methods agree.
The noise patterns are drawn once per explainer from a fixed seed, so a map does not change from call
to call.

    >>> maps = explain("smoothgrad-cam++", model, images)
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from .gradcam_pp import GradCAMPlusPlus


class SmoothGradCAMPlusPlus(GradCAMPlusPlus):
    name = "smoothgrad-cam++"

    def __init__(self, model, layer=None, samples: int = 25, noise_level: float = 0.15, seed: int = 0):
        super().__init__(model, layer)
        self.noise_level = noise_level
        #: One standard-normal pattern per copy, shared by every image (scaled by its own range).
        self.noise = np.random.default_rng(seed).standard_normal((samples, *self.input_shape)).astype(np.float32)

    def copies_per_image(self) -> int:
        return len(self.noise)

    def derivatives(self, images, targets):
        samples = len(self.noise)
        spread = tf.reduce_max(images, axis=(1, 2, 3)) - tf.reduce_min(images, axis=(1, 2, 3))
        sigma = self.noise_level * spread[:, None, None, None, None]
        noisy = tf.reshape(images[:, None] + sigma * self.noise, (-1, *self.input_shape))
        _, scores, gradients = self.probe.gradients(noisy, tf.repeat(targets, samples))
        gradients = tf.reshape(gradients, (-1, samples, *gradients.shape[1:]))
        scores = tf.reshape(scores, (-1, samples))
        weights = tf.exp(scores - tf.reduce_max(scores, axis=1, keepdims=True))[:, :, None, None, None]
        first, second, third = (tf.reduce_mean(weights * gradients**p, axis=1) for p in (1, 2, 3))
        return self.probe.activations(images), first, second, third
