"""How good and how fair a synthetic table is, as DECAF reports it (van Breugel et al. 2021)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from deepcausal.errors import DataError

__all__ = ["downstream_fairness", "precision_recall", "table_design"]


def _is_numeric(series: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(series)) and not pd.api.types.is_bool_dtype(series)


def table_design(frame: pd.DataFrame, reference: pd.DataFrame) -> np.ndarray:
    """``frame`` as numbers on ``reference``'s terms: numeric columns standardised by the
    reference's mean and sd, categorical ones one-hot over the reference's levels (a level the
    reference lacks is all zeros)."""
    missing = [c for c in reference.columns if c not in frame.columns]
    if missing:
        raise DataError(f"the table lacks column(s) {missing} of the reference")
    blocks = []
    for column in reference.columns:
        ref = reference[column]
        if _is_numeric(ref):
            values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
            sd = float(ref.std()) or 1.0
            blocks.append(((values - float(ref.mean())) / sd)[:, None])
        else:
            levels = sorted(ref.dropna().unique(), key=str)
            codes = frame[column].to_numpy(dtype=object)
            blocks.append(np.stack([codes == level for level in levels], axis=1).astype(float))
    design = np.concatenate(blocks, axis=1)
    if not np.isfinite(design).all():
        raise DataError("the table has missing or non-numeric values in numeric columns")
    return design


def precision_recall(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    k: int = 5,
    max_rows: int = 5000,
    random_state: int | None = 0,
) -> tuple[float, float]:
    """Improved precision and recall of a generative model (Kynkäänniemi, Karras, Laine, Lehtinen &
    Aila, NeurIPS 2019; Sajjadi et al. 2018 before them).

    Each sample's manifold is the union of balls around its points with radius the distance to the
    ``k``-th nearest neighbour in the same sample. Precision: the share of synthetic rows inside the
    real manifold (fidelity); recall: the share of real rows inside the synthetic manifold
    (diversity). Rows are encoded by :func:`table_design` with ``real`` as the reference, and each
    sample is subsampled to ``max_rows``.

    >>> rng = np.random.default_rng(0)
    >>> a = pd.DataFrame({"x": rng.normal(size=800)})
    >>> p, r = precision_recall(a, pd.DataFrame({"x": rng.normal(size=800)}))
    >>> p > 0.9 and r > 0.9
    True
    >>> precision_recall(a, pd.DataFrame({"x": rng.normal(5, 1, size=800)}))[0] < 0.2
    True
    """
    from sklearn.neighbors import NearestNeighbors

    rng = np.random.default_rng(random_state)

    def subsample(frame: pd.DataFrame) -> pd.DataFrame:
        if len(frame) <= max_rows:
            return frame
        return frame.iloc[rng.choice(len(frame), max_rows, replace=False)]

    r = table_design(subsample(real), real)
    s = table_design(subsample(synthetic), real)
    if min(len(r), len(s)) <= k:
        raise DataError(f"precision and recall need more than k={k} rows in each table")

    def radii(points: np.ndarray) -> np.ndarray:
        nn = NearestNeighbors(n_neighbors=k + 1).fit(points)
        return np.asarray(nn.kneighbors(points)[0][:, -1])

    def coverage(points: np.ndarray, centres: np.ndarray, radius: np.ndarray) -> float:
        nn = NearestNeighbors(n_neighbors=min(len(centres), 2 * k + 1)).fit(centres)
        dist, idx = nn.kneighbors(points)
        return float(np.mean((dist <= radius[idx]).any(axis=1)))

    return coverage(s, r, radii(r)), coverage(r, s, radii(s))


def downstream_fairness(
    train: pd.DataFrame,
    test: pd.DataFrame,
    target: str,
    protected: str,
    positive: Any = None,
    classifier: Any = None,
) -> dict[str, float]:
    """Train a classifier of ``target`` on ``train`` (e.g. synthetic rows), test it on real
    ``test`` rows, and measure its quality and fairness, as DECAF evaluates synthetic data.

    * ``auroc`` — area under the ROC curve on ``test``;
    * ``ftu`` — fairness through unawareness, ``|P(ŷ = 1 | do(A = a1)) − P(ŷ = 1 | do(A = a0))|``:
      the test rows with the protected column set to each level (the largest gap for more);
    * ``dp`` — demographic parity, ``|P(ŷ = 1 | A = a1) − P(ŷ = 1 | A = a0)|`` on the test rows.

    ``ŷ`` is the predicted label at probability 0.5. The classifier (default: scikit-learn's
    histogram gradient boosting) sees every column but the target, the protected one included;
    ``positive`` is the target's positive level (default: the last in sorted order).
    """
    from sklearn.base import clone
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score

    for name in (target, protected):
        if name not in train.columns or name not in test.columns:
            raise DataError(f"column {name!r} is missing from the train or test table")
    levels = sorted(pd.concat([train[target], test[target]]).dropna().unique(), key=str)
    if len(levels) != 2:
        raise DataError(f"the target {target!r} must have 2 levels, got {levels[:5]}")
    positive = levels[-1] if positive is None else positive
    features = [c for c in test.columns if c != target]
    reference = test[features]
    model = clone(classifier) if classifier is not None else HistGradientBoostingClassifier(
        random_state=0
    )  # fmt: skip
    y_train = (train[target] == positive).to_numpy(dtype=int)
    if y_train.min() == y_train.max():
        raise DataError(f"the training table has a single level of {target!r}")
    model.fit(table_design(train[features], reference), y_train)
    y_test = (test[target] == positive).to_numpy(dtype=int)
    proba = model.predict_proba(table_design(test[features], reference))[:, 1]
    groups = sorted(test[protected].dropna().unique(), key=str)
    label = proba >= 0.5
    dp = max(
        abs(float(label[test[protected] == a].mean()) - float(label[test[protected] == b].mean()))
        for i, a in enumerate(groups)
        for b in groups[i + 1 :]
    )
    rates = []
    for level in groups:
        flipped = test[features].copy()
        flipped[protected] = level
        rates.append(
            float((model.predict_proba(table_design(flipped, reference))[:, 1] >= 0.5).mean())
        )
    return {
        "auroc": float(roc_auc_score(y_test, proba)),
        "ftu": float(max(rates) - min(rates)),
        "dp": float(dp),
    }
