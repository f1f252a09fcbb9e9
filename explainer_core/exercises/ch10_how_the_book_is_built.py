"""Exercises of "How the book is built" (book/10_how_the_book_is_built.md)."""

from __future__ import annotations

import json
from functools import cache

from . import Exercise


def _table_bundles():
    from bokeh.models import ColumnDataSource, DataTable, TableColumn

    from ..page.embed import required_bundles

    table = DataTable(source=ColumnDataSource({"class": ["koala"]}), columns=[TableColumn(field="class")])
    return list(required_bundles(table))


def _core_only(given, right):
    if isinstance(given, (list, tuple)) and len(given) < len(right):
        return "A table is a widget too: Bokeh ships widgets and tables apart from its core."


def _load_order(given, right):
    if isinstance(given, (list, tuple)) and sorted(given) == sorted(right) and list(given) != list(right):
        return "The right files, in the wrong order: the core comes first, and each bundle after the ones it builds on."


@cache
def _payload_weights() -> tuple[int, int]:
    """The shipped network's number of weights and the length of their base64 text in the page."""
    from ..page.examples import shipped_network
    from ..page.webmodel import network_payload

    payload = network_payload(shipped_network())
    return payload["weight_count"], len(payload["weights"])


def _base64_length():
    return _payload_weights()[1]


def _bytes_not_text(given, right):
    count = _payload_weights()[0]
    if given == count:
        return "That counts the numbers; each float32 takes several bytes."
    if given == 4 * count:
        return "That is the raw bytes; base64 writes more characters than the bytes it encodes."


@cache
def _card() -> dict:
    from ..models.loading import card_path
    from ..models.zoo import ZOO

    return json.loads(card_path(ZOO["tiny_vgg"].path).read_text())


def _epochs_after_best():
    hyper = _card()["hyperparameters"]
    return hyper["epochs_run"] - hyper["best_epoch"]


def _one_epoch(given, right):
    hyper = _card()["hyperparameters"]
    if given in (hyper["epochs_run"], hyper["best_epoch"]):
        return "That is one of the two epochs the card records; the question asks for the gap between them."


def _reference_twins():
    from ..twins import TWINS

    return sum(entry.reference for entry in TWINS.values())


def _counted_the_others(given, right):
    from ..twins import TWINS

    if given == len(TWINS) - right and given != right:
        return "That counts the twins whose Python side is the package's own; the question asks for the others."
    if given == len(TWINS):
        return "Not every twin: read each entry's reference field."


EXERCISES = (
    Exercise(
        "10.1",
        "The BokehJS files a page needs for a DataTable, in load order",
        _table_bundles,
        hints=(_core_only, _load_order),
    ),
    Exercise(
        "10.2",
        "The length, in characters, of the base64 text that carries the shipped network's weights to the page",
        _base64_length,
        hints=(_bytes_not_text,),
    ),
    Exercise(
        "10.3",
        "How many epochs the shipped Tiny VGG trained after the epoch whose weights were kept",
        _epochs_after_best,
        hints=(_one_epoch,),
    ),
    Exercise(
        "10.4",
        "How many of the twins in explainer_core.twins.TWINS have a Python side that is only the tests' reference",
        _reference_twins,
        hints=(_counted_the_others,),
    ),
)
