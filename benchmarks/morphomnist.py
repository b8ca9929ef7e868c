"""The Morpho-MNIST Deep SCM (Pawlowski, Castro & Glocker 2020) with deepcausal's DeepSCM, scored by
the counterfactual image metrics of Monteiro et al. (2023).

Data: ../shared/data/morphomnist (the 10,000 images of MNIST's test set, re-thickened and
re-coloured by the Deep SCM generator; see its PROVENANCE.md), or $DEEPCAUSAL_DATA/morphomnist.
The script stops with a message when the folder is absent. Split: a seeded permutation
(``MorphoMNIST.split``, seed 0), 8,000 rows to fit and 2,000 held out; every metric is on the
held-out rows.

Model: ``thickness -> intensity; thickness -> image; intensity -> image; digit -> image``; the
image node is the convolutional conditional VAE (``conv-vae``, amortised posterior abduction), the
scalar nodes get ``auto`` (additive noise model or flow, chosen on held-out likelihood).

Metrics (held-out rows; morphometrics of Castro et al. 2019 measure thickness and intensity):

* effectiveness under do(thickness) / do(intensity): the measured attribute of the counterfactual
  image against its counterfactual value (values drawn from the held-out marginal, per row);
  digit kept: a CNN trained on the fit rows classifies the counterfactual as the factual digit;
* composition: L1 (grey levels, per pixel) after 1 and 10 null interventions;
* reversibility: do(thickness) and back, L1 to the factual image;
* minimality: L1 of each counterfactual from its factual image;
* realism: the Fréchet distance in the digit classifier's 64-feature layer between held-out real
  images and (a) samples of the model, (b) counterfactuals (no Inception weights can be
  downloaded, so this is not comparable with FIDs in papers).

Targets (docs/benchmarks.md): thickness MAE ≤ 0.3 and intensity MAE ≤ 10 under their
interventions; digit kept in ≥ 95%; composition L1(10) ≤ 2·L1(1); reversibility ≤ 1.5·L1(1);
fit ≤ 15 minutes on 2 CPU cores and peak memory < 4 GB.

Usage::

    nice .venv/bin/python benchmarks/morphomnist.py                  # fit, metrics, figure
    nice .venv/bin/python benchmarks/morphomnist.py --validate-only  # morphometrics vs labels
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
RESULTS = HERE / "results"
FIGURE = HERE.parent / "docs" / "figures" / "morphomnist_counterfactuals.png"
GRAPH = "thickness -> intensity; thickness -> image; intensity -> image; digit -> image"
SHAPE = (1, 28, 28)


def data_dir() -> Path:
    root = os.environ.get("DEEPCAUSAL_DATA")
    base = Path(root) if root else HERE.parent.parent / "shared" / "data"
    return base / "morphomnist"


def frame_of(data, rows):  # type: ignore[no-untyped-def]
    import pandas as pd

    from deepcausal.data import image_table

    lab = data.labels.iloc[rows]
    table = pd.DataFrame({
        "thickness": lab.thickness.to_numpy(), "intensity": lab.intensity.to_numpy(),
        "digit": pd.Categorical(lab.digit.astype(str), categories=[str(d) for d in range(10)]),
    })  # fmt: skip
    return image_table(table, data.images[rows], "image")


def images_of(frame) -> np.ndarray:  # type: ignore[no-untyped-def]
    from deepcausal.data import stack_columns

    return np.clip(stack_columns(frame, "image", SHAPE), 0.0, 255.0)


def validate(data, log) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from deepcausal.datasets import morphometrics

    tick = time.perf_counter()
    measured = morphometrics(data.images)
    err_t = measured.thickness.to_numpy() - data.labels.thickness.to_numpy()
    err_i = measured.intensity.to_numpy() - data.labels.intensity.to_numpy()
    out = {
        "thickness_mae": float(np.abs(err_t).mean()),
        "thickness_bias": float(err_t.mean()),
        "intensity_mae": float(np.abs(err_i).mean()),
        "intensity_bias": float(err_i.mean()),
        "seconds": time.perf_counter() - tick,
        "n": len(err_t),
    }
    log(f"morphometrics vs labels: {out}")
    return out


def grid(factual, rows, path: Path) -> None:  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    titles = list(rows)
    k = len(factual)
    fig, axes = plt.subplots(k, len(titles), figsize=(1.3 * len(titles), 1.3 * k))
    for j, title in enumerate(titles):
        for i in range(k):
            ax = axes[i, j]
            ax.imshow(rows[title][i, 0], cmap="gray", vmin=0, vmax=255)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(title, fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--epochs", type=int, default=100, help="most epochs of the image node")
    parser.add_argument("--n-train", type=int, default=8000)
    parser.add_argument("--n-eval", type=int, default=2000, help="held-out rows scored")
    parser.add_argument("--validate-only", action="store_true")
    parser.add_argument("--no-validate", action="store_true", help="skip the morphometrics check")
    parser.add_argument("--output", default=str(RESULTS / "morphomnist.md"))
    args = parser.parse_args(argv)

    folder = data_dir()
    if not folder.is_dir():
        print(f"Morpho-MNIST not found at {folder}: nothing to do (see the module docstring)")
        return 0
    import torch

    from deepcausal.datasets import load_morphomnist, measure_intensity, measure_thickness
    from deepcausal.metrics import (
        ImagePredictor,
        composition,
        effectiveness,
        frechet_distance,
        minimality,
        reversibility,
    )
    from deepcausal.nn import TrainConfig
    from deepcausal.scm import DeepSCM

    torch.set_num_threads(2)
    start, load = time.perf_counter(), os.getloadavg()[0]
    lines: list[str] = []

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    data = load_morphomnist(folder)
    results: dict[str, object] = {"validation": {} if args.no_validate else validate(data, log)}
    if args.validate_only:
        print(json.dumps(results, indent=1))
        return 0
    train_rows, test_rows = data.split(n_test=2000, random_state=0)
    train_rows, test_rows = train_rows[: args.n_train], test_rows[: args.n_eval]
    fit_frame, test = frame_of(data, train_rows), frame_of(data, test_rows)
    real = data.images[test_rows].astype(np.float64)

    training = TrainConfig(max_epochs=args.epochs, batch_size=128, lr=1e-3, patience=10,
                           min_delta=1e-3, progress=False)  # fmt: skip
    scm = DeepSCM(GRAPH, training=training, random_state=0, progress=False)
    tick = time.perf_counter()
    scm.fit(fit_frame)
    fit_seconds = time.perf_counter() - tick
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    epochs = len(scm.history_["image"].train_loss)
    log(f"fit {fit_seconds:.0f} s, peak RSS {peak_gb:.2f} GB, image epochs {epochs}")

    digit = ImagePredictor("categorical", random_state=0)
    digit.fit(data.images[train_rows], data.labels.digit.to_numpy()[train_rows])
    accuracy = float((digit.predict(real) == data.labels.digit.to_numpy()[test_rows]).mean())
    log(f"digit classifier held-out accuracy {accuracy:.3f}")

    rng = np.random.default_rng(1)
    new_t = rng.permutation(test.thickness.to_numpy())
    new_i = rng.permutation(test.intensity.to_numpy())
    cf_t = scm.counterfactual(test, {"thickness": new_t}, random_state=2)
    cf_i = scm.counterfactual(test, {"intensity": new_i}, random_state=3)
    img_t, img_i = images_of(cf_t), images_of(cf_i)
    factual_digit = data.labels.digit.to_numpy()[test_rows]
    metrics = {
        "do(thickness): thickness MAE": effectiveness(measure_thickness(img_t), new_t),
        "do(thickness): intensity MAE (vs its counterfactual value)": effectiveness(
            measure_intensity(img_t), cf_t.intensity.to_numpy()
        ),
        "do(thickness): digit kept": float((digit.predict(img_t) == factual_digit).mean()),
        "do(intensity): intensity MAE": effectiveness(measure_intensity(img_i), new_i),
        "do(intensity): thickness MAE (vs factual)": effectiveness(
            measure_thickness(img_i), test.thickness.to_numpy()
        ),
        "do(intensity): digit kept": float((digit.predict(img_i) == factual_digit).mean()),
        "minimality: L1 do(thickness)": minimality(img_t, real),
        "minimality: L1 do(intensity)": minimality(img_i, real),
    }
    parents = ["thickness", "intensity", "digit"]
    comp = composition(scm, test, "image", parents, SHAPE, cycles=10)
    metrics["composition: L1 after 1"] = float(comp[0])
    metrics["composition: L1 after 10"] = float(comp[-1])
    metrics["reversibility: L1 do(thickness) and back"] = reversibility(
        scm, test, "image", {"thickness": new_t}, SHAPE
    )
    samples = images_of(scm.sample(len(test_rows), random_state=4))
    metrics["realism: Fréchet distance, samples"] = frechet_distance(real, samples, digit.features)
    metrics["realism: Fréchet distance, do(thickness)"] = frechet_distance(
        real, img_t, digit.features
    )
    metrics["realism: Fréchet distance, held-out real vs fit rows (floor)"] = frechet_distance(
        real, data.images[train_rows[: len(test_rows)]], digit.features
    )
    for k, v in metrics.items():
        log(f"{k}: {v:.4f}")

    show = np.arange(8)
    null_images = {1: None, 10: None}
    current = test.iloc[show]
    from deepcausal.metrics import null_intervention

    for cycle in range(1, 11):
        out = scm.counterfactual(current, null_intervention(test.iloc[show], parents))
        imgs = images_of(out)
        if cycle in null_images:
            null_images[cycle] = imgs
        from deepcausal.data import image_table

        current = image_table(test.iloc[show].drop(columns=["image"]), imgs, "image")
    low, high = np.full(8, 1.5), np.full(8, 4.5)
    thin = images_of(scm.counterfactual(test.iloc[show], {"thickness": low}, random_state=5))
    thick = images_of(scm.counterfactual(test.iloc[show], {"thickness": high}, random_state=5))
    dim = images_of(scm.counterfactual(test.iloc[show], {"intensity": np.full(8, 80.0)}))
    bright = images_of(scm.counterfactual(test.iloc[show], {"intensity": np.full(8, 250.0)}))
    grid(real[show], {
        "factual": real[show], "do(t=1.5)": thin, "do(t=4.5)": thick, "do(i=80)": dim,
        "do(i=250)": bright, "null x1": null_images[1], "null x10": null_images[10],
    }, FIGURE)  # fmt: skip

    targets = {
        "do(thickness): thickness MAE": ("≤ 0.3", metrics["do(thickness): thickness MAE"] <= 0.3),
        "do(intensity): intensity MAE": ("≤ 10", metrics["do(intensity): intensity MAE"] <= 10),
        "do(thickness): digit kept": ("≥ 0.95", metrics["do(thickness): digit kept"] >= 0.95),
        "do(intensity): digit kept": ("≥ 0.95", metrics["do(intensity): digit kept"] >= 0.95),
        "composition: L1 after 10": ("≤ 2 x L1 after 1", comp[-1] <= 2 * comp[0]),
        "reversibility: L1 do(thickness) and back": (
            "≤ 1.5 x composition L1 after 1",
            metrics["reversibility: L1 do(thickness) and back"] <= 1.5 * comp[0],
        ),
    }
    command = f"python benchmarks/morphomnist.py {' '.join(sys.argv[1:] if argv is None else argv)}"
    v = results["validation"]
    assert isinstance(v, dict)
    lines += [
        f"Morpho-MNIST Deep SCM: {len(train_rows)} fit rows, {len(test_rows)} held-out rows. "
        f"Command: `{command.strip()}`",
        "",
    ]
    if v:
        lines.append(
            f"Morphometrics against the labels (all {v['n']} images): thickness MAE "
            f"{v['thickness_mae']:.3f} (bias {v['thickness_bias']:+.3f}), intensity MAE "
            f"{v['intensity_mae']:.2f} (bias {v['intensity_bias']:+.2f})."
        )
    lines += [
        f"Fit: {fit_seconds:.0f} s ({epochs} epochs of the image node); peak resident memory "
        f"{peak_gb:.2f} GB; digit classifier "
        f"held-out accuracy {accuracy:.3f}.",
        "",
        "| metric | deepcausal DeepSCM (conv-vae) | target |",
        "|---|---|---|",
    ]
    for k, value in metrics.items():
        target = targets.get(k)
        mark = "" if target is None else f"{target[0]}: {'met' if target[1] else 'NOT met'}"
        lines.append(f"| {k} | {value:.3f} | {mark} |")
    lines.append(f"\nTotal {time.perf_counter() - start:.0f} s; load average {load:.2f} at start.")
    text = "\n".join(lines) + "\n"
    from deepcausal._atomic import atomic_write_text

    atomic_write_text(args.output, text)
    results.update(metrics=metrics, fit_seconds=fit_seconds, peak_gb=peak_gb, accuracy=accuracy,
                   epochs=epochs)  # fmt: skip
    atomic_write_text(Path(args.output).with_suffix(".json"), json.dumps(results, indent=1))
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
