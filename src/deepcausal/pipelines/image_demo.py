"""The image demo: a Deep SCM of Morpho-MNIST (Pawlowski, Castro & Glocker 2020) fitted with
:class:`~deepcausal.scm.DeepSCM`, its counterfactual images, and their soundness metrics
(Monteiro et al. 2023), written as an HTML report.

The graph is ``thickness -> intensity; (thickness, intensity, digit) -> image``; the image node
gets the convolutional VAE (``conv-vae``). Counterfactuals are measured with the Morpho-MNIST
morphometrics (Castro et al. 2019) and a digit classifier trained on the fit rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from deepcausal.data import image_table, stack_columns
from deepcausal.datasets import MorphoMNIST, load_morphomnist, measure_intensity, measure_thickness
from deepcausal.metrics import (
    composition,
    effectiveness,
    frechet_distance,
    minimality,
    null_intervention,
    reversibility,
)
from deepcausal.nn import TrainConfig
from deepcausal.scm import DeepSCM

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from deepcausal.metrics import ImagePredictor

__all__ = [
    "GRAPH",
    "ImageEvaluation",
    "evaluate_counterfactuals",
    "fit_morphomnist",
    "grid_figure",
    "morphomnist_frame",
    "run_image_demo",
    "train_scorers",
]

GRAPH = "thickness -> intensity; thickness -> image; intensity -> image; digit -> image"
SHAPE = (1, 28, 28)
PARENTS = ["thickness", "intensity", "digit"]

#: L1 (grey levels per pixel) below which two images count as the same: a hundredth of the 8-bit
#: step, far above float32 rounding (ten null interventions through a model that abducts exactly
#: differ from the factual by about 1e-5).
ROUNDING = 0.01

#: The targets of each metric: (what, whether a value meets it).
TARGETS: dict[str, tuple[str, Callable[[float, dict[str, float]], bool]]] = {
    "do(thickness): thickness MAE": ("≤ 0.3", lambda v, m: v <= 0.3),
    "do(intensity): intensity MAE": ("≤ 10", lambda v, m: v <= 10.0),
    "do(thickness): digit kept": ("≥ 0.95", lambda v, m: v >= 0.95),
    "do(intensity): digit kept": ("≥ 0.95", lambda v, m: v >= 0.95),
    "composition: L1 after 10": (
        "≤ 2 x L1 after 1",
        lambda v, m: v <= 2.0 * m["composition: L1 after 1"] + ROUNDING,
    ),
    "reversibility: L1 do(thickness) and back": (
        "≤ 1.5 x composition L1 after 1",
        lambda v, m: v <= 1.5 * m["composition: L1 after 1"],
    ),
}


def morphomnist_frame(data: MorphoMNIST, rows: np.ndarray) -> pd.DataFrame:
    """The rows as a table of thickness, intensity, digit (categorical) and image (array cells)."""
    lab = data.labels.iloc[rows]
    table = pd.DataFrame({
        "thickness": lab.thickness.to_numpy(), "intensity": lab.intensity.to_numpy(),
        "digit": pd.Categorical(lab.digit.astype(str), categories=[str(d) for d in range(10)]),
    })  # fmt: skip
    return image_table(table, data.images[rows], "image")


def _images(frame: pd.DataFrame) -> np.ndarray:
    return np.clip(stack_columns(frame, "image", SHAPE), 0.0, 255.0)


def fit_morphomnist(
    data: MorphoMNIST,
    rows: np.ndarray,
    *,
    epochs: int = 100,
    random_state: int = 0,
    progress: bool = False,
    image_kwargs: dict[str, object] | None = None,
    image_family: str = "conv-vae",
) -> DeepSCM:
    """Fit the Morpho-MNIST Deep SCM on ``rows`` (early stopping on held-out rows); the image node
    is an ``image_family`` mechanism (``"conv-vae"``, or ``"hvae"``: the hierarchical VAE) with the
    hyper-parameters ``image_kwargs``."""
    training = TrainConfig(max_epochs=epochs, batch_size=128, lr=1e-3, patience=10,
                           min_delta=1e-3, progress=progress)  # fmt: skip
    scm = DeepSCM(GRAPH, mechanisms={"image": image_family}, training=training,
                  random_state=random_state, progress=progress,
                  mechanism_kwargs={image_family: dict(image_kwargs or {})})  # fmt: skip
    return scm.fit(morphomnist_frame(data, rows))


@dataclass
class ImageEvaluation:
    """Counterfactual metrics on held-out rows, and images for a grid.

    Attributes:
        metrics: metric name -> value (grey levels for L1 distances, pixels for thickness).
        met: metric name -> (target, whether met), for the metrics with a target.
        columns: grid columns: title -> images ``(k, 1, 28, 28)`` of the first ``k`` rows.
        classifier_accuracy: the digit classifier's held-out accuracy.
    """

    metrics: dict[str, float]
    met: dict[str, tuple[str, bool]] = field(default_factory=dict)
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    classifier_accuracy: float = float("nan")

    def table(self) -> pd.DataFrame:
        """The metrics as a table with their targets."""
        return pd.DataFrame({
            "metric": list(self.metrics),
            "value": list(self.metrics.values()),
            "target": [
                "" if k not in self.met else
                f"{self.met[k][0]}: {'met' if self.met[k][1] else 'NOT met'}"
                for k in self.metrics
            ],
        })  # fmt: skip


@dataclass
class _Averaged:
    """``scm``'s counterfactuals, each row's ``particles`` posterior draws averaged (one draw when
    ``particles`` is 1)."""

    scm: DeepSCM
    particles: int
    random_state: int | None = None

    def counterfactual(self, factual: pd.DataFrame, interventions: Mapping[str, Any]) -> Any:
        if self.particles == 1:  # the plain call, which a peer's model also answers
            return self.scm.counterfactual(
                factual, dict(interventions), random_state=self.random_state
            )
        return self.scm.counterfactual(
            factual,
            dict(interventions),
            n_samples=self.particles,
            random_state=self.random_state,
            average=True,
        )


def train_scorers(data: MorphoMNIST, train_rows: np.ndarray) -> dict[str, ImagePredictor]:
    """The CNNs that score counterfactual images, trained on ``train_rows``: ``"digit"`` (the
    classifier whose features also give the realism metric) and the anti-causal predictors of
    ``"thickness"`` and ``"intensity"`` (Melistas et al. 2024; the morphometrics measure the same
    attributes on the image directly)."""
    from deepcausal.metrics import ImagePredictor

    images, labels = data.images[train_rows], data.labels.iloc[train_rows]
    return {
        "digit": ImagePredictor("categorical", random_state=0).fit(images, labels.digit.to_numpy()),
        **{
            name: ImagePredictor("continuous", random_state=0).fit(
                images, labels[name].to_numpy(dtype=np.float64)
            )
            for name in ("thickness", "intensity")
        },
    }


def evaluate_counterfactuals(
    scm: DeepSCM,
    data: MorphoMNIST,
    train_rows: np.ndarray,
    test_rows: np.ndarray,
    *,
    random_state: int = 1,
    show: int = 8,
    particles: int = 1,
    scorers: dict[str, ImagePredictor] | None = None,
) -> ImageEvaluation:
    """Effectiveness, composition, reversibility, minimality and realism of ``scm``'s
    counterfactual images on ``test_rows`` (see the module docstring of
    :mod:`deepcausal.metrics._images`); interventions draw new values from the held-out marginal.

    ``particles`` > 1 scores each counterfactual as the mean of that many posterior draws of the
    image's noise, as Deep SCM's code does (``DeepSCM.counterfactual(..., average=True)``).
    ``scorers`` (from :func:`train_scorers`) are trained here when not given, so that several
    evaluations on one split can share them.
    """
    if isinstance(particles, bool) or not isinstance(particles, int) or particles < 1:
        raise ValueError(f"particles must be a positive integer, got {particles!r}")
    model = _Averaged(scm, particles)  # fresh draws at each step of composition, reversibility
    seeded = _Averaged(scm, particles, random_state)
    scorers = scorers or train_scorers(data, train_rows)
    classifier = scorers["digit"]

    test = morphomnist_frame(data, test_rows)
    real = data.images[test_rows].astype(np.float64)
    digits = data.labels.digit.to_numpy()
    accuracy = float((classifier.predict(real) == digits[test_rows]).mean())
    rng = np.random.default_rng(random_state)
    new_t = rng.permutation(test.thickness.to_numpy())
    new_i = rng.permutation(test.intensity.to_numpy())
    cf_t = seeded.counterfactual(test, {"thickness": new_t})
    cf_i = seeded.counterfactual(test, {"intensity": new_i})
    img_t, img_i = _images(cf_t), _images(cf_i)
    kept = digits[test_rows]
    metrics = {
        "do(thickness): thickness MAE": effectiveness(measure_thickness(img_t), new_t),
        "do(thickness): intensity MAE (vs its counterfactual value)": effectiveness(
            measure_intensity(img_t), cf_t.intensity.to_numpy()
        ),
        "do(thickness): digit kept": float((classifier.predict(img_t) == kept).mean()),
        "do(intensity): intensity MAE": effectiveness(measure_intensity(img_i), new_i),
        "do(intensity): thickness MAE (vs factual)": effectiveness(
            measure_thickness(img_i), test.thickness.to_numpy()
        ),
        "do(intensity): digit kept": float((classifier.predict(img_i) == kept).mean()),
        "do(thickness): thickness MAE, predictor": effectiveness(
            scorers["thickness"].predict(img_t), new_t
        ),
        "do(intensity): intensity MAE, predictor": effectiveness(
            scorers["intensity"].predict(img_i), new_i
        ),
        "predictor floor: thickness MAE on real held-out digits": effectiveness(
            scorers["thickness"].predict(real), test.thickness.to_numpy()
        ),
        "predictor floor: intensity MAE on real held-out digits": effectiveness(
            scorers["intensity"].predict(real), test.intensity.to_numpy()
        ),
        "minimality: L1 do(thickness)": minimality(img_t, real),
        "minimality: L1 do(intensity)": minimality(img_i, real),
    }
    comp = composition(model, test, "image", PARENTS, SHAPE, cycles=10)
    metrics["composition: L1 after 1"] = float(comp[0])
    metrics["composition: L1 after 10"] = float(comp[-1])
    metrics["reversibility: L1 do(thickness) and back"] = reversibility(
        model, test, "image", {"thickness": new_t}, SHAPE
    )
    samples = _images(scm.sample(len(test_rows), random_state=random_state))
    features = classifier.features
    metrics["realism: Fréchet distance, samples"] = frechet_distance(real, samples, features)
    metrics["realism: Fréchet distance, do(thickness)"] = frechet_distance(real, img_t, features)
    metrics["realism: Fréchet distance, real fit rows (floor)"] = frechet_distance(
        real, data.images[train_rows[: len(test_rows)]], features
    )
    met = {k: (what, bool(ok(metrics[k], metrics))) for k, (what, ok) in TARGETS.items()}
    return ImageEvaluation(metrics, met, _grid_columns(scm, test.iloc[:show]), accuracy)


def _grid_columns(scm: DeepSCM, rows: pd.DataFrame) -> dict[str, np.ndarray]:
    k = len(rows)
    columns = {"factual": _images(rows)}
    for title, node, value in (
        ("do(thickness=1.5)", "thickness", 1.5), ("do(thickness=4.5)", "thickness", 4.5),
        ("do(intensity=80)", "intensity", 80.0), ("do(intensity=250)", "intensity", 250.0),
    ):  # fmt: skip
        columns[title] = _images(scm.counterfactual(rows, {node: np.full(k, value)}))
    current = rows
    for cycle in range(1, 11):
        images = _images(scm.counterfactual(current, null_intervention(rows, PARENTS)))
        if cycle in (1, 10):
            columns[f"null x{cycle}"] = images
        current = image_table(rows.drop(columns=["image"]), images, "image")
    return columns


def grid_figure(columns: dict[str, np.ndarray]) -> Figure:
    """A grid of 0-255 images: one column per title, one row per unit."""
    from deepcausal.report import plot_image_grid

    return plot_image_grid(columns, vmin=0, vmax=255)


def run_image_demo(
    folder: str | Path,
    out: str | Path = "deepcausal-image-report",
    *,
    n_train: int = 8000,
    n_eval: int = 2000,
    epochs: int = 100,
    random_state: int = 0,
    progress: bool = True,
) -> Path:
    """Fit the Morpho-MNIST Deep SCM and write a report of its counterfactual images and metrics.

    Args:
        folder: the Morpho-MNIST folder (see :func:`~deepcausal.datasets.load_morphomnist`).
        out: the report folder.
        n_train: fit rows (of the 8,000 of the seeded split).
        n_eval: held-out rows scored (of 2,000).
        epochs: most epochs per node.
        random_state: seed of the fit.
        progress: progress bars.

    Returns:
        The path of the report's ``index.html``.
    """
    from deepcausal.report import Report

    data = load_morphomnist(folder)
    n_test = min(2000, len(data.labels) // 5)  # 2,000 of Morpho-MNIST's 10,000
    train_rows, test_rows = data.split(n_test=n_test, random_state=0)
    train_rows, test_rows = train_rows[:n_train], test_rows[:n_eval]
    tick = time.perf_counter()
    print(f"Fitting the Morpho-MNIST Deep SCM on {len(train_rows)} images: {GRAPH}")
    scm = fit_morphomnist(data, train_rows, epochs=epochs, random_state=random_state,
                          progress=progress)  # fmt: skip
    seconds = time.perf_counter() - tick
    print(f"fitted in {seconds:.0f} s; scoring counterfactuals on {len(test_rows)} held-out images")
    evaluation = evaluate_counterfactuals(scm, data, train_rows, test_rows)
    report = Report("Counterfactual images: the Morpho-MNIST Deep SCM")
    report.heading("The model")
    report.text(
        f"Graph: {GRAPH}. The image node is a convolutional conditional VAE (conv-vae): a latent "
        "z inferred by its encoder and one exact residual per pixel are the image's noise. "
        f"Fitted on {len(train_rows)} images in {seconds:.0f} s; scored on {len(test_rows)} "
        "held-out images."
    )
    report.heading("Counterfactual images")
    report.figure(
        grid_figure(evaluation.columns), "counterfactuals",
        "Each row a held-out digit: factual, four interventions, and the null intervention "
        "applied once and ten times.",
    )  # fmt: skip
    report.heading("Soundness metrics (Monteiro et al. 2023)")
    report.table(evaluation.table())
    report.text(
        "Thickness and intensity of counterfactual images are measured by the Morpho-MNIST "
        "morphometrics, and predicted by CNNs trained on the fit rows (the anti-causal predictors "
        "of Melistas et al. 2024; their error on real held-out digits is their floor); the digit "
        "and the realism features come from a CNN trained on the fit "
        f"rows (held-out accuracy {evaluation.classifier_accuracy:.3f}). The Fréchet distance is "
        "in that CNN's feature space, not Inception's, so it is comparable only within this report."
    )
    path = report.write(out)
    for k, v in evaluation.metrics.items():
        print(f"  {k}: {v:.3f}")
    print(f"Report: {path}")
    return path
