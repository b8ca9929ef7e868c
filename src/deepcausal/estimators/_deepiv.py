"""Deep IV: instrumental-variable regression with two neural networks (Hartford, Lewis,
Leyton-Brown & Taddy 2017, "Deep IV: A flexible approach for counterfactual prediction", ICML).

With an instrument ``Z`` that moves the treatment ``T`` and reaches the outcome only through it,
and covariates ``X``, the structural response ``h(t, x)`` solves

    E[Y | x, z] = ∫ h(t, x) dF(t | x, z).

Stage 1 fits the treatment's conditional distribution ``F(t | x, z)``: a mixture density network
for a continuous treatment (a mixture of Gaussians whose weights, means and scales an MLP of
``[x, z]`` outputs; Bishop 1994), a softmax classifier for a discrete one. Stage 2 fits ``h`` by
minimising the loss of the integral, ``(y - ∫ h(t, x) dF̂(t | x, z))²``: for a discrete treatment
the integral is the exact sum over its values; for a continuous one it is a Monte Carlo average
over draws from ``F̂``, taken as the paper's unbiased product of two independent halves of the
draws, ``(y - h̄_a)(y - h̄_b)``, whose expectation is the loss of the exact integral.

Both stages train through :func:`deepcausal.nn.train` on one held-out split; their held-out losses
(``stage1_loss_``, ``stage2_loss_``) are what :func:`select_deepiv` compares to choose the
hyper-parameters, as the authors advise: no counterfactual is needed.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import torch
from sklearn.base import clone
from torch import nn

from deepcausal.errors import DataError
from deepcausal.estimators._base import Effect, normal_effect
from deepcausal.estimators._iv import BaseIVEstimator, WeakInstrumentWarning
from deepcausal.estimators._nuisance import seeds
from deepcausal.nn import MLP, Activation, TrainConfig, seed_everything, train, validation_split

__all__ = ["DeepIV", "select_deepiv"]

TreatmentType = Literal["auto", "continuous", "discrete"]
_MAX_DISCRETE = 10
#: Both stages' default training: early stopping with a long patience, as the integrated loss is
#: noisy (a Monte Carlo product).
_DEFAULT_CONFIG = TrainConfig(progress=False, max_epochs=400, patience=30, batch_size=128)
_CHUNK = 8192
#: Parameters of each stage, for :func:`select_deepiv`.
STAGE1_PARAMS = frozenset({"n_components", "first_stage_hidden"})
STAGE2_PARAMS = frozenset({"response_hidden", "n_samples"})


class _Response(nn.Module):
    """``h(t, x)`` on standardised inputs (a one-hot ``t`` for a discrete treatment)."""

    def __init__(self, t_width: int, x_width: int, hidden: Sequence[int], act: Activation,
                 dropout: float) -> None:  # fmt: skip
        super().__init__()
        self.net = MLP(t_width + x_width, 1, hidden=hidden, activation=act, dropout=dropout)

    def forward(self, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([t, x], dim=-1)).squeeze(-1)


class DeepIV(BaseIVEstimator):
    """Deep IV (Hartford et al. 2017): a mixture density network for the treatment given the
    instruments and covariates, then a response network trained on the integrated loss.

    Args:
        n_components: Gaussian components of the stage-1 mixture (continuous treatment).
        first_stage_hidden: hidden widths of the stage-1 network (the paper's).
        response_hidden: hidden widths of the response network ``h`` (wider than the paper's
            ``(128, 64, 32)``, which left twice the error on the demand design).
        activation: non-linearity of both networks.
        dropout: dropout rate; ``"auto"`` is the paper's ``min(1000 / (1000 + n), 0.5)``. The
            default is none: on the demand design dropout raised the error of ``h`` fourfold.
        n_samples: treatment draws per unit for the stage-2 Monte Carlo integral (an even number:
            two independent halves); ignored for a discrete treatment.
        treatment_type: ``"continuous"``, ``"discrete"`` or ``"auto"`` (discrete when ``t`` takes
            at most 10 values).
        train_config: settings of both stages' training (early stopping on the held-out rows).
        n_ensemble: independently seeded fits (both stages) whose responses are averaged; 1 is
            the paper's single model. On the demand design five members cut the error of ``h``
            by half or more (the fits' optimisation noise averages out).
        n_bootstrap: refits on resampled rows for the interval of :meth:`ate` (0: no interval).
            Each refit is a single model (``n_ensemble=1``), whose spread is at least the
            ensemble's: the interval errs on the wide side.
        random_state: seed of the split, the initial weights and the draws.

    Attributes:
        stage1_loss_: held-out negative log-likelihood of the treatment model.
        stage2_loss_: held-out integrated loss of the response (standardised outcome scale).
        first_stage_f_: the instruments' linear first-stage F statistic.

    Examples:
        >>> from deepcausal.datasets import simulate_demand
        >>> sim = simulate_demand(2000, random_state=0)
        >>> d = sim.data
        >>> quick = TrainConfig(max_epochs=5, progress=False)
        >>> est = DeepIV(n_ensemble=1, n_bootstrap=0, train_config=quick, random_state=0).fit(
        ...     d[["time", "emotion"]], d["price"], d["sales"], instruments=d["cost"])
        >>> est.predict(d[["time", "emotion"]], 20.0).shape
        (2000,)
    """

    _method = "DeepIV"

    def __init__(
        self,
        *,
        n_components: int = 10,
        first_stage_hidden: Sequence[int] = (128, 64, 32),
        response_hidden: Sequence[int] = (256, 128, 64),
        activation: Activation = "silu",
        dropout: float | Literal["auto"] = 0.0,
        n_samples: int = 10,
        treatment_type: TreatmentType = "auto",
        train_config: TrainConfig | None = None,
        n_ensemble: int = 5,
        n_bootstrap: int = 10,
        random_state: int | None = None,
    ) -> None:
        self.n_components = n_components
        self.first_stage_hidden = first_stage_hidden
        self.response_hidden = response_hidden
        self.activation = activation
        self.dropout = dropout
        self.n_samples = n_samples
        self.treatment_type = treatment_type
        self.train_config = train_config
        self.n_ensemble = n_ensemble
        self.n_bootstrap = n_bootstrap
        self.random_state = random_state

    # -- the two stages
    def _check_params(self) -> None:
        if int(self.n_components) < 1:
            raise ValueError(f"n_components must be >= 1, got {self.n_components}")
        if int(self.n_samples) < 2 or int(self.n_samples) % 2:
            raise ValueError(f"n_samples must be an even number >= 2, got {self.n_samples}")
        if self.treatment_type not in ("auto", "continuous", "discrete"):
            raise ValueError(
                f"treatment_type must be 'auto', 'continuous' or 'discrete', got "
                f"{self.treatment_type!r}"
            )
        if int(self.n_ensemble) < 1:
            raise ValueError(f"n_ensemble must be >= 1, got {self.n_ensemble}")
        if int(self.n_bootstrap) < 0 or int(self.n_bootstrap) == 1:
            raise ValueError(f"n_bootstrap must be 0 or >= 2, got {self.n_bootstrap}")
        if self.dropout != "auto" and not 0.0 <= float(self.dropout) < 1.0:
            raise ValueError(f"dropout must be 'auto' or in [0, 1), got {self.dropout}")

    def _fit(self, X: np.ndarray | None, t: np.ndarray, y: np.ndarray, Z: np.ndarray) -> None:
        self._check_params()
        self._prepare(X, t, y, Z)
        self._fit_stage1()
        self._fit_stage2()
        self._members(X, t, y, Z)
        self._bootstrap(X, t, y, Z)

    def _prepare(self, X: np.ndarray | None, t: np.ndarray, y: np.ndarray, Z: np.ndarray) -> None:
        n = t.shape[0]
        values = np.unique(t)
        kind = self.treatment_type
        if kind == "auto":
            kind = "discrete" if values.size <= _MAX_DISCRETE else "continuous"
        if kind == "discrete" and values.size > 50:
            raise DataError(
                f"treatment_type='discrete' but t takes {values.size} values; use 'continuous'"
            )
        self.treatment_kind_ = kind
        self.treatment_values_ = values if kind == "discrete" else None
        self._levels = int(values.size) if kind == "discrete" else 0
        cfg = self.train_config or _DEFAULT_CONFIG
        seed = seed_everything(
            self.random_state if self.random_state is not None else cfg.random_state
        )
        self._config = dataclasses.replace(cfg, random_state=seed)
        self._seed = seed
        self.dropout_ = (
            min(1000.0 / (1000.0 + n), 0.5) if self.dropout == "auto" else float(self.dropout)
        )
        Xa = np.zeros((n, 0)) if X is None else X
        self.x_mean_, self.x_scale_ = _moments(Xa)
        self.z_mean_, self.z_scale_ = _moments(Z)
        self.t_mean_, self.t_scale_ = (0.0, 1.0) if kind == "discrete" else _moments1(t)
        self.y_mean_, self.y_scale_ = _moments1(y)
        f32 = torch.float32
        self._x = torch.as_tensor((Xa - self.x_mean_) / self.x_scale_, dtype=f32)
        self._z = torch.as_tensor((Z - self.z_mean_) / self.z_scale_, dtype=f32)
        self._y = torch.as_tensor((y - self.y_mean_) / self.y_scale_, dtype=f32)
        if kind == "discrete":
            self._t = torch.as_tensor(np.searchsorted(values, t), dtype=torch.long)
        else:
            self._t = torch.as_tensor((t - self.t_mean_) / self.t_scale_, dtype=f32)
        self._split = validation_split(n, self._config)

    def _fit_stage1(self) -> None:
        width = self._x.shape[1] + self._z.shape[1]
        k = self._levels if self.treatment_kind_ == "discrete" else 3 * int(self.n_components)
        net = MLP(width, k, hidden=self.first_stage_hidden, activation=self.activation,
                  dropout=self.dropout_)  # fmt: skip
        torch.manual_seed(self._seed)

        def nll(batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
            xb, zb, tb = batch
            out = net(torch.cat([xb, zb], dim=-1))
            if self.treatment_kind_ == "discrete":
                return nn.functional.cross_entropy(out, tb)
            return -_mixture_log_prob(out, tb).mean()

        res = train(net, nll, [self._x, self._z, self._t], self._config, split=self._split,
                    description="DeepIV stage 1 (treatment model)")  # fmt: skip
        net.eval()
        self.stage1_net_, self.stage1_result_ = net, res
        self.stage1_loss_ = res.best_val_loss if res.val_loss else res.train_loss[-1]

    def _fit_stage2(self) -> None:
        discrete = self.treatment_kind_ == "discrete"
        t_width = self._levels if discrete else 1
        h = _Response(t_width, self._x.shape[1], self.response_hidden, self.activation,
                      self.dropout_)  # fmt: skip
        stage1 = self.stage1_net_
        for p in stage1.parameters():
            p.requires_grad_(False)
        torch.manual_seed(self._seed + 1)
        half = int(self.n_samples) // 2

        def loss(batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
            xb, zb, yb = batch
            with torch.no_grad():
                out = stage1(torch.cat([xb, zb], dim=-1))
            if discrete:
                probs = torch.softmax(out, dim=-1)  # (b, k)
                eye = torch.eye(t_width, device=xb.device)
                values = torch.stack([h(eye[j].expand(len(xb), -1), xb) for j in range(t_width)],
                                     dim=-1)  # fmt: skip
                return ((yb - (probs * values).sum(-1)) ** 2).mean()
            draws = _mixture_sample(out, 2 * half)  # (b, s)
            b = xb.shape[0]
            xs = xb.unsqueeze(1).expand(b, 2 * half, -1).reshape(b * 2 * half, -1)
            hs = h(draws.reshape(-1, 1), xs).reshape(b, 2 * half)
            return ((yb - hs[:, :half].mean(1)) * (yb - hs[:, half:].mean(1))).mean()

        res = train(h, loss, [self._x, self._z, self._y], self._config, split=self._split,
                    description="DeepIV stage 2 (response)")  # fmt: skip
        h.eval()
        self.response_net_, self.stage2_result_ = h, res
        self.stage2_loss_ = res.best_val_loss if res.val_loss else res.train_loss[-1]
        for name in ("_x", "_z", "_t", "_y", "_split"):
            delattr(self, name)

    def _members(self, X: np.ndarray | None, t: np.ndarray, y: np.ndarray, Z: np.ndarray) -> None:
        """The other members of the ensemble: the same data, their own seeds."""
        self.members_: list[DeepIV] = []
        for seed in seeds(self._seed + 7919, int(self.n_ensemble) - 1):
            member = clone(self).set_params(n_bootstrap=0, n_ensemble=1, random_state=seed)
            with warnings.catch_warnings():  # the first fit reported the instruments' F
                warnings.simplefilter("ignore", WeakInstrumentWarning)
                member.fit(X, t, y, instruments=Z)
            self.members_.append(member)

    def _bootstrap(self, X: np.ndarray | None, t: np.ndarray, y: np.ndarray, Z: np.ndarray) -> None:
        self.bootstrap_models_: list[DeepIV] = []
        n_boot = int(self.n_bootstrap)
        if n_boot == 0:
            return
        rng_seed, *refit_seeds = seeds(self._seed, n_boot + 1)
        rng = np.random.default_rng(rng_seed)
        n = t.shape[0]
        for seed in refit_seeds:
            idx = rng.integers(0, n, size=n)
            rep = clone(self).set_params(n_bootstrap=0, n_ensemble=1, random_state=seed)
            with warnings.catch_warnings():  # the full-data fit reported the instruments' F
                warnings.simplefilter("ignore", WeakInstrumentWarning)
                rep.fit(None if X is None else X[idx], t[idx], y[idx], instruments=Z[idx])
            self.bootstrap_models_.append(rep)

    # -- predictions
    def _predict(self, X: np.ndarray | None, t: np.ndarray) -> np.ndarray:
        out = self._predict_one(X, t)
        for member in getattr(self, "members_", []):
            out = out + member._predict_one(X, t)
        return np.asarray(out / (1 + len(getattr(self, "members_", []))))

    def _predict_one(self, X: np.ndarray | None, t: np.ndarray) -> np.ndarray:
        n = t.shape[0]
        Xa = np.zeros((n, 0)) if X is None else X
        net = self.response_net_
        device = next(net.parameters()).device
        if self.treatment_kind_ == "discrete":
            values = self.treatment_values_
            assert values is not None
            codes = np.searchsorted(values, t)
            bad = (codes >= len(values)) | (values[np.minimum(codes, len(values) - 1)] != t)
            if bad.any():
                raise DataError(
                    f"t = {t[bad][0]!r} is not a value the discrete treatment took at fit "
                    f"({values.tolist()})"
                )
            tt = np.eye(len(values))[codes]
        else:
            tt = ((t - self.t_mean_) / self.t_scale_).reshape(-1, 1)
        xs = (Xa - self.x_mean_) / self.x_scale_
        out = []
        with torch.no_grad():
            for s in range(0, n, _CHUNK):
                tb = torch.as_tensor(tt[s : s + _CHUNK], dtype=torch.float32, device=device)
                xb = torch.as_tensor(xs[s : s + _CHUNK], dtype=torch.float32, device=device)
                out.append(net(tb, xb).cpu().numpy().astype(np.float64))
        return np.concatenate(out) * self.y_scale_ + self.y_mean_

    def _ate(self, t0: float, t1: float, level: float) -> Effect:
        X = self.fit_data_[0]
        value = float(np.mean(self.effect(X, t0, t1)))
        reps = [float(np.mean(m.effect(X, t0, t1))) for m in self.bootstrap_models_]
        se = float(np.std(reps, ddof=1)) if len(reps) > 1 else math.inf
        how = f"bootstrap ({len(reps)} refits)" if reps else "no interval: n_bootstrap=0"
        return normal_effect(value, se, level=level, method=f"DeepIV, {how}",
                             estimand=f"ATE (t={t1:g} vs t={t0:g})")  # fmt: skip

    def sample_treatment(self, X: Any, instruments: Any, n_samples: int = 1) -> np.ndarray:
        """Draws from the fitted stage-1 model ``F̂(t | x, z)``, shape ``(n, n_samples)``."""
        self._check_fitted()
        Xa = self._check_X(X)
        Z = np.asarray(instruments, dtype=float).reshape(len(np.asarray(instruments)), -1)
        n = Z.shape[0]
        xs = (np.zeros((n, 0)) if Xa is None else Xa - self.x_mean_) / self.x_scale_
        inp = torch.as_tensor(np.column_stack([xs, (Z - self.z_mean_) / self.z_scale_]),
                              dtype=torch.float32)  # fmt: skip
        with torch.no_grad():
            out = self.stage1_net_(inp.to(next(self.stage1_net_.parameters()).device)).cpu()
        if self.treatment_kind_ == "discrete":
            assert self.treatment_values_ is not None
            codes = torch.multinomial(torch.softmax(out, -1), n_samples, replacement=True)
            return np.asarray(self.treatment_values_)[codes.numpy()]
        return _mixture_sample(out, n_samples).numpy() * self.t_scale_ + self.t_mean_


def _moments(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = a.mean(axis=0) if a.shape[1] else np.zeros(0)
    scale = a.std(axis=0) if a.shape[1] else np.ones(0)
    return mean, np.where(scale > 0, scale, 1.0)


def _moments1(a: np.ndarray) -> tuple[float, float]:
    return float(a.mean()), float(a.std()) or 1.0


def _mixture_parts(out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    logits, means, raw = out.chunk(3, dim=-1)
    scales = nn.functional.softplus(raw) + 1e-3
    return torch.log_softmax(logits, -1), means, scales


def _mixture_log_prob(out: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    log_w, means, scales = _mixture_parts(out)
    comp = torch.distributions.Normal(means, scales).log_prob(t.unsqueeze(-1))
    return torch.logsumexp(log_w + comp, dim=-1)


def _mixture_sample(out: torch.Tensor, n: int) -> torch.Tensor:
    """``n`` draws per row from the mixture ``out`` parameterises, shape ``(rows, n)``."""
    log_w, means, scales = _mixture_parts(out)
    comp = torch.multinomial(log_w.exp(), n, replacement=True)
    mu, sd = means.gather(1, comp), scales.gather(1, comp)
    return mu + sd * torch.randn_like(mu)


def select_deepiv(
    X: Any,
    t: Any,
    y: Any,
    *,
    instruments: Any,
    grid: Mapping[str, Sequence[Any]],
    base: DeepIV | None = None,
) -> DeepIV:
    """Choose DeepIV's hyper-parameters on held-out stage losses only (Hartford et al. 2017, §3):
    the stage-1 settings (``n_components``, ``first_stage_hidden``) by the treatment model's
    held-out likelihood, then the stage-2 settings (``response_hidden``, ``n_samples``) by the
    held-out integrated loss of the response, with the chosen stage 1. The winner is refit with
    ``base``'s ensemble and bootstrap (the trials are single models). The split is ``base.train_config``'s (every candidate sees the same).

    Returns:
        The fitted winner; ``search_results_`` on it lists every candidate's held-out loss.

    Raises:
        ValueError: a grid key that is neither stage's parameter, or an empty list.
    """
    est = base if base is not None else DeepIV()
    unknown = set(grid) - STAGE1_PARAMS - STAGE2_PARAMS
    if unknown:
        raise ValueError(
            f"grid keys {sorted(unknown)} are not stage parameters; stage 1: "
            f"{sorted(STAGE1_PARAMS)}, stage 2: {sorted(STAGE2_PARAMS)}"
        )
    for key, values in grid.items():
        if not len(values):
            raise ValueError(f"grid[{key!r}] is empty")
    results: list[dict[str, Any]] = []

    def candidates(keys: frozenset[str]) -> list[dict[str, Any]]:
        names = [k for k in grid if k in keys]
        return [
            dict(zip(names, v, strict=True)) for v in itertools.product(*(grid[k] for k in names))
        ]

    best1: tuple[float, dict[str, Any]] = (math.inf, {})
    for params in candidates(STAGE1_PARAMS):
        trial = clone(est).set_params(n_bootstrap=0, n_ensemble=1, **params)
        trial.fit(X, t, y, instruments=instruments)
        results.append({"stage": 1, **params, "held_out_loss": trial.stage1_loss_})
        if trial.stage1_loss_ < best1[0]:
            best1 = (trial.stage1_loss_, params)
    best2: tuple[float, dict[str, Any]] = (math.inf, {})
    for params in candidates(STAGE2_PARAMS):
        trial = clone(est).set_params(n_bootstrap=0, n_ensemble=1, **best1[1], **params)
        trial.fit(X, t, y, instruments=instruments)
        results.append({"stage": 2, **params, "held_out_loss": trial.stage2_loss_})
        if trial.stage2_loss_ < best2[0]:
            best2 = (trial.stage2_loss_, params)
    winner = clone(est).set_params(**best1[1], **best2[1])
    winner.fit(X, t, y, instruments=instruments)
    winner.search_results_ = results
    return winner
