"""Neural effect estimators fitted to a Parquet table too large for memory, streamed in row groups.

:func:`fit_streamed` fits a :class:`TARNet`, :class:`CFRNet` or :class:`DragonNet` with the one
training loop reading a :class:`~deepcausal.nn.BatchStream`, in three kinds of pass over the files:

1. **moments**: the covariates' and the outcome's means and standard deviations (merged row group
   by row group), the treatment's values and the outcome's kind, each row group checked for
   missing or non-finite values (the error names the column and the table row);
2. **training epochs**: standardised ``(x, t, y)`` batches of the training rows, shuffled by row
   group and within it; at most ``validation_rows`` rows, held out by a hash of their position,
   stay in memory for early stopping;
3. **scoring**: one pass that averages what the ATE needs over every row. DragonNet's ATE is the
   AIPW estimate from its outcome and propensity heads, with the Wald interval of its efficient
   influence function (Shi, Blei & Veitch 2019), exactly as in memory: the scores' mean and
   variance are merged over row groups. TARNet and CFR take their interval from bootstrap refits
   in memory, which a table beyond memory cannot afford: their streamed ``ate()`` raises, and
   ``effect(X)`` (per-unit effects) works as after an ordinary fit.
"""

from __future__ import annotations

import dataclasses
import math
import os
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch

from deepcausal.data import ParquetSource, RunningMoments
from deepcausal.errors import CapabilityError, DataError, OverlapWarning
from deepcausal.estimators._aipw import aipw_ate_scores
from deepcausal.estimators._deep import NeuralEffectEstimator
from deepcausal.estimators._dragonnet import DragonNet
from deepcausal.estimators._overlap import clip_propensity
from deepcausal.nn import Batch, BatchStream, shuffled_batches

__all__ = ["StreamedFit", "fit_streamed"]


@dataclasses.dataclass(frozen=True)
class StreamedFit:
    """What a streamed fit keeps of its table: where it is, which columns played which part, and
    the scoring pass's moments.

    Attributes:
        path: the Parquet file or directory.
        treatment, outcome: the column names.
        covariates: the covariate columns, in the network's input order.
        n_rows: rows in the table (all of them scored).
        held_out_rows: rows held out from training for early stopping.
        score_mean, score_var: mean and variance (ddof=1) of DragonNet's AIPW scores over every
            row; for TARNet and CFR the plug-in mean of the per-unit effects, variance NaN.
        poor_overlap: share of rows whose propensity lies outside [clip, 1 - clip] (DragonNet).
    """

    path: str
    treatment: str
    outcome: str
    covariates: tuple[str, ...]
    n_rows: int
    held_out_rows: int
    score_mean: float
    score_var: float
    poor_overlap: float


class _EffectRows(BatchStream):
    """Standardised ``(x, t, y)`` batches of a table's training rows."""

    def __init__(self, est: NeuralEffectEstimator, source: ParquetSource, plan: _Plan) -> None:
        self.est, self.source, self.plan = est, source, plan
        held = [
            self._tensors(frame[mask])[0]
            for frame, mask in source.split_frames(plan.columns, plan.fraction, plan.seed)
        ]
        self._validation: Batch = tuple(torch.cat(parts) for parts in zip(*held, strict=True))
        self.n_train = source.n_rows - int(self._validation[0].shape[0])

    def _tensors(self, frame: pd.DataFrame) -> tuple[Batch, np.ndarray]:
        est, plan = self.est, self.plan
        X = frame[list(plan.covariates)].to_numpy(dtype=np.float64)
        t = (frame[plan.treatment].to_numpy() == est.classes_[1]).astype(np.int64)
        y = frame[plan.outcome].to_numpy(dtype=np.float64)
        x = torch.as_tensor((X - est.x_mean_) / est.x_scale_, dtype=torch.float32)
        yt = torch.as_tensor((y - est.y_mean_) / est.y_scale_, dtype=torch.float32)
        return (x, torch.as_tensor(t), yt), X

    def batches(self, epoch: int, batch_size: int, rng: np.random.Generator) -> Iterator[Batch]:
        order = [int(k) for k in rng.permutation(self.source.n_row_groups)]
        frames = self.source.split_frames(
            self.plan.columns, self.plan.fraction, self.plan.seed, order
        )
        pieces = (self._tensors(frame[~mask])[0] for frame, mask in frames)
        return shuffled_batches(pieces, batch_size, rng)

    def validation(self) -> Batch:
        return self._validation


@dataclasses.dataclass(frozen=True)
class _Plan:
    covariates: tuple[str, ...]
    treatment: str
    outcome: str
    fraction: float
    seed: int

    @property
    def columns(self) -> list[str]:
        return [*self.covariates, self.treatment, self.outcome]


