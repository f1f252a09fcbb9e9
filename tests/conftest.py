"""Fixtures shared by the test modules, grouped by area under one header each."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath

import pytest

# ---------------------------------------------------------------------------
# Tiny ImageNet data (used by test_data, test_download, test_train, ...)
# ---------------------------------------------------------------------------

#: The 10-class subset beside the project, as laid out on the development machines and in CI.
SHARED_ZIP = Path(__file__).parents[2] / "shared" / "data" / "tiny-imagenet-10.zip"
NO_DATA = "needs the real Tiny ImageNet photographs, which this machine lacks (set CNN_EXPLAINER_DATA)"


def _shared_zip() -> Path | None:
    """``$CNN_EXPLAINER_DATA`` if it names a zip, else ../shared/data's zip, else None."""
    named = os.environ.get("CNN_EXPLAINER_DATA", "").strip()
    candidates = [Path(named).expanduser().resolve()] if named else []
    for candidate in [*candidates, SHARED_ZIP]:
        if candidate.is_file() and zipfile.is_zipfile(candidate):
            return candidate
    return None


@pytest.fixture(scope="session")
def real_tiny_imagenet_zip() -> Path:
    """The real subset, for the few tests that need its photographs (accuracy, say); else skip."""
    found = _shared_zip()
    if found is None:
        pytest.skip(NO_DATA)
    return found


