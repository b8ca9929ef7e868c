"""Metrics of counterfactual images: effectiveness, composition, reversibility, minimality and
realism (Monteiro, Ribeiro, Pawlowski, Castro & Glocker 2023, "Measuring axiomatic soundness of
counterfactual image models", ICLR; Melistas et al. 2024, "Benchmarking counterfactual image
generation").

They work on any fitted image SCM that answers ``counterfactual(factual, interventions)`` with a
frame holding the image's flat columns ``name[j]`` (:class:`~deepcausal.scm.DeepSCM` does):

* *effectiveness* — did the intervention do what it asked? An attribute measured on (or predicted
  from) the counterfactual image against the counterfactual value of that attribute;
* *composition* — the null intervention (each parent set to its own value) should leave the image
  alone, applied once or many times: the mean L1 distance to the factual image after 1..k cycles;
* *reversibility* — intervening and then intervening back should return the factual image;
* *minimality* — a counterfactual should change the image no more than needed: the L1 distance
  from the factual image, to be read beside the effectiveness;
* *realism* — the Fréchet distance between feature statistics of real and generated images, in
  the feature space of a network trained on the data at hand (no downloaded Inception weights).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import numpy as np
import pandas as pd
from scipy import linalg

from deepcausal.data import stack_columns
from deepcausal.errors import DataError

__all__ = [
    "composition",
    "effectiveness",
    "frechet_distance",
    "minimality",
    "null_intervention",
    "reversibility",
]


class ImageSCM(Protocol):
    """What the metrics ask of a model: counterfactual rows for factual rows."""

    def counterfactual(self, factual: pd.DataFrame, interventions: Mapping[str, Any]) -> Any: ...


def _with_images(frame: pd.DataFrame, image: str, images: np.ndarray) -> pd.DataFrame:
    out = frame.drop(
        columns=[c for c in frame.columns if c == image or str(c).startswith(f"{image}[")]
    )
    return out.assign(**{image: pd.Series(list(images), index=frame.index, dtype=object)})


def null_intervention(factual: pd.DataFrame, parents: list[str]) -> dict[str, np.ndarray]:
    """Each of ``parents`` set to its own factual value, row by row."""
    missing = [p for p in parents if p not in factual.columns]
    if missing:
        raise DataError(f"the factual rows lack the parent column(s) {missing}")
    return {p: factual[p].to_numpy() for p in parents}


def composition(
    scm: ImageSCM,
    factual: pd.DataFrame,
    image: str,
    parents: list[str],
    shape: tuple[int, ...],
    cycles: int = 10,
) -> np.ndarray:
    """Mean L1 distance (per pixel) between the factual image and the image after 1, 2, ...,
    ``cycles`` applications of the null intervention on ``parents`` (each fed the last output).

    Returns:
        An array of ``cycles`` distances; a sound model keeps them near 0 and flat.
    """
    if cycles < 1:
        raise ValueError(f"cycles must be >= 1, got {cycles}")
    start = stack_columns(factual, image, shape)
    current = factual
    out = []
    for _ in range(cycles):
        cf = scm.counterfactual(current, null_intervention(factual, parents))
        images = stack_columns(cf, image, shape)
        out.append(float(np.abs(images - start).mean()))
        current = _with_images(factual, image, images)
    return np.asarray(out)


def reversibility(
    scm: ImageSCM,
    factual: pd.DataFrame,
    image: str,
    intervention: Mapping[str, Any],
    shape: tuple[int, ...],
) -> float:
    """Mean L1 distance (per pixel) between the factual image and the image after
    ``intervention`` and then the intervention back to the factual values (the second step
    starts from the first's counterfactual rows, every node at its counterfactual value)."""
    forward = scm.counterfactual(factual, dict(intervention))
    there = _with_images(forward, image, stack_columns(forward, image, shape))
    back = scm.counterfactual(there, null_intervention(factual, list(intervention)))
    return float(
        np.abs(stack_columns(back, image, shape) - stack_columns(factual, image, shape)).mean()
    )


def effectiveness(measured: np.ndarray, intended: np.ndarray) -> float:
    """Mean absolute error between an attribute measured on counterfactual images (by a
    morphometric or an anti-causal predictor) and the value the counterfactual gave it."""
    a, b = np.asarray(measured, dtype=float).ravel(), np.asarray(intended, dtype=float).ravel()
    if a.shape != b.shape:
        raise DataError(f"{a.size} measured values for {b.size} intended ones")
    return float(np.abs(a - b).mean())


def minimality(counterfactual_images: np.ndarray, factual_images: np.ndarray) -> float:
    """Mean L1 distance (per pixel) between counterfactual and factual images: how much the edit
    changed, to be read beside its effectiveness (an edit can be effective and still redraw the
    whole image)."""
    a, b = np.asarray(counterfactual_images, float), np.asarray(factual_images, float)
    if a.shape != b.shape:
        raise DataError(f"image arrays of shapes {a.shape} and {b.shape}")
    return float(np.abs(a - b).mean())


def frechet_distance(
    real: np.ndarray,
    generated: np.ndarray,
    features: Callable[[np.ndarray], np.ndarray] | None = None,
) -> float:
    """The Fréchet distance between Gaussians fitted to two sets of feature vectors (FID when the
    features are Inception's; Heusel et al. 2017):
    ``|μ₁ - μ₂|² + tr(Σ₁ + Σ₂ - 2 (Σ₁ Σ₂)^½)``.

    Args:
        real, generated: feature arrays ``(n, d)``, or images when ``features`` maps a batch of
            images to feature vectors (e.g. the penultimate layer of a classifier trained here).
        features: optional feature map.

    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(size=(2000, 3)), rng.normal(size=(2000, 3))
    >>> bool(frechet_distance(a, b) < 0.05), bool(abs(frechet_distance(a, b + 1.0) - 3.0) < 0.2)
    (True, True)
    """
    fa = np.asarray(features(real) if features else real, dtype=np.float64)
    fb = np.asarray(features(generated) if features else generated, dtype=np.float64)
    if fa.ndim != 2 or fb.ndim != 2 or fa.shape[1] != fb.shape[1]:
        raise DataError(f"feature arrays of shapes {fa.shape} and {fb.shape}: need (n, d) each")
    if min(len(fa), len(fb)) < 2:
        raise DataError("the Fréchet distance needs at least 2 rows per set")
    mu = fa.mean(0) - fb.mean(0)
    ca, cb = np.atleast_2d(np.cov(fa, rowvar=False)), np.atleast_2d(np.cov(fb, rowvar=False))
    root = linalg.sqrtm(ca @ cb)
    root = np.real(root)
    return float(mu @ mu + np.trace(ca) + np.trace(cb) - 2.0 * np.trace(root))
