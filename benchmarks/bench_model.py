"""Figures for the shipped Tiny VGG: training time, one-image predict latency, accuracy.

    python benchmarks/bench_model.py [--data PATH]

Training wall time comes from the model card (measured by the training run
that produced the shipped weights) and, live, from one epoch on the full
training set in this run, so the two can be compared on the same machine.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from explainer_core.data.tiny_imagenet import TinyImageNet
from explainer_core.models.loading import load_model
from explainer_core.models.train import evaluate, train


def median_ms(fn, repeats: int) -> float:
    fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e3)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="Tiny ImageNet folder or zip (default: $CNN_EXPLAINER_DATA)")
    parser.add_argument("--skip-epoch", action="store_true", help="do not time a live training epoch")
    args = parser.parse_args()

    loaded = load_model()
    model = loaded.keras_model
    card = loaded.card
    hp = card["hyperparameters"]
    print(f"model card: trained {hp['epochs_run']} epochs (best {hp['best_epoch']}) "
          f"in {card['training_seconds']:.0f} s ({card['training_seconds'] / hp['epochs_run']:.1f} s/epoch)")

    data = TinyImageNet(args.data)
    val = data.load("val")
    x1 = val.images[:1].astype(np.float32) / 255.0
    print(f"predict, one image: model.predict {median_ms(lambda: model.predict(x1, verbose=0), 50):.2f} ms, "
          f"model(x) {median_ms(lambda: model(x1, training=False), 200):.2f} ms (median)")
    result = evaluate(model, val.images, val.labels, len(loaded.class_names))
    print(f"top-1 accuracy on {result['count']} validation images: {result['top1']:.1%} "
          f"(card says {card['validation']['top1']:.1%}; original CNN Explainer model: 69.6 %)")
    for name, acc in zip(loaded.class_names, result["per_class"], strict=True):
        print(f"  {name:<12} {acc:.0%}")

    if not args.skip_epoch:
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as tmp:
            live = train(args.data, Path(tmp) / "m.keras", epochs=1, batch_size=hp["batch_size"],
                         learning_rate=hp["learning_rate"], weight_decay=hp["weight_decay"],
                         patience=1, seed=hp["seed"], verbose=0)
        per_epoch = card["training_seconds"] / hp["epochs_run"]
        print(f"one live training epoch on {live['data']['train_images']} images: "
              f"{live['training_seconds']:.1f} s (ratio to the shipped run's mean epoch: "
              f"{live['training_seconds'] / per_epoch:.2f})")


if __name__ == "__main__":
    main()