def fit_streamed(
    estimator: NeuralEffectEstimator,
    data: str | os.PathLike[str] | ParquetSource,
    *,
    treatment: str,
    outcome: str,
    covariates: Sequence[str] | None = None,
    control: Any = None,
    validation_rows: int = 100_000,
) -> NeuralEffectEstimator:
    """Fit a TARNet, CFRNet or DragonNet to a Parquet file or directory, streamed in row groups
    (see the module docstring).

    Args:
        estimator: an unfitted (or to be refitted) neural effect estimator.
        data: a Parquet file, a directory of them, or a :class:`~deepcausal.data.ParquetSource`.
        treatment: the binary treatment column.
        outcome: the outcome column (continuous, or 0/1).
        covariates: the adjustment columns (default: every other column).
        control: the treatment value of the control arm (default: the smaller one).
        validation_rows: at most about this many rows are held out (the training configuration's
            validation fraction shrinks to fit).

    Returns:
        The estimator, fitted: ``effect(X)`` and ``predict_outcomes(X)`` for rows in memory,
        ``ate()`` from the scoring pass (DragonNet), and ``streamed_`` (a :class:`StreamedFit`).

    Raises:
        SchemaError: a named column missing from the files.
        DataError: NaN or infinite values (column and table row named), a treatment without
            exactly two values, or an unknown ``control``.
    """
    if not isinstance(estimator, NeuralEffectEstimator):
        raise CapabilityError(
            f"fit_streamed fits TARNet, CFRNet or DragonNet, not {type(estimator).__name__}; "
            "other estimators need the rows in memory"
        )
    source = data if isinstance(data, ParquetSource) else ParquetSource(data)
    named = [treatment, outcome, *(covariates or [])]
    source.check_columns(named, "the estimator")
    cov = tuple(covariates) if covariates is not None else tuple(
        c for c in source.columns if c not in (treatment, outcome)
    )  # fmt: skip
    if not cov:
        raise DataError("no covariate columns: name them, or add them to the files")
    est = estimator
    est._start_fit()
    cfg, seed = est._seeded_config()
    fraction = source.held_out_share(cfg.validation_fraction, validation_rows)
    plan = _Plan(cov, treatment, outcome, fraction, seed)
    _moments(est, source, plan, control)
    stream = _EffectRows(est, source, plan)
    est._train(stream, len(cov), cfg)
    mean, var, poor = _score(est, stream)
    held = source.n_rows - stream.n_train
    est.streamed_ = StreamedFit(
        str(source.path), treatment, outcome, cov, source.n_rows, held, mean, var, poor
    )
    return est


def _moments(est: NeuralEffectEstimator, source: ParquetSource, plan: _Plan, control: Any) -> None:
    """Pass 1: scaling, arms and outcome kind, every row group checked."""
    xs, ys = RunningMoments(len(plan.covariates)), RunningMoments(1)
    values: set[Any] = set()
    counts: dict[Any, int] = {}
    y_binary = True
    for first, frame in source.frames(plan.columns):
        for col in plan.columns:
            series = frame[col]
            if col == plan.treatment:
                bad = series.isna().to_numpy()
            else:
                try:
                    bad = ~np.isfinite(series.to_numpy(dtype=np.float64))
                except (TypeError, ValueError) as exc:
                    raise DataError(f"column {col!r} is not numeric: {exc}") from exc
            if bad.any():
                rows = (first + np.flatnonzero(bad)[:5]).tolist()
                raise DataError(
                    f"column {col!r} holds missing or non-finite values in {int(bad.sum())} "
                    f"row(s) of the row group starting at row {first} (first rows {rows})"
                )
        for value, count in frame[plan.treatment].value_counts().items():
            counts[value] = counts.get(value, 0) + int(count)
        values.update(counts)
        y = frame[plan.outcome].to_numpy(dtype=np.float64)
        xs.add(frame[list(plan.covariates)].to_numpy(dtype=np.float64))
        ys.add(y[:, None])
        y_binary = y_binary and bool(np.isin(y, (0.0, 1.0)).all())
    if len(values) != 2:
        raise DataError(
            f"the treatment column {plan.treatment!r} takes {len(values)} value(s) "
            f"{sorted(map(str, values))[:6]}; a streamed fit needs a binary treatment"
        )
    arms = sorted(values)
    if control is not None:
        if control not in values:
            raise DataError(f"control={control!r} is not a value of {plan.treatment!r}: {arms}")
        arms = [control, *[v for v in arms if v != control]]
    est.classes_ = np.asarray(arms, dtype=object)
    est.n_features_in_ = len(plan.covariates)
    est.feature_names_in_ = np.asarray(plan.covariates, dtype=object)
    kind = est.outcome_type
    if kind == "auto":
        kind = "binary" if y_binary else "continuous"
    elif kind == "binary" and not y_binary:
        raise DataError(f"outcome_type='binary' but {plan.outcome!r} takes values other than 0/1")
    est.outcome_kind_ = kind
    total = sum(counts.values())
    shares = np.asarray([counts[a] / total for a in arms])
    est._set_scaling(xs.mean, xs.std(), float(ys.mean[0]), float(ys.std()[0]), shares)


def _score(est: NeuralEffectEstimator, stream: _EffectRows) -> tuple[float, float, float]:
    """Pass 3: the AIPW scores (DragonNet) or per-unit effects (TARNet, CFR) over every row."""
    scores = RunningMoments(1)
    poor = 0
    for _, frame in stream.source.frames(stream.plan.columns):
        (_, t, _), X = stream._tensors(frame)
        mu = est._predict_outcomes(X)
        if isinstance(est, DragonNet):
            propensity = est._propensity(X)
            poor += int(((propensity[:, 1] < est.clip) | (propensity[:, 1] > 1 - est.clip)).sum())
            y = frame[stream.plan.outcome].to_numpy(dtype=np.float64)
            e = clip_propensity(propensity, est.clip)
            scores.add(aipw_ate_scores(mu, e, t.numpy(), y, 1)[:, None])
        else:
            scores.add((mu[:, 1] - mu[:, 0])[:, None])
    share = poor / max(scores.n, 1)
    if share > 0:
        warnings.warn(
            f"{est.method_name}: {share:.1%} of the rows have a propensity outside "
            f"[{est.clip}, {1 - est.clip}] (clipped there for the AIPW scores)",
            OverlapWarning,
            stacklevel=3,
        )
    var = float(scores.m2[0] / (scores.n - 1)) if scores.n > 1 else math.inf
    return float(scores.mean[0]), var if isinstance(est, DragonNet) else math.nan, share
