"""Score-CAM (Wang et al., 2020, "Score-CAM: Score-weighted visual explanations for convolutional neural
networks", CVPR workshops, Sect. 3).

No gradients: each channel's map A^k, upsampled to the input and min-max normalised to [0, 1], masks the
image, and the channel's weight is the softmax probability of the target class on the masked image:

    H^k = s(Up(A^k)),    w_k = softmax(f(X o H^k))_c,    L = ReLU(sum_k w_k A^k)

As in the authors' code and tf-keras-vis, the paper's baseline score f(X_b) is not subtracted. As in
the authors' code, a constant map (max = min), which shows no place, gets weight 0; tf-keras-vis weights
it by the score of a black picture instead (the same for a dead channel, whose map is all zeros). All
the masked copies of an image go through the model as one batch.

    >>> maps = explain("scorecam", model, images)
"""

from __future__ import annotations

import tensorflow as tf

from .base import Explainer, pick, upsample


class ScoreCAM(Explainer):
    name = "scorecam"

    def copies_per_image(self) -> int:
        return int(self.probe.submodel.outputs[0].shape[-1])

    def channel_weights(self, images, targets):
        activations = self.probe.activations(images)
        masks = upsample(activations, self.input_shape[:2])  # (N, H, W, K)
        low = tf.reduce_min(masks, axis=(1, 2), keepdims=True)
        span = tf.reduce_max(masks, axis=(1, 2), keepdims=True) - low
        masks = tf.math.divide_no_nan(masks - low, span)
        masked = images[:, None] * tf.transpose(masks, (0, 3, 1, 2))[..., None]  # (N, K, H, W, C)
        channels = tf.shape(masks)[-1]
        probabilities = self.probe.probabilities(tf.reshape(masked, (-1, *self.input_shape)))
        scores = tf.reshape(pick(probabilities, tf.repeat(targets, channels)), (-1, channels))
        return activations, tf.where(span[:, 0, 0] > 0, scores, 0.0)
