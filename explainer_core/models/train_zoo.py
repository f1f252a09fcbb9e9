"""Train the model zoo, one network after another, each into ``model/zoo/`` with its card.

    python -m explainer_core.models.train_zoo                 # every missing member
    python -m explainer_core.models.train_zoo resnet_mini     # just one
    python -m explainer_core.models.train_zoo --overwrite     # retrain all, replacing them
    python -m explainer_core.models.train_zoo --table         # what is trained, from the cards

Each network trains in its own process through ``explainer_core.models.train``
(cosine schedule, fixed seed, early stopping on the validation images), so an
interrupted run keeps every finished member and never leaves half a file. The
zoo's Tiny VGG is the book's own model (``model/tiny_vgg.keras``); it is not
retrained here.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from .zoo import ZOO

#: Training order: the families first (the comparison needs them), then the Tiny VGG variants.
ORDER = [name for name, entry in ZOO.items() if entry.family != "Tiny VGG"] + [
    name for name, entry in ZOO.items() if entry.family == "Tiny VGG" and name != "tiny_vgg"
]
SEED = 20201


def command(name: str, data: str | None, overwrite: bool) -> list[str]:
    """The training command for one member, exactly as a reader could type it."""
    entry = ZOO[name]
    args = [sys.executable, "-m", "explainer_core.models.train", "--model", name, "--out", str(entry.path)]
    args += ["--schedule", "cosine", "--epochs", str(entry.epochs), "--patience", str(entry.patience)]
    args += ["--learning-rate", str(entry.learning_rate), "--seed", str(SEED)]
    if data:
        args += ["--data", data]
    if overwrite:
        args.append("--overwrite")
    return args


def table() -> str:
    """The zoo as a Markdown table, from the cards of the members that are trained."""
    import json

    from .loading import card_path

    rows = ["| model | family | parameters | multiply-adds | training | epochs | val top-1 |", "|---" * 7 + "|"]
    for name, entry in ZOO.items():
        if not card_path(entry.path).exists():
            rows.append(f"| {name} | {entry.family} | not trained | | | | |")
            continue
        card = json.loads(card_path(entry.path).read_text())
        rows.append(
            f"| {name} | {entry.family} | {card.get('parameters', 0):,} | {card.get('multiply_adds', 0) / 1e6:.1f} M "
            f"| {card['training_seconds'] / 60:.1f} min | {card['hyperparameters']['epochs_run']} "
            f"| {card['validation']['top1']:.1%} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m explainer_core.models.train_zoo", description=__doc__.splitlines()[0]
    )
    parser.add_argument("names", nargs="*", help=f"members to train (default: all of {', '.join(ORDER)})")
    parser.add_argument("--data", help="Tiny ImageNet folder or zip (default: $CNN_EXPLAINER_DATA)")
    parser.add_argument("--overwrite", action="store_true", help="retrain members that already exist")
    parser.add_argument("--table", action="store_true", help="print the trained zoo as a table and stop")
    args = parser.parse_args(argv)
    if args.table:
        print(table())
        return 0
    unknown = [name for name in args.names if name not in ORDER]
    if unknown:
        print(f"error: not a zoo member: {', '.join(unknown)} (choose from {', '.join(ORDER)})", file=sys.stderr)
        return 2
    names = args.names or ORDER
    todo = [name for name in names if args.overwrite or not ZOO[name].path.exists()]
    for name in sorted(set(names) - set(todo), key=names.index):
        print(f"{name}: already trained ({os.path.relpath(ZOO[name].path)}); --overwrite retrains it")
    started = time.perf_counter()
    failed = []
    for index, name in enumerate(todo, start=1):
        print(f"[{index}/{len(todo)}] {name} ({ZOO[name].family}), up to {ZOO[name].epochs} epochs", flush=True)
        if subprocess.run(command(name, args.data, args.overwrite)).returncode != 0:
            failed.append(name)
        minutes = (time.perf_counter() - started) / 60
        print(f"[{index}/{len(todo)}] {name} done; {minutes:.0f} min so far", flush=True)
    if failed:
        print(f"error: training failed for {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
