"""Exercises of "Inside Tiny VGG, explained" (book/17_inside_tiny_vgg_explained.md)."""

from __future__ import annotations

import json
from functools import cache

from . import Exercise


@cache
def _zoo() -> tuple[dict, dict, dict]:
    """The precomputed index and arrays, and each member's top-1 validation accuracy from its card."""
    from ..compare import accuracy_overview
    from ..models.loading import card_path
    from ..models.zoo import ZOO
    from ..precompute import load

    index, arrays = load()
    members = index["members"]
    rows = accuracy_overview([json.loads(card_path(ZOO[name].path).read_text()) for name in members])
    return index, arrays, {name: row.top1 for name, row in zip(members, rows, strict=True)}


def _most_accurate():
    top1 = _zoo()[2]
    return max(top1, key=top1.get)


def _own_network(given, right):
    if isinstance(given, str) and given.strip().lower().startswith("tiny_vgg"):
        return "The Tiny VGG variants are small; the zoo's best is one of the larger families."


def _name_not_family(given, right):
    if isinstance(given, str) and given.strip() and given.strip() not in _zoo()[2]:
        return "Answer with the network's zoo name, as the precomputed index lists it in index['members']."


def _field(upto: str) -> tuple[int, int]:
    """Side of the input window one number of layer ``upto`` of Tiny VGG depends on, and the step between them."""
    import keras

    from ..models.zoo import ZOO

    size, jump = 1, 1
    for layer in ZOO["tiny_vgg"].load().keras_model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            size += (layer.kernel_size[0] - 1) * jump
            jump *= layer.strides[0]
        elif isinstance(layer, keras.layers.MaxPooling2D):
            size += (layer.pool_size[0] - 1) * jump
            jump *= layer.strides[0]
        if layer.name == upto:
            return size, jump
    raise ValueError(f"Tiny VGG has no layer {upto!r}.")


@cache
def _cam_field() -> int:
    from ..explain import default_target_layer
    from ..models.zoo import ZOO

    return _field(default_target_layer(ZOO["tiny_vgg"].load().keras_model))[0]


def _after_pooling(given, right):
    if given == _field("max_pool_2")[0] and given != right:
        return "That is the window after the second pooling; the CAM layer comes before it."


def _forgot_step(given, right):
    if isinstance(given, (int, float)) and not isinstance(given, bool) and given < right:
        return "After a pooling, neighbouring numbers are further apart in the input, so each later kernel widens more."


def _gradcam_agreement() -> int:
    from ..compare import similarity_matrix

    index, arrays, _ = _zoo()
    members, method = index["members"], index["methods"].index("gradcam")
    tiny, best = members.index("tiny_vgg"), members.index(_most_accurate())
    maps = arrays["maps"][:, method] / 255.0
    return sum(
        bool(similarity_matrix(maps[:, photo], "l1")[tiny, best] > 0) for photo in range(maps.shape[1])
    )


def _counted_other_side(given, right):
    photos = len(_zoo()[0]["photos"])
    if given == photos - right and given != right:
        return "That counts the photos at or below 0: the question asks for those above it."


EXERCISES = (
    Exercise(
        "17.1",
        "The zoo's most accurate network on the validation photos (its zoo name)",
        _most_accurate,
        hints=(_own_network, _name_not_family),
    ),
    Exercise(
        "17.2",
        "The side, in input pixels, of the window one number of Tiny VGG's CAM layer depends on",
        _cam_field,
        hints=(_after_pooling, _forgot_step),
    ),
    Exercise(
        "17.3",
        "On how many gallery photos the Grad-CAM maps of tiny_vgg and the zoo's best network have a similarity above 0",
        _gradcam_agreement,
        hints=(_counted_other_side,),
    ),
)
