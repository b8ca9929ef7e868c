"""The Morpho-MNIST Deep SCM (Pawlowski, Castro & Glocker 2020) with deepcausal's DeepSCM, scored by
the counterfactual image metrics of Monteiro et al. (2023).

Data: ../shared/data/morphomnist (the 10,000 images of MNIST's test set, re-thickened and
re-coloured by the Deep SCM generator; see its PROVENANCE.md), or $DEEPCAUSAL_DATA/morphomnist.
The script stops with a message when the folder is absent. Split: a seeded permutation
(``MorphoMNIST.split``, seed 0), 8,000 rows to fit and 2,000 held out; every metric is on the
held-out rows.

Model (``deepcausal.pipelines.image_demo``): ``thickness -> intensity; thickness -> image;
intensity -> image; digit -> image``; the image node is the convolutional conditional VAE
(``conv-vae``, amortised posterior abduction) or, with ``--family hvae``, the hierarchical VAE of
De Sousa Ribeiro et al. (2023); the scalar nodes get ``auto``.

Metrics (held-out rows; the morphometrics of Castro et al. 2019 measure thickness and intensity):

* effectiveness under do(thickness) / do(intensity): the measured attribute of the counterfactual
  image against its counterfactual value (values drawn from the held-out marginal, per row);
  digit kept: a CNN trained on the fit rows classifies the counterfactual as the factual digit;
* composition: L1 (grey levels, per pixel) after 1 and 10 null interventions;
* reversibility: do(thickness) and back, L1 to the factual image;
* minimality: L1 of each counterfactual from its factual image;
* realism: the Fréchet distance in the digit classifier's 64-feature layer between held-out real
  images and samples or counterfactuals (no Inception weights can be downloaded, so it is not
  comparable with the FIDs of papers).

Targets (docs/benchmarks.md): thickness MAE ≤ 0.3 and intensity MAE ≤ 10 under their
interventions; digit kept in ≥ 95%; composition L1(10) ≤ 2·L1(1); reversibility ≤ 1.5·L1(1);
fit ≤ 15 minutes on 2 CPU cores and peak memory < 4 GB.

Usage::

    nice .venv/bin/python benchmarks/morphomnist.py                  # fit, metrics, figure
    nice .venv/bin/python benchmarks/morphomnist.py --family hvae --no-validate
    nice .venv/bin/python benchmarks/morphomnist.py --validate-only  # morphometrics vs labels
    nice .venv/bin/python benchmarks/morphomnist.py --peer chirho --epochs 25 --no-validate

``--peer chirho`` fits ChiRho's Deep SCM (its tutorial's normalising-flow model, see
``_chirho_deepscm.py``; needs ``pip install chirho``) on the same split and scores it with the same
metrics; its images are 14 x 14, so the report adds what that resolution alone costs (real
held-out digits scaled down and back up, measured against their labels).

``--particles K`` scores the same fitted model a second time with every counterfactual averaged
over K posterior draws of the image's noise (``DeepSCM.counterfactual(..., n_samples=K,
average=True)``, as Deep SCM's code averages its particles), in a second column.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from deepcausal.datasets import MorphoMNIST

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
RESULTS = HERE / "results"
FIGURE = HERE.parent / "docs" / "figures" / "morphomnist_counterfactuals{}.png"


def data_dir() -> Path:
    root = os.environ.get("DEEPCAUSAL_DATA")
    base = Path(root) if root else HERE.parent.parent / "shared" / "data"
    return base / "morphomnist"


def load_data() -> MorphoMNIST | None:
    """The dataset of :func:`data_dir`, or ``None`` (after saying so) where the folder is absent;
    ``data.split()`` is the benchmarks' split."""
    folder = data_dir()
    if not folder.is_dir():
        print(f"Morpho-MNIST not found at {folder}: nothing to do (see benchmarks/morphomnist.py)")
        return None
    from deepcausal.datasets import load_morphomnist

    return load_morphomnist(folder)


