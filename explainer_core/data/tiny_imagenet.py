"""Tiny ImageNet in its official layout, from a folder or straight from a zip.

Where the data lives is decided in one place, :func:`locate_dataset`: an
explicit path, else ``$CNN_EXPLAINER_DATA``, else the user cache folder (where
:func:`explainer_core.data.download.fetch_dataset` can put the official archive).
"""

from __future__ import annotations

import hashlib
import os
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from ..errors import DatasetError, ImageError
from .preprocess import fit_rgb

#: The ten classes CNN Explainer's Tiny VGG predicts, in its output order
#: (CNN Explainer paper, Sect. 6.7), as (WordNet id, short name).
PAPER_CLASSES: tuple[tuple[str, str], ...] = (
    ("n03662601", "lifeboat"),
    ("n02165456", "ladybug"),
    ("n07873807", "pizza"),
    ("n07720875", "bell pepper"),
    ("n04146614", "school bus"),
    ("n01882714", "koala"),
    ("n07920052", "espresso"),
    ("n02509815", "red panda"),
    ("n07747607", "orange"),
    ("n04285008", "sport car"),
)
PAPER_WNIDS = tuple(wnid for wnid, _ in PAPER_CLASSES)
PAPER_CLASS_NAMES = tuple(name for _, name in PAPER_CLASSES)

ENV_VAR = "CNN_EXPLAINER_DATA"
OFFICIAL_ARCHIVE = "tiny-imagenet-200.zip"


def cache_dir() -> Path:
    """The user cache folder: ``$XDG_CACHE_HOME/cnn-explainer``, else ``~/.cache/cnn-explainer``.

    A relative ``$XDG_CACHE_HOME`` is ignored (as the XDG spec asks), so the
    cache does not move with the working directory.
    """
    base = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(base) if os.path.isabs(base) else Path.home() / ".cache") / "cnn-explainer"


def locate_dataset(path: str | os.PathLike | None = None) -> Path:
    """Where the data set is: ``path``, else ``$CNN_EXPLAINER_DATA``, else the cache.

    An empty string counts as not given, for both. A path that is given but
    missing is an error, not a reason to fall back: the user asked for it.
    Raises :class:`DatasetError` saying what to do when nothing is found.
    """
    if path is None or (isinstance(path, str) and not path.strip()):
        path = os.environ.get(ENV_VAR, "").strip() or None
        origin = f"${ENV_VAR}"
    else:
        origin = "the path given"
    if path is not None:
        candidate = Path(path).expanduser()
        if not candidate.exists():
            raise DatasetError(
                f"The Tiny ImageNet data named by {origin} does not exist: {candidate.absolute()}. "
                "Point it at a folder or zip in the official layout (such as tiny-imagenet-200.zip), "
                "or run `python -m explainer_core.data.download` to fetch the official archive."
            )
        return candidate
    for candidate in (cache_dir() / OFFICIAL_ARCHIVE, cache_dir() / "tiny-imagenet-200"):
        if candidate.exists():
            return candidate
    raise DatasetError(
        "No Tiny ImageNet data was found. Set the environment variable "
        f"{ENV_VAR} to a folder or zip in the official layout, or run "
        "`python -m explainer_core.data.download` to fetch the official archive "
        f"into {cache_dir()}."
    )


@dataclass(frozen=True)
class Split:
    """Images of one split as uint8 (N, H, W, 3), labels as class indices, and file names."""

    images: np.ndarray
    labels: np.ndarray
    files: tuple[str, ...]


