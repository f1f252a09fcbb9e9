"""Reading Tiny ImageNet from a zip or a folder, and finding it (explainer_core.data.tiny_imagenet)."""

from __future__ import annotations

import hashlib
import shutil
import struct
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from explainer_core.data.tiny_imagenet import (
    ENV_VAR,
    OFFICIAL_ARCHIVE,
    PAPER_CLASS_NAMES,
    PAPER_CLASSES,
    PAPER_WNIDS,
    TinyImageNet,
    cache_dir,
    locate_dataset,
)
from explainer_core.errors import DatasetError

ORANGE, KOALA, PIZZA = "n07747607", "n01882714", "n07873807"


# -- the shared zip -----------------------------------------------------------
def test_zip_defaults_to_the_paper_classes_in_the_paper_order(tiny_imagenet_zip):
    data = TinyImageNet(tiny_imagenet_zip)
    assert data.wnids == PAPER_WNIDS
    assert data.class_names == PAPER_CLASS_NAMES
    assert PAPER_CLASSES[0] == ("n03662601", "lifeboat") and PAPER_CLASSES[-1] == ("n04285008", "sport car")
    assert set(PAPER_WNIDS) <= set(data.all_wnids)


def test_zip_lists_every_image_with_its_label(tiny_imagenet_zip):
    data = TinyImageNet(tiny_imagenet_zip)
    train = data.train_files()
    counts = Counter(label for _, label in train)
    assert sorted(counts) == list(range(len(PAPER_WNIDS)))
    assert set(counts.values()) == {500}  # as in the official set
    for name, label in train[:: len(train) // 20]:
        assert name.startswith(f"train/{data.wnids[label]}/images/") and name.endswith(".JPEG")
    val = data.val_files()
    val_counts = Counter(label for _, label in val)
    assert sorted(val_counts) == list(range(len(PAPER_WNIDS))) and len(set(val_counts.values())) == 1
    assert all(name.startswith("val/images/val_") for name, _ in val)


def test_zip_loads_real_pictures(tiny_imagenet_zip):
    split = TinyImageNet(tiny_imagenet_zip).load("val", limit_per_class=2)
    assert split.images.shape == (20, 64, 64, 3) and split.images.dtype == np.uint8
    assert sorted(Counter(split.labels.tolist()).items()) == [(label, 2) for label in range(10)]
    assert len(split.files) == 20 and len(set(split.files)) == 20
    assert all(image.std() > 5 for image in split.images)  # photos, not blank arrays
    assert len({image.tobytes() for image in split.images}) == 20


def test_load_resizes_to_the_size_asked_for(tiny_imagenet_zip):
    split = TinyImageNet(tiny_imagenet_zip, classes=(ORANGE,)).load("train", size=(32, 48), limit_per_class=3)
    assert split.images.shape == (3, 32, 48, 3)


def test_load_rejects_an_unknown_split(tiny_imagenet_zip):
    with pytest.raises(ValueError, match="'train' or 'val'"):
        TinyImageNet(tiny_imagenet_zip).load("test")


def test_fingerprint_of_a_zip_is_its_sha256(tiny_imagenet_zip):
    assert TinyImageNet(tiny_imagenet_zip).fingerprint() == hashlib.sha256(tiny_imagenet_zip.read_bytes()).hexdigest()


# -- class subsets ------------------------------------------------------------
def test_a_subset_keeps_the_order_it_was_given_in(tiny_imagenet_zip):
    data = TinyImageNet(tiny_imagenet_zip, classes=[ORANGE, KOALA])
    assert data.wnids == (ORANGE, KOALA)
    assert data.class_names == ("orange", "koala")
    train = data.train_files()
    assert {name.split("/")[1] for name, label in train if label == 0} == {ORANGE}
    assert {name.split("/")[1] for name, label in train if label == 1} == {KOALA}
    assert len(train) == 1000
    split = data.load("val", limit_per_class=3)
    assert sorted(split.labels.tolist()) == [0, 0, 0, 1, 1, 1]


def test_a_single_class_may_be_named_as_a_string(tiny_imagenet_zip):
    assert TinyImageNet(tiny_imagenet_zip, classes=PIZZA).wnids == (PIZZA,)


@pytest.mark.parametrize(
    ("classes", "message"),
    [
        ((ORANGE, "n99999999"), "not in .*n99999999"),
        ((ORANGE, ORANGE), "repeated: n07747607"),
        ((), "at least one class"),
    ],
)
def test_a_bad_class_choice_is_refused(tiny_imagenet_zip, classes, message):
    with pytest.raises(DatasetError, match=message):
        TinyImageNet(tiny_imagenet_zip, classes=classes)


@pytest.mark.parametrize("as_zip", [False, True], ids=["folder", "zip"])
def test_data_missing_a_paper_class_is_refused_unless_the_classes_are_named(make_tiny_imagenet, as_zip):
    nine = [wnid for wnid in PAPER_WNIDS if wnid != "n04285008"]
    path = make_tiny_imagenet(nine, train_per_class=1, val_per_class=1, as_zip=as_zip)
    with pytest.raises(DatasetError) as caught:
        TinyImageNet(path)
    assert str(caught.value) == (
        f"{path} lacks 1 of the paper's 10 classes: n04285008 (sport car). Use the full Tiny ImageNet data, "
        "or name the classes you want with TinyImageNet(path, classes=(...))."
    )
    assert TinyImageNet(path, classes=nine).class_names == tuple(n for n in PAPER_CLASS_NAMES if n != "sport car")


def test_every_missing_paper_class_is_named(make_tiny_imagenet):
    path = make_tiny_imagenet([PIZZA, ORANGE, KOALA], train_per_class=1, val_per_class=1)
    with pytest.raises(DatasetError, match="lacks 7 of the paper's 10 classes: n03662601 \\(lifeboat\\), ") as caught:
        TinyImageNet(path)
    assert all(wnid in str(caught.value) for wnid in set(PAPER_WNIDS) - {PIZZA, ORANGE, KOALA})
    assert not any(wnid in str(caught.value) for wnid in (PIZZA, ORANGE, KOALA))


# -- a folder, and the official zip layout -----------------------------------
@pytest.mark.parametrize("as_zip", [False, True], ids=["folder", "official-zip"])
def test_a_small_copy_reads_the_same_as_the_shared_zip(tiny_imagenet_zip, make_tiny_imagenet, as_zip):
    path = make_tiny_imagenet([PIZZA, ORANGE, KOALA], train_per_class=4, val_per_class=2, as_zip=as_zip)
    if as_zip:
        assert zipfile.ZipFile(path).namelist()[0].startswith("tiny-imagenet-200/")
    small = TinyImageNet(path, classes=(PIZZA, ORANGE, KOALA))
    assert small.wnids == small.all_wnids == (PIZZA, ORANGE, KOALA)
    assert small.class_names == ("pizza", "orange", "koala")
    train = small.load("train")
    assert train.images.shape == (12, 64, 64, 3) and train.labels.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    # The copy holds the first images of each class, so the shared zip gives the same ones.
    full = TinyImageNet(tiny_imagenet_zip, classes=(PIZZA, ORANGE, KOALA)).load("train", limit_per_class=4)
    assert train.files == full.files and np.array_equal(train.images, full.images)
    val = small.load("val")
    assert sorted(val.labels.tolist()) == [0, 0, 1, 1, 2, 2]


def test_a_folder_may_be_named_by_its_parent_or_one_level_higher(make_tiny_imagenet):
    root = make_tiny_imagenet([ORANGE])
    for path in (root, root.parent):
        assert TinyImageNet(path, classes=ORANGE).all_wnids == (ORANGE,)
    nested = root.parent / "downloads" / "tiny-imagenet-200"
    shutil.move(root, nested)
    assert TinyImageNet(nested.parent.parent, classes=ORANGE).all_wnids == (ORANGE,)


def test_hidden_files_in_an_image_folder_are_ignored(make_tiny_imagenet):
    root = make_tiny_imagenet([ORANGE], train_per_class=2)
    (root / "train" / ORANGE / "images" / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    split = TinyImageNet(root, classes=ORANGE).load("train")
    assert len(split.files) == 2 and not any(".DS_Store" in name for name in split.files)


def test_fingerprint_of_a_folder_follows_its_contents(make_tiny_imagenet):
    root = make_tiny_imagenet([ORANGE, KOALA])
    before = TinyImageNet(root, classes=ORANGE).fingerprint()
    assert TinyImageNet(root, classes=ORANGE).fingerprint() == before
    (root / "wnids.txt").write_text(f"{KOALA}\n{ORANGE}\n")
    assert TinyImageNet(root, classes=ORANGE).fingerprint() != before


# -- missing or damaged pieces ------------------------------------------------
def _remove(root: Path, relative: str) -> None:
    target = root / relative
    shutil.rmtree(target) if target.is_dir() else target.unlink()


def _damage(root: Path, relative: str) -> None:
    (root / relative).write_bytes(b"this is not a JPEG")


@pytest.mark.parametrize("layout", ["folder", "zip"])
@pytest.mark.parametrize(
    ("change", "relative", "step", "message"),
    [
        (_remove, "wnids.txt", "open", "holds no wnids.txt"),
        (_remove, "words.txt", "open", "words.txt is missing"),
        (_remove, "val/val_annotations.txt", "val", "val/val_annotations.txt is missing"),
        (_remove, f"train/{ORANGE}/images", "train", f"No training images for {ORANGE}"),
        (_remove, "val/images", "load-val", "val/images/val_.* is missing"),
        (_damage, "val/val_annotations.txt", "val", f"No validation images for {KOALA}, {ORANGE}"),
        (_damage, "wnids.txt", "open", "These classes are not in"),
    ],
    ids=[
        "no-wnids",
        "no-words",
        "no-val-annotations",
        "class-without-images",
        "no-val-images",
        "empty-annotations",
        "garbled-wnids",
    ],
)
def test_a_missing_piece_is_named_in_the_error(
    make_tiny_imagenet, zip_tree, tmp_path, layout, change, relative, step, message
):
    root = make_tiny_imagenet([KOALA, ORANGE])
    change(root, relative)
    path = root if layout == "folder" else zip_tree(root, tmp_path / "data.zip")
    with pytest.raises(DatasetError, match=message):
        data = TinyImageNet(path, classes=(KOALA, ORANGE))
        {"open": lambda: None, "train": data.train_files, "val": data.val_files, "load-val": lambda: data.load("val")}[
            step
        ]()


@pytest.mark.parametrize("layout", ["folder", "zip"])
def test_a_damaged_image_is_reported_with_its_name(make_tiny_imagenet, zip_tree, tmp_path, layout):
    root = make_tiny_imagenet([ORANGE], train_per_class=2)
    broken = sorted((root / "train" / ORANGE / "images").iterdir())[1]
    broken.write_bytes(b"GIF89a-and-then-nothing")
    path = root if layout == "folder" else zip_tree(root, tmp_path / "data.zip")
    with pytest.raises(DatasetError, match=f"{broken.name} in .* is not a readable image"):
        TinyImageNet(path, classes=ORANGE).load("train")


# -- corrupt archives ---------------------------------------------------------
@pytest.mark.parametrize(
    "damage",
    [lambda raw: raw[: len(raw) // 2], lambda raw: b"", lambda raw: b"PK\x03\x04" + bytes(2000)],
    ids=["truncated", "empty", "garbage"],
)
def test_a_corrupt_zip_is_a_dataset_error(tiny_imagenet_zip, tmp_path, damage):
    broken = tmp_path / "tiny-imagenet-10.zip"
    broken.write_bytes(damage(tiny_imagenet_zip.read_bytes()))
    with pytest.raises(DatasetError, match="is not a readable zip archive"):
        TinyImageNet(broken)


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED], ids=["stored", "deflated"])
@pytest.mark.parametrize("member", ["val/val_annotations.txt", "first-image"])
def test_a_damaged_member_of_a_zip_is_a_dataset_error(make_tiny_imagenet, zip_tree, tmp_path, compression, member):
    root = make_tiny_imagenet([ORANGE], train_per_class=1, val_per_class=1)
    archive = zip_tree(root, tmp_path / "data.zip", compression)
    with zipfile.ZipFile(archive) as readable:
        images = [n for n in readable.namelist() if n.endswith(".JPEG")]
        name = images[0] if member == "first-image" else f"tiny-imagenet-200/{member}"
        info = readable.getinfo(name)
    raw = bytearray(archive.read_bytes())
    name_length, extra_length = struct.unpack_from("<HH", raw, info.header_offset + 26)
    start = info.header_offset + 30 + name_length + extra_length
    for i in range(start + 2, start + min(info.compress_size, 40)):
        raw[i] ^= 0xFF
    archive.write_bytes(bytes(raw))
    data = TinyImageNet(archive, classes=ORANGE)
    with pytest.raises(DatasetError, match="cannot be read"):
        data.load("val") if member.endswith(".txt") else data.load("train")


def test_a_file_that_is_not_a_zip_is_a_dataset_error(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("wnids.txt\n")
    with pytest.raises(DatasetError, match="not a readable zip archive"):
        TinyImageNet(text)


# -- where the data is found ----------------------------------------------------
def test_locate_prefers_explicit_path_then_environment_then_cache(isolated_data_env, tmp_path, monkeypatch):
    explicit, from_env = tmp_path / "explicit.zip", tmp_path / "env.zip"
    in_cache = isolated_data_env / OFFICIAL_ARCHIVE
    for path in (explicit, from_env, in_cache):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
    assert cache_dir() == isolated_data_env
    monkeypatch.setenv(ENV_VAR, str(from_env))
    assert locate_dataset(explicit) == explicit
    assert locate_dataset(str(explicit)) == explicit
    assert locate_dataset() == from_env
    monkeypatch.setenv(ENV_VAR, "")
    assert locate_dataset() == in_cache
    assert locate_dataset("") == in_cache
    in_cache.unlink()
    (isolated_data_env / "tiny-imagenet-200").mkdir()
    assert locate_dataset() == isolated_data_env / "tiny-imagenet-200"


def test_locate_with_nothing_tells_the_user_what_to_do(isolated_data_env):
    with pytest.raises(DatasetError) as caught:
        locate_dataset()
    message = str(caught.value)
    assert ENV_VAR in message and "python -m explainer_core.data.download" in message
    assert str(isolated_data_env) in message


def test_a_named_path_that_is_missing_is_an_error_not_a_fallback(isolated_data_env, tmp_path, monkeypatch):
    isolated_data_env.mkdir(parents=True)
    (isolated_data_env / OFFICIAL_ARCHIVE).write_bytes(b"")
    with pytest.raises(DatasetError, match="named by the path given does not exist: .*nowhere.zip"):
        locate_dataset(tmp_path / "nowhere.zip")
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "also-nowhere.zip"))
    with pytest.raises(DatasetError, match=rf"\${ENV_VAR} does not exist: .*also-nowhere.zip"):
        locate_dataset()


def test_cache_dir_follows_xdg_and_ignores_a_relative_one(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "cnn-explainer"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert cache_dir() == tmp_path / "home" / ".cache" / "cnn-explainer"


def test_the_data_set_is_found_through_the_environment(isolated_data_env, tiny_imagenet_zip, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tiny_imagenet_zip))
    assert TinyImageNet().path == tiny_imagenet_zip