@pytest.fixture(scope="session")
def tiny_imagenet_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared subset, or on a machine without it a generated stand-in in the same layout.

    Tests of how the data set is read (layout, labels, decoding, downloads, training
    runs) need the layout, not the photographs: see tests/synthetic_data.py.
    """
    found = _shared_zip()
    if found is not None:
        return found
    from .synthetic_data import write_synthetic_tiny_imagenet

    return write_synthetic_tiny_imagenet(tmp_path_factory.mktemp("synthetic-data") / "tiny-imagenet-10.zip")


@pytest.fixture
def isolated_data_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No ``$CNN_EXPLAINER_DATA`` and an empty cache under tmp_path; returns the cache folder.

    Keeps a test from finding (or writing into) the real user cache.
    """
    monkeypatch.delenv("CNN_EXPLAINER_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    return tmp_path / "xdg-cache" / "cnn-explainer"


@pytest.fixture
def make_tiny_imagenet(tiny_imagenet_zip: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Build a small copy of the data set, in the official layout, from a few classes of the shared zip.

    ``make_tiny_imagenet(wnids=None, train_per_class=3, val_per_class=2, as_zip=False)``
    returns the root folder ``.../tiny-imagenet-200`` (or, with ``as_zip``, a
    zip whose entries start with ``tiny-imagenet-200/`` like the official
    archive). Each call gets a fresh folder, so a test may delete or damage
    files in it. Images are copied at test time and never committed.
    """

    def build(
        wnids: Sequence[str] | None = None,
        *,
        train_per_class: int = 3,
        val_per_class: int = 2,
        as_zip: bool = False,
    ) -> Path:
        base = tmp_path_factory.mktemp("tiny-imagenet")
        root = base / "tiny-imagenet-200"
        with zipfile.ZipFile(tiny_imagenet_zip) as source:
            names = source.namelist()
            prefix = str(PurePosixPath(min((n for n in names if n.endswith("wnids.txt")), key=len)).parent)
            prefix = "" if prefix == "." else prefix + "/"

            def copy(relative: str, data: bytes | None = None) -> None:
                target = root / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(source.read(prefix + relative) if data is None else data)

            chosen = list(wnids) if wnids is not None else source.read(prefix + "wnids.txt").decode().split()[:3]
            copy("wnids.txt", "".join(f"{w}\n" for w in chosen).encode())
            copy("words.txt")
            for wnid in chosen:
                images = sorted(n for n in names if n.startswith(f"{prefix}train/{wnid}/images/"))
                for name in images[:train_per_class]:
                    copy(name[len(prefix) :])
            kept, per_class = [], dict.fromkeys(chosen, 0)
            for line in source.read(prefix + "val/val_annotations.txt").decode().splitlines():
                parts = line.split("\t")
                if len(parts) > 1 and parts[1] in per_class and per_class[parts[1]] < val_per_class:
                    per_class[parts[1]] += 1
                    kept.append(line)
                    copy(f"val/images/{parts[0]}")
            copy("val/val_annotations.txt", "".join(f"{line}\n" for line in kept).encode())
        return _zip_tree(root, base / "tiny-imagenet-200.zip") if as_zip else root

    return build


@pytest.fixture
def zip_tree() -> Callable[..., Path]:
    """``zip_tree(root, archive, compression=ZIP_DEFLATED)``: zip a folder under its own name."""
    return _zip_tree


def _zip_tree(root: Path, archive: Path, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    """Zip the folder ``root`` with its own name as the top folder, as the official archive is."""
    with zipfile.ZipFile(archive, "w", compression) as out:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                out.write(path, f"{root.name}/{path.relative_to(root).as_posix()}")
    return archive


# ---------------------------------------------------------------------------
# Forward trace, reference operations and formulas
# (test_trace, test_formulas, test_ops, test_hyperparams, benchmarks/bench_trace)
# ---------------------------------------------------------------------------

TRAINED_TINY_VGG = Path(__file__).parents[1] / "model" / "tiny_vgg.keras"


def seed_weights(model, seed: int = 0):
    """Give every layer fixed random weights: He-scaled kernels and non-zero biases (so bias bugs show)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        kernel = weights[0]
        fan_in = int(np.prod(kernel.shape[:-1]))
        new = [rng.normal(0.0, np.sqrt(2.0 / fan_in), kernel.shape).astype("float32")]
        new += [rng.normal(0.0, 0.1, w.shape).astype("float32") for w in weights[1:]]
        layer.set_weights(new)
    return model


def strided_cnn():
    """Everything Tiny VGG does not do: a non-square input, stride 2, 'same' padding (odd and even kernels),
    a non-square pool with unequal strides, a fused ReLU, an Activation layer, two dense layers, and a
    separate Softmax layer over 7 classes."""
    import keras

    return keras.Sequential(
        [
            keras.Input(shape=(37, 45, 3), name="picture"),
            keras.layers.Conv2D(8, 5, strides=2, padding="same", activation="relu", name="conv_a"),
            keras.layers.MaxPooling2D(3, strides=2, padding="same", name="pool_a"),
            keras.layers.Conv2D(6, (4, 3), strides=(1, 2), padding="same", name="conv_b"),
            keras.layers.Activation("relu", name="act_b"),
            keras.layers.MaxPooling2D((2, 3), strides=(1, 2), name="pool_b"),
            keras.layers.Flatten(name="flat"),
            keras.layers.Dense(12, activation="relu", name="hidden"),
            keras.layers.Dense(7, name="scores"),
            keras.layers.Softmax(name="probs"),
        ],
        name="strided_cnn",
    )


@pytest.fixture(scope="session", params=["tiny_vgg_random", "strided_cnn", "tiny_vgg_trained"])
def cnn_model(request):
    """A Keras CNN to trace: Tiny VGG with seeded weights, another architecture, and the trained
    model/tiny_vgg.keras."""
    import keras

    from explainer_core.models.loading import build_tiny_vgg

    if request.param == "tiny_vgg_random":
        return seed_weights(build_tiny_vgg(), seed=0)
    if request.param == "strided_cnn":
        return seed_weights(strided_cnn(), seed=1)
    if not TRAINED_TINY_VGG.is_file():
        pytest.fail(f"the shipped model {TRAINED_TINY_VGG} is missing")
    return keras.saving.load_model(TRAINED_TINY_VGG, compile=False)


@pytest.fixture(scope="session")
def coffee_uint8():
    """scikit-image's photo of a cup of coffee: a real image that needs no data set."""
    skimage_data = pytest.importorskip("skimage.data")
    return skimage_data.coffee()


@pytest.fixture(scope="session")
def dataset_uint8(tiny_imagenet_zip: Path):
    """Five validation photos from the shared Tiny ImageNet subset, as uint8 arrays (skipped without it)."""
    from explainer_core.data.tiny_imagenet import TinyImageNet

    split = TinyImageNet(tiny_imagenet_zip).load("val", limit_per_class=1)
    return [split.images[i] for i in range(0, len(split.images), 2)][:5]


# ---------------------------------------------------------------------------
# The views' numbers against Keras (test_views_conv, test_views_formulas, test_views_output)
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keras_shipped():
    """The book's own forward pass (default picture, shipped model) and Keras's, side by side."""
    from explainer_core.models.loading import SHIPPED_MODEL, load_model
    from explainer_core.page.examples import default_trace

    from .keras_reference import KerasReference

    if not SHIPPED_MODEL.is_file():
        pytest.fail(f"the shipped model {SHIPPED_MODEL} is missing")
    t = default_trace()
    return t, KerasReference(load_model().keras_model, t.image)


@pytest.fixture(scope="module")
def keras_traced(cnn_model, coffee_uint8):
    """Any test CNN traced on a real photo, with Keras's reference."""
    from explainer_core.arithmetic.network import Network
    from explainer_core.arithmetic.trace import trace

    from .keras_reference import KerasReference, fitted

    network = Network.from_keras(cnn_model)
    image = fitted(coffee_uint8, network.input_shape)
    return trace(network, image), KerasReference(cnn_model, image)


# ---------------------------------------------------------------------------
# The built book in headless Chromium (test_book_pages and the chapter tests)
# The fixtures live in tests/browser.py, which documents them and BOOK_HTML_DIR.
# ---------------------------------------------------------------------------

from .browser import book_html, book_server, browser_page, chromium, require_chromium  # noqa: E402, F401


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test that drives Chromium carries the ``browser`` mark, so ``-m "not browser"`` is the one way out."""
    for item in items:
        if {"chromium", "browser_page"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)


def pytest_collection_finish(session: pytest.Session) -> None:
    require_chromium(session.items)
