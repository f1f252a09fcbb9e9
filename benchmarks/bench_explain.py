"""Time the five explanation methods on every zoo model, next to tf-keras-vis's three on the same models.

    python benchmarks/bench_explain.py [--models NAME ...] [--no-oracle] [--bbmp-steps N]

One 64x64 picture (scikit-image's coffee), each model's predicted class, each model's default target
layer. Each model is the trained ``model/zoo/<name>.keras`` when it is there, else its builder with
fixed random weights (the table says which): the arithmetic, and so the time, is the same.

"cold" is the first call: building the explainer (the model opened at its layer) and tracing its
graph. "warm" is the second call, what the book's and the reader's later calls cost. tf-keras-vis runs
eagerly, so its cold call differs from its warm one only by cloning the model for the linear output.
The issue's targets: the four CAM methods on the whole zoo in under 5 s, all five in under 15 s, on a
2-core machine. Both sides run in the same process on the same picture; the load average is printed,
since other work on the machine slows both.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import time
import warnings

import numpy as np

from explainer_core.data.preprocess import prepare_image
from explainer_core.explain import METHODS, default_target_layer, explain
from explainer_core.models.loading import load_model
from explainer_core.models.zoo import ZOO

CAMS = ("gradcam", "gradcam++", "smoothgrad-cam++", "scorecam")
#: The methods tf-keras-vis has, by our names.
ORACLE_METHODS = ("gradcam", "gradcam++", "scorecam")


def zoo_model(name: str):
    """(model, "trained" or "random"): the shipped weights if trained, else the builder, seeded."""
    if ZOO[name].path.is_file():
        return load_model(ZOO[name].path, sequential_only=False).keras_model, "trained"
    import keras

    keras.utils.set_random_seed(0)
    return ZOO[name].build((64, 64, 3), 10), "random"


def seconds(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def cold_and_warm(call) -> tuple[float, float]:
    return seconds(call), seconds(call)


def ours(model, image, method: str, bbmp_steps: int) -> tuple[float, float]:
    options = {"steps": bbmp_steps} if method == "bbmp" else {}
    return cold_and_warm(lambda: explain(method, model, image, **options))


def oracle(model, image, method: str) -> tuple[float, float]:
    """tf-keras-vis as the tests call it: explicit layer, linear output, progress bar silenced."""
    import keras
    from tf_keras_vis.gradcam import Gradcam
    from tf_keras_vis.gradcam_plus_plus import GradcamPlusPlus
    from tf_keras_vis.scorecam import Scorecam
    from tf_keras_vis.utils.scores import CategoricalScore

    cls = {"gradcam": Gradcam, "gradcam++": GradcamPlusPlus, "scorecam": Scorecam}[method]
    target = int(model.predict(image[None], verbose=0).argmax())
    layer = default_target_layer(model)

    def linear_output(clone):
        clone.layers[-1].activation = keras.activations.linear

    explainer = None

    def call():
        nonlocal explainer
        explainer = explainer or cls(model, model_modifier=linear_output)
        with contextlib.redirect_stdout(io.StringIO()):
            explainer(
                CategoricalScore([target]), image[None], penultimate_layer=layer, seek_penultimate_conv_layer=False
            )

    return cold_and_warm(call)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(ZOO), choices=list(ZOO), metavar="NAME")
    parser.add_argument("--no-oracle", action="store_true", help="skip tf-keras-vis")
    parser.add_argument("--bbmp-steps", type=int, default=300, help="BBMP's optimisation steps (300: the original)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    from skimage.data import coffee

    image = prepare_image(coffee())
    explain("gradcam", zoo_model("tiny_vgg")[0], image)  # TensorFlow's own start-up, kept out of the first row

    methods = list(METHODS)
    header = f"{'model':18s} {'weights':8s} " + " ".join(f"{m:>16s}" for m in methods)
    if not args.no_oracle:
        header += " | " + " ".join(f"{'tkv ' + m:>13s}" for m in ORACLE_METHODS)
    print("seconds per call, warm (cold)")
    print(header)
    totals: dict[str, np.ndarray] = {}
    for name in args.models:
        model, weights = zoo_model(name)
        row = {m: ours(model, image, m, args.bbmp_steps) for m in methods}
        line = f"{name:18s} {weights:8s} " + " ".join(f"{w:7.3f} ({c:6.2f})" for c, w in row.values())
        if not args.no_oracle:
            theirs = {m: oracle(model, image, m) for m in ORACLE_METHODS}
            line += " | " + " ".join(f"{w:6.3f} ({c:4.1f})" for c, w in theirs.values())
            row |= {f"tkv {m}": value for m, value in theirs.items()}
        for key, value in row.items():
            totals[key] = totals.get(key, np.zeros(2)) + np.array(value)
        print(line, flush=True)

    def total(keys) -> str:
        cold, warm = sum(totals[k] for k in keys)
        return f"{warm:6.2f} s warm, {cold:6.2f} s cold"

    count = len(args.models)
    print(f"\n{count} models, CPUs: {os.cpu_count()}, load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"our four CAM methods:            {total(CAMS)}   (target < 5 s for the zoo)")
    print(f"all five (with BBMP, {args.bbmp_steps} steps): {total(methods)}   (target < 15 s for the zoo)")
    if not args.no_oracle:
        print(f"our Grad-CAM, Grad-CAM++, Score-CAM: {total(ORACLE_METHODS)}")
        print(f"tf-keras-vis's same three:          {total([f'tkv {m}' for m in ORACLE_METHODS])}")


if __name__ == "__main__":
    main()