class TinyImageNet:
    """Read-only view of a Tiny ImageNet folder or zip in the official layout.

    ``classes`` chooses the subset and its order (WordNet ids). The default is
    :data:`PAPER_WNIDS`, and data missing any of them is refused, naming what
    is missing: falling back to the classes that are there would train a
    smaller model without a word. To use other classes, name them.
    """

    def __init__(self, path: str | os.PathLike | None = None, classes: tuple[str, ...] | None = None):
        self.path = locate_dataset(path)
        if self.path.is_dir():
            self._zip = None
            # The root or up to two folders down (the official zip extracted into
            # a folder of its own name): never a walk of a whole home folder.
            found = [self.path / "wnids.txt", *self.path.glob("*/wnids.txt"), *self.path.glob("*/*/wnids.txt")]
            names = [p.relative_to(self.path).as_posix() for p in found if p.is_file()]
        else:
            try:
                self._zip = zipfile.ZipFile(self.path)
            except (zipfile.BadZipFile, OSError) as exc:
                raise DatasetError(f"{self.path} is not a readable zip archive ({exc}).") from exc
            names = [n for n in self._zip.namelist() if PurePosixPath(n).name == "wnids.txt"]
        if not names:
            raise DatasetError(f"{self.path} holds no wnids.txt: it is not in the Tiny ImageNet layout.")
        self._root = PurePosixPath(min(names, key=len)).parent
        self.all_wnids = tuple(self._read_text("wnids.txt").split())
        self.words = dict(
            line.split("\t", 1) for line in self._read_text("words.txt").splitlines() if "\t" in line
        )
        if classes is None:
            absent = [wnid for wnid in PAPER_WNIDS if wnid not in self.all_wnids]
            if absent:
                raise DatasetError(
                    f"{self.path} lacks {len(absent)} of the paper's {len(PAPER_WNIDS)} classes: "
                    f"{', '.join(f'{wnid} ({self.class_name(wnid)})' for wnid in absent)}. "
                    "Use the full Tiny ImageNet data, or name the classes you want with "
                    "TinyImageNet(path, classes=(...))."
                )
            classes = PAPER_WNIDS
        classes = (classes,) if isinstance(classes, str) else tuple(classes)
        if not classes:
            raise DatasetError("Choose at least one class.")
        repeated = sorted({c for c in classes if classes.count(c) > 1})
        if repeated:
            raise DatasetError(f"Each class may be chosen once; repeated: {', '.join(repeated)}")
        missing = [c for c in classes if c not in self.all_wnids]
        if missing:
            raise DatasetError(f"These classes are not in {self.path}: {', '.join(missing)}")
        self.wnids = tuple(classes)

    # -- raw access -------------------------------------------------------
    def _member(self, relative: str) -> str:
        return str(self._root / relative) if str(self._root) != "." else relative

    def read_bytes(self, relative: str) -> bytes:
        """The bytes of one file, named relative to the data set's root."""
        member = self._member(relative)
        try:
            if self._zip is not None:
                return self._zip.read(member)
            return (self.path / member).read_bytes()
        except (KeyError, FileNotFoundError, IsADirectoryError) as exc:
            raise DatasetError(f"{relative} is missing from {self.path}.") from exc
        except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
            raise DatasetError(
                f"{relative} in {self.path} cannot be read ({exc}); "
                "if it is damaged, fetch or extract the data set again."
            ) from exc

    def _read_text(self, relative: str) -> str:
        try:
            return self.read_bytes(relative).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DatasetError(f"{relative} in {self.path} is not UTF-8 text ({exc}).") from exc

    def _list(self, folder: str) -> list[str]:
        prefix = self._member(folder).rstrip("/") + "/"
        if self._zip is not None:
            names = [n[len(prefix):] for n in self._zip.namelist() if n.startswith(prefix)]
            names = [n for n in names if n and "/" not in n]
        else:
            directory = self.path / prefix
            names = [p.name for p in directory.iterdir() if p.is_file()] if directory.is_dir() else []
        # Hidden files (.DS_Store, ._name from macOS) are never images of the set.
        return sorted(n for n in names if not n.startswith("."))

    # -- the splits -------------------------------------------------------
    def class_name(self, wnid: str) -> str:
        """Short name: the paper's for its ten classes, else the first WordNet synonym."""
        return dict(PAPER_CLASSES).get(wnid) or self.words.get(wnid, wnid).split(",")[0].strip()

    @property
    def class_names(self) -> tuple[str, ...]:
        return tuple(self.class_name(w) for w in self.wnids)

    def train_files(self) -> list[tuple[str, int]]:
        """(relative path, label) of every training image of the chosen classes."""
        files = []
        for label, wnid in enumerate(self.wnids):
            names = self._list(f"train/{wnid}/images")
            if not names:
                raise DatasetError(f"No training images for {wnid} in {self.path}.")
            files += [(f"train/{wnid}/images/{n}", label) for n in names]
        return files

    def val_files(self) -> list[tuple[str, int]]:
        """(relative path, label) of every validation image of the chosen classes."""
        index = {wnid: i for i, wnid in enumerate(self.wnids)}
        files = []
        for line in self._read_text("val/val_annotations.txt").splitlines():
            parts = line.split("\t")
            if len(parts) >= 2 and parts[1] in index:
                files.append((f"val/images/{parts[0]}", index[parts[1]]))
        seen = {label for _, label in files}
        empty = [wnid for wnid in self.wnids if index[wnid] not in seen]
        if empty:
            raise DatasetError(f"No validation images for {', '.join(empty)} in {self.path}.")
        return files

    def gallery_files(self, per_class: int = 2) -> list[tuple[str, int]]:
        """The book's gallery: the first ``per_class`` validation images of each class, in class order.

        One rule for every page and file that shows "the gallery" (the picker, the
        precomputed explanations), so they always mean the same photos.
        """
        taken: dict[int, int] = {}
        chosen = []
        for name, label in self.val_files():
            if taken.get(label, 0) < per_class:
                taken[label] = taken.get(label, 0) + 1
                chosen.append((name, label))
        return sorted(chosen, key=lambda item: item[1])

    def load(self, split: str, size: tuple[int, int] = (64, 64), limit_per_class: int | None = None) -> Split:
        """Decode a split ("train" or "val") into memory, preprocessed to ``size``."""
        if split not in ("train", "val"):
            raise ValueError(f"split must be 'train' or 'val', not {split!r}")
        files = self.train_files() if split == "train" else self.val_files()
        if limit_per_class is not None:
            counts: dict[int, int] = {}
            kept = []
            for name, label in files:
                if counts.get(label, 0) < limit_per_class:
                    counts[label] = counts.get(label, 0) + 1
                    kept.append((name, label))
            files = kept
        images = np.empty((len(files), *size, 3), dtype=np.uint8)
        for i, (name, _) in enumerate(files):
            try:
                images[i] = fit_rgb(self.read_bytes(name), size)
            except ImageError as exc:
                raise DatasetError(f"{name} in {self.path} is not a readable image: {exc}") from exc
        labels = np.array([label for _, label in files], dtype=np.int64)
        return Split(images, labels, tuple(name for name, _ in files))

    def fingerprint(self) -> str:
        """sha256 of the archive (or of wnids.txt for a folder): names the data a model saw."""
        digest = hashlib.sha256()
        if self._zip is not None:
            with open(self.path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
        else:
            digest.update(self.read_bytes("wnids.txt"))
            digest.update(self.read_bytes("val/val_annotations.txt"))
        return digest.hexdigest()
