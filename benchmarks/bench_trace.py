"""Time a full forward trace of one 64×64 image next to Keras running the same image.

    python benchmarks/bench_trace.py [--model PATH] [--repeats N]

The trace computes every activation and every intermediate result (about 11
million floating-point operations for Tiny VGG); the issue's target is under
5 ms on a 2-core machine and no slower than one ``model.predict`` call. Both
sides are measured in the same run, on the same image, so load on the machine
affects them alike; the load average is printed too.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from explainer_core.arithmetic.network import Network
from explainer_core.arithmetic.trace import trace
from explainer_core.data.preprocess import prepare_image
from explainer_core.errors import ModelLoadError
from explainer_core.models.loading import build_tiny_vgg


def median_ms(fn, repeats: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e3)
    return statistics.median(samples)


def load(path: str | None):
    """The trained model if there is one, else Tiny VGG with fixed random weights (same arithmetic)."""
    try:
        from explainer_core.models.loading import load_model

        return load_model(path).keras_model, "trained weights"
    except (ImportError, ModelLoadError) as exc:
        import keras

        keras.utils.set_random_seed(0)
        return build_tiny_vgg(), f"random weights ({exc})"


def photo(shape) -> np.ndarray:
    try:
        from skimage.data import coffee

        return prepare_image(coffee(), size=shape[:2])
    except ImportError:
        return np.random.default_rng(0).random(shape, dtype=np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a .keras/.h5/TF.js model (default: model/tiny_vgg.keras)")
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()

    model, weights = load(args.model)
    network = Network.from_keras(model)
    image = photo(network.input_shape)
    batch = image[None]

    extract = median_ms(lambda: Network.from_keras(model), 20)
    full_trace = median_ms(lambda: trace(network, image), args.repeats)
    predict = median_ms(lambda: model.predict(batch, verbose=0), max(20, args.repeats // 4))
    call = median_ms(lambda: model(batch, training=False), args.repeats)

    result = trace(network, image)
    values = sum(a.size for a in result.outputs.values()) + sum(a.size for a in result.intermediates.values())
    print(f"model: {model.name} ({weights}), input {network.input_shape}, {len(network.layers)} steps")
    print(f"trace keeps {values:,} numbers ({len(result.intermediates)} conv layers of intermediate results)")
    print(f"CPUs: {os.cpu_count()}, load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"Network.from_keras (once per model):   {extract:8.3f} ms")
    print(f"full trace (median of {args.repeats}):          {full_trace:8.3f} ms")
    print(f"keras model.predict(x, verbose=0):     {predict:8.3f} ms")
    print(f"keras model(x):                        {call:8.3f} ms")
    print(f"trace / predict = {full_trace / predict:.3f}, trace / model(x) = {full_trace / call:.3f}")
    verdict = "meets" if full_trace < 5.0 and full_trace <= predict else "misses"
    print(f"target (< 5 ms and no slower than predict): {verdict}")


if __name__ == "__main__":
    main()
