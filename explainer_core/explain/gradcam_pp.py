"""Grad-CAM++ (Chattopadhay et al., 2018, "Grad-CAM++: Generalized gradient-based visual explanations for deep
convolutional networks", WACV, Sect. 3).

With the class score taken as Y^c = exp(S^c) (S^c the logit) and a piecewise-linear network, the higher
derivatives are powers of the gradient g = dS^c/dA^k: d^n Y^c / (dA^k)^n = exp(S^c) g^n. Then

    alpha^k_ij = g_ij^2 / (2 g_ij^2 + sum_ab A^k_ab g_ij^3),
    w_k = sum_ij alpha^k_ij ReLU(g_ij),        L = ReLU(sum_k w_k A^k)

As tf-keras-vis does, each channel's alphas are divided by their sum over positions (the authors' code
sums them only where the gradient is positive; the paper's equations do not divide), and an alpha whose
denominator is zero is zero. The factor exp(S^c), common to every weight of an image, is left out: it
cancels in the min-max normalisation and would overflow for logits above about 88.

    >>> maps = explain("gradcam++", model, images)
"""

from __future__ import annotations

import tensorflow as tf

from .base import Explainer


def plusplus_weights(activations, first, second, third):
    """Grad-CAM++ channel weights (N, K) from the maps and the first three derivatives of the score."""
    spatial_sum = tf.reduce_sum(activations, axis=(1, 2), keepdims=True)
    alphas = tf.math.divide_no_nan(second, 2.0 * second + spatial_sum * third)
    alphas = tf.math.divide_no_nan(alphas, tf.reduce_sum(alphas, axis=(1, 2), keepdims=True))
    return tf.reduce_sum(alphas * tf.nn.relu(first), axis=(1, 2))


class GradCAMPlusPlus(Explainer):
    name = "gradcam++"

    def derivatives(self, images, targets):
        """(activations, and the first three derivatives of the score with respect to them)."""
        activations, _, gradients = self.probe.gradients(images, targets)
        return activations, gradients, gradients**2, gradients**3

    def channel_weights(self, images, targets):
        activations, *derivatives = self.derivatives(images, targets)
        return activations, plusplus_weights(activations, *derivatives)
