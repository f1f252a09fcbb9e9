"""Class-discriminative explanations: which pixels made a CNN choose a class (VAC-CNN's five methods).

One call for every method, model and batch:

    >>> from explainer_core.explain import explain, METHODS
    >>> maps = explain("gradcam", model, images, target=None, layer=None)   # (N, H, W) in [0, 1]

``model`` is a ``keras.Model`` or a model from ``load_model``; ``images`` one (H, W, C) picture or a batch,
floats in [0, 1] or uint8; ``target`` None (each image's predicted class), a class index, or one per
image; ``layer`` None (:func:`default_target_layer`) or a layer's name. Each method is a class in its
own module that says only what differs from :class:`Explainer` (base.py); ``explain`` keeps one compiled
explainer per model, method and layer, so calling it again costs only the computation.
"""

from __future__ import annotations

from ..errors import ExplanationError
from .base import Explainer, cached, default_target_layer
from .bbmp import BBMP
from .gradcam import GradCAM
from .gradcam_pp import GradCAMPlusPlus
from .scorecam import ScoreCAM
from .smooth_gradcam_pp import SmoothGradCAMPlusPlus

#: Method name -> class, in VAC-CNN's order of the papers.
METHODS: dict[str, type[Explainer]] = {
    cls.name: cls for cls in (GradCAM, GradCAMPlusPlus, SmoothGradCAMPlusPlus, ScoreCAM, BBMP)
}


def explain(method: str, model, images, target=None, layer: str | None = None, **options):
    """Maps (N, H, W) in [0, 1] of ``method`` for ``model`` on ``images`` (see the module docstring).

    ``options`` go to the method's class (``samples=`` and ``noise_level=`` of Smooth Grad-CAM++, say).
    """
    if method not in METHODS:
        raise ExplanationError(f"Unknown explanation method {method!r}. Choose one of: {', '.join(METHODS)}.")
    return cached(METHODS[method], model, layer, **options)(images, target)


__all__ = [
    "BBMP",
    "METHODS",
    "Explainer",
    "GradCAM",
    "GradCAMPlusPlus",
    "ScoreCAM",
    "SmoothGradCAMPlusPlus",
    "default_target_layer",
    "explain",
]