def validate(images: np.ndarray, labels) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """The morphometrics of ``images`` against their labels (a frame of thickness, intensity)."""
    from deepcausal.datasets import morphometrics

    tick = time.perf_counter()
    measured = morphometrics(images)
    err_t = measured.thickness.to_numpy() - labels.thickness.to_numpy()
    err_i = measured.intensity.to_numpy() - labels.intensity.to_numpy()
    return {
        "thickness_mae": float(np.abs(err_t).mean()),
        "thickness_bias": float(err_t.mean()),
        "intensity_mae": float(np.abs(err_i).mean()),
        "intensity_bias": float(err_i.mean()),
        "seconds": time.perf_counter() - tick,
        "n": len(err_t),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--epochs", type=int, default=100, help="most epochs per node")
    parser.add_argument("--n-train", type=int, default=8000)
    parser.add_argument("--n-eval", type=int, default=2000, help="held-out rows scored")
    parser.add_argument("--validate-only", action="store_true")
    parser.add_argument("--no-validate", action="store_true", help="skip the morphometrics check")
    parser.add_argument("--family", default="conv-vae", choices=("conv-vae", "hvae"),
                        help="the image node's mechanism family")  # fmt: skip
    parser.add_argument("--latent-dim", type=int, default=None, help="image latent width")
    parser.add_argument("--min-scale", type=float, default=None, help="conv-vae sigma floor")
    parser.add_argument("--decoder", choices=("refined", "plain"), default=None,
                        help="the image family's decoder (default: the family's)")  # fmt: skip
    parser.add_argument("--peer", choices=("chirho",), default=None,
                        help="fit a peer library's Deep SCM instead of deepcausal's")  # fmt: skip
    parser.add_argument("--particles", type=int, default=1,
                        help="score counterfactuals averaged over this many posterior draws")  # fmt: skip
    parser.add_argument(
        "--output",
        default=None,
        help="report path (default: results/; the figure goes beside it, else to docs/figures/)",
    )
    args = parser.parse_args(argv)

    if args.particles < 1 or (args.peer and args.particles > 1):
        parser.error(
            "--particles must be >= 1, and 1 with --peer (the peer's flows abduct exactly)"
        )
    start, load = time.perf_counter(), os.getloadavg()[0]
    data = load_data()
    if data is None:
        return 0
    import torch

    from deepcausal._atomic import atomic_write_bytes, atomic_write_text
    from deepcausal.pipelines.image_demo import (
        evaluate_counterfactuals,
        fit_morphomnist,
        grid_figure,
        train_scorers,
    )

    torch.set_num_threads(2)
    check = {} if args.no_validate else validate(data.images, data.labels)
    print(f"morphometrics vs labels: {check}", file=sys.stderr, flush=True)
    if args.validate_only:
        print(json.dumps(check, indent=1))
        return 0
    train_rows, test_rows = data.split()
    train_rows, test_rows = train_rows[: args.n_train], test_rows[: args.n_eval]
    tick = time.perf_counter()
    floor: dict[str, float] = {}
    if args.peer == "chirho":
        sys.path.insert(0, str(HERE))
        from _chirho_deepscm import ChiRhoDeepSCM, resample_floor
        from deepcausal.pipelines.image_demo import morphomnist_frame

        # scored at its own resolution: every image the metrics see is 14 x 14, replicated
        data = dataclasses.replace(data, images=resample_floor(data.images).astype(np.float32))
        scm = ChiRhoDeepSCM(epochs=args.epochs).fit(morphomnist_frame(data, train_rows))
        epochs = args.epochs
        held_out = validate(data.images[test_rows], data.labels.iloc[test_rows])
        floor = {"thickness MAE": held_out["thickness_mae"],
                 "intensity MAE": held_out["intensity_mae"]}  # fmt: skip
        label = "ChiRho Deep SCM (normalising flows, 14 x 14)"
    else:
        image_kwargs = {k: v for k, v in (("latent_dim", args.latent_dim),
                                          ("min_scale", args.min_scale),
                                          ("decoder", args.decoder)) if v is not None}  # fmt: skip
        scm = fit_morphomnist(data, train_rows, epochs=args.epochs, random_state=0,
                              image_kwargs=image_kwargs, image_family=args.family)  # fmt: skip
        epochs = len(scm.history_["image"].train_loss)
        label = f"deepcausal DeepSCM ({args.family})"
    fit_seconds = time.perf_counter() - tick
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"fit {fit_seconds:.0f} s, peak RSS {peak_gb:.2f} GB, image epochs {epochs}",
          file=sys.stderr, flush=True)  # fmt: skip
    scorers = train_scorers(data, train_rows)  # shared by both scorings
    evaluation = evaluate_counterfactuals(scm, data, train_rows, test_rows, scorers=scorers)
    averaged = (
        evaluate_counterfactuals(
            scm, data, train_rows, test_rows, particles=args.particles, scorers=scorers
        )
        if args.particles > 1
        else None
    )

    import io

    fig = grid_figure(evaluation.columns)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    suffix = (
        f"_{args.peer}" if args.peer else ("" if args.family == "conv-vae" else f"_{args.family}")
    )
    # the docs' figure, unless the report goes elsewhere: then the figure goes beside it
    figure = (
        Path(args.output).with_suffix(".png") if args.output else Path(str(FIGURE).format(suffix))
    )
    atomic_write_bytes(figure, buffer.getvalue())

    command = f"python benchmarks/morphomnist.py {' '.join(sys.argv[1:] if argv is None else argv)}"
    lines = [
        f"Morpho-MNIST Deep SCM: {len(train_rows)} fit rows, {len(test_rows)} held-out rows. "
        f"Command: `{command.strip()}`",
        "",
    ]
    if check:
        lines.append(
            f"Morphometrics against the labels (all {check['n']} images): thickness MAE "
            f"{check['thickness_mae']:.3f} (bias {check['thickness_bias']:+.3f}), intensity MAE "
            f"{check['intensity_mae']:.2f} (bias {check['intensity_bias']:+.2f})."
        )
    if floor:
        lines.append(
            "Morphometrics of the real held-out digits at 14 x 14 (block means, replicated) against "
            "their labels, the floor of the peer's effectiveness: "
            + "; ".join(f"{k} {v:.3f}" for k, v in floor.items()) + "."
        )  # fmt: skip
    lines += [
        f"Fit: {fit_seconds:.0f} s ({epochs} epochs of the image node); peak resident memory "
        f"{peak_gb:.2f} GB; digit classifier held-out accuracy "
        f"{evaluation.classifier_accuracy:.3f}.",
        "",
        f"| metric | {label} |"
        + (f" averaged over {args.particles} posterior draws |" if averaged else "")
        + " target |",
        "|---|---|" + ("---|" if averaged else "") + "---|",
    ]
    for _, row in evaluation.table().iterrows():
        extra = f" {averaged.metrics[row.metric]:.3f} |" if averaged else ""
        lines.append(f"| {row.metric} | {row.value:.3f} |{extra} {row.target} |")
    lines.append(f"\nTotal {time.perf_counter() - start:.0f} s; load average {load:.2f} at start.")
    text = "\n".join(lines) + "\n"
    output = args.output or str(RESULTS / f"morphomnist{suffix}.md")
    atomic_write_text(output, text)
    results = {
        "validation": check, "metrics": evaluation.metrics, "fit_seconds": fit_seconds,
        "peak_gb": peak_gb, "epochs": epochs, "accuracy": evaluation.classifier_accuracy,
        "resolution_floor": floor,
        "particles": args.particles, "metrics_averaged": averaged.metrics if averaged else None,
    }  # fmt: skip
    atomic_write_text(Path(output).with_suffix(".json"), json.dumps(results, indent=1))
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
