"""Grad-CAM (Selvaraju et al., 2017, "Grad-CAM: Visual explanations from deep networks via gradient-based
localization", ICCV, eqs. 1-2).

Each channel k of the target layer's maps A^k is weighted by the spatial mean of the gradient of the
class score S^c (the pre-softmax logit) with respect to it:

    w_k = 1/Z sum_ij dS^c / dA^k_ij,        L = ReLU(sum_k w_k A^k)

For a network whose last convolution feeds a global average pool and a dense layer, the weights are
the dense layer's weights divided by Z, so Grad-CAM is CAM (Zhou et al., 2016).

    >>> from explainer_core.explain import explain
    >>> maps = explain("gradcam", model, images)          # (N, 64, 64) in [0, 1]
"""

from __future__ import annotations

import tensorflow as tf

from .base import Explainer


class GradCAM(Explainer):
    name = "gradcam"

    def channel_weights(self, images, targets):
        activations, _, gradients = self.probe.gradients(images, targets)
        return activations, tf.reduce_mean(gradients, axis=(1, 2))
