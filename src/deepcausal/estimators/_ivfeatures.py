"""Instrumental variables with a high-dimensional exposure: learned causal features (after Yao,
Chakraborty, Zhang, Shen & Pan, "Deep causal feature extraction" for neuroimaging genetics: genes
→ brain image → disease)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator
from torch import nn

from deepcausal._effect import check_level
from deepcausal.errors import DataError, NotFittedError
from deepcausal.estimators._base import Effect, normal_effect
from deepcausal.estimators._iv import _as_2d, first_stage_f, two_stage_least_squares
from deepcausal.estimators._validation import check_outcome, check_X
from deepcausal.nn import MLP, TrainConfig, seed_everything, train, validation_split

__all__ = ["DeepIVFeatures"]

_DEFAULT_CONFIG = TrainConfig(
    max_epochs=300, batch_size=512, lr=1e-3, patience=30, progress=False, weight_decay=1e-4
)
_CHUNK = 4096


def _ridge_fit(A: torch.Tensor, B: torch.Tensor, alpha: float) -> torch.Tensor:
    """``argmin_W ||B - A W||² + alpha ||W||²`` in closed form (differentiable in ``A``, ``B``)."""
    gram = A.T @ A + alpha * A.shape[0] * torch.eye(A.shape[1], device=A.device, dtype=A.dtype)
    return torch.linalg.solve(gram, A.T @ B)


class DeepIVFeatures(BaseEstimator):
    """Causal features of a high-dimensional exposure (an image, a scan), learned with instruments.

    A network ``f_θ`` maps the exposure ``T`` (``(n, d)`` or an image batch ``(n, c, h, w)``) to
    ``n_features`` features. Stage 1 is a ridge regression of ``f_θ(T)`` on the instruments ``Z``
    (and covariates); stage 2 regresses ``Y`` on the stage-1 predictions. Both stages are solved
    in closed form on each mini-batch and the network is trained through them on the stage-2 loss,
    so the features are the directions of the exposure that the instruments move and that move
    the outcome — the joint training of Yao et al. (deep causal feature extraction, neuroimaging
    genetics) and, for the alternating closed forms, of Xu et al. (2021, DFIV). After training the
    features are fixed and the outcome model is refit by 2SLS on all rows, with HC1 standard errors
    (conditional on the learned features).

    The structural response is ``h(t, x) = β₀ + βᵀ f_θ(t) + γᵀx``; :meth:`effect` and :meth:`ate`
    compare two exposures (e.g. each unit's image and the same image with one attribute changed).

    Finite edits inherit the feature's curvature. Instruments that move an attribute ``a`` over a
    narrow range identify the local slope of the response in ``a``, not whether the response is
    linear in ``a`` or in the learned feature ``f(a)``; a feature curved in ``a`` (the area of a
    disk whose radius carries the effect) makes a large edit's effect ``E[f(a + δ) - f(a)] /
    E[f'(a)]`` times the true one. On ``simulate_image_exposure`` a one-pixel edit is biased by
    +13% to +16% for this reason, a 0.1-pixel edit by +3% to +8% (docs/benchmarks.md). Prefer
    small contrasts, or check the feature against a measured attribute.

    Args:
        n_features: width of the learned feature (1 finds one causal direction).
        network: a ``torch.nn.Module`` mapping a batch of exposures to ``(batch, n_features)``;
            default an MLP ``(128, 64)`` of the flattened exposure.
        ridge: the stage-1 and stage-2 ridge penalties, per row.
        train_config: training settings (early stopping on held-out stage-2 loss).
        random_state: seed.

    Attributes:
        coef_: ``[β₀, β..., γ...]`` of the final 2SLS; ``coef_cov_`` its HC1 covariance.
        first_stage_f_: the instruments' F statistic for the (first) learned feature.
    """

    _method = "DeepIVFeatures"

    def __init__(
        self,
        *,
        n_features: int = 1,
        network: nn.Module | None = None,
        ridge: float = 1e-3,
        train_config: TrainConfig | None = None,
        random_state: int | None = None,
    ) -> None:
        self.n_features = n_features
        self.network = network
        self.ridge = ridge
        self.train_config = train_config
        self.random_state = random_state

    def fit(self, X: Any, t: Any, y: Any, *, instruments: Any) -> DeepIVFeatures:
        """Learn the features and the outcome model.

        Args:
            X: covariates ``(n, d)`` or ``None``.
            t: the exposure, ``(n, p)`` or ``(n, c, h, w)``.
            y: outcome ``(n,)``.
            instruments: ``Z``, ``(n,)`` or ``(n, k)``.

        Raises:
            DataError: non-finite values, mismatched rows, or fewer instruments than features.
        """
        if int(self.n_features) < 1:
            raise ValueError(f"n_features must be >= 1, got {self.n_features}")
        if self.ridge <= 0:
            raise ValueError(f"ridge must be positive, got {self.ridge}")
        Z = check_X(_as_2d(instruments, "instruments"), name="instruments")[0]
        n = Z.shape[0]
        T = self._check_exposure(t, n)
        ya = check_outcome(y, n)
        Xa = None if X is None else check_X(X)[0]
        if Xa is not None and Xa.shape[0] != n:
            raise DataError(f"X has {Xa.shape[0]} rows but the instruments have {n}")
        if Z.shape[1] < int(self.n_features):
            raise DataError(
                f"{Z.shape[1]} instrument(s) for {self.n_features} features: stage 2 needs at "
                "least as many instruments as features"
            )
        self.exposure_shape_ = T.shape[1:]
        cfg = self.train_config or _DEFAULT_CONFIG
        seed = seed_everything(
            self.random_state if self.random_state is not None else cfg.random_state
        )
        cfg = dataclasses.replace(cfg, random_state=seed)
        self.t_mean_, self.t_scale_ = float(T.mean()), float(T.std()) or 1.0
        self.y_mean_, self.y_scale_ = float(ya.mean()), float(ya.std()) or 1.0
        self.z_mean_, z_sd = Z.mean(axis=0), Z.std(axis=0)
        self.z_scale_ = np.where(z_sd > 0, z_sd, 1.0)
        exog = (
            np.zeros((n, 0))
            if Xa is None
            else (Xa - Xa.mean(0)) / np.where(Xa.std(0) > 0, Xa.std(0), 1)
        )
        f32 = torch.float32
        tt = torch.as_tensor((T - self.t_mean_) / self.t_scale_, dtype=f32)
        zz = torch.as_tensor(np.column_stack([(Z - self.z_mean_) / self.z_scale_, exog]), dtype=f32)
        xx = torch.as_tensor(exog, dtype=f32)
        yy = torch.as_tensor((ya - self.y_mean_) / self.y_scale_, dtype=f32)
        net = self.network if self.network is not None else self._default_network(T)
        alpha = float(self.ridge)

        def stage2(batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
            tb, zb, xb, yb = batch
            ones = torch.ones(tb.shape[0], 1, device=tb.device)
            feats = net(tb).reshape(tb.shape[0], -1)
            inst = torch.cat([ones, zb], dim=1)
            predicted = inst @ _ridge_fit(inst, feats, alpha)  # stage 1
            design = torch.cat([ones, predicted, xb], dim=1)
            beta = _ridge_fit(design, yb.unsqueeze(1), alpha)  # stage 2
            return ((yb.unsqueeze(1) - design @ beta) ** 2).mean()

        split = validation_split(n, cfg)
        self.train_result_ = train(net, stage2, [tt, zz, xx, yy], cfg, split=split,
                                   description="DeepIVFeatures")  # fmt: skip
        net.eval()
        self.network_ = net
        F = self._features_scaled(T)
        self.feature_mean_, fsd = F.mean(0), F.std(0)
        self.feature_scale_ = np.where(fsd > 0, fsd, 1.0)
        F = (F - self.feature_mean_) / self.feature_scale_
        self.first_stage_f_ = first_stage_f(F[:, 0], Z, Xa)
        exog_full = np.ones((n, 1)) if Xa is None else np.column_stack([np.ones(n), Xa])
        coef, cov = two_stage_least_squares(ya, exog_full, F, Z)
        k = exog_full.shape[1]  # reorder to [β₀, β..., γ...]
        order = [0, *range(k, k + F.shape[1]), *range(1, k)]
        self.coef_, self.coef_cov_ = coef[order], cov[np.ix_(order, order)]
        self.n_features_in_ = 0 if Xa is None else Xa.shape[1]
        return self

    # -- the learned features and the response
    def features(self, t: Any) -> np.ndarray:
        """The learned causal features of exposures ``t``, standardised on the fit rows."""
        self._check_fitted()
        T = self._check_exposure(t, None)
        return np.asarray((self._features_scaled(T) - self.feature_mean_) / self.feature_scale_)

    def predict(self, X: Any, t: Any) -> np.ndarray:
        """The structural response ``h(t, x)`` per row."""
        F = self.features(t)
        out = self.coef_[0] + F @ self.coef_[1 : 1 + F.shape[1]]
        if self.n_features_in_:
            Xa = check_X(X, n_features=self.n_features_in_)[0]
            out = out + Xa @ self.coef_[1 + F.shape[1] :]
        return np.asarray(out)

    def effect(self, t0: Any, t1: Any) -> np.ndarray:
        """Per-unit effects ``h(t1) - h(t0)`` of moving each unit's exposure from ``t0`` to ``t1``."""
        d = self.features(t1) - self.features(t0)
        return np.asarray(d @ self.coef_[1 : 1 + d.shape[1]])

    def ate(self, t0: Any, t1: Any, level: float = 0.95) -> Effect:
        """The average of :meth:`effect`, with an HC1 interval conditional on the features."""
        level = check_level(level)
        d = (self.features(t1) - self.features(t0)).mean(0)
        k = d.shape[0]
        value = float(d @ self.coef_[1 : 1 + k])
        var = float(d @ self.coef_cov_[1 : 1 + k, 1 : 1 + k] @ d)
        return normal_effect(value, math.sqrt(max(var, 0.0)), level=level,
                             method="DeepIVFeatures, 2SLS on the learned features (HC1)",
                             estimand="ATE (exposure t1 vs t0)")  # fmt: skip

    # -- helpers
    def _default_network(self, T: np.ndarray) -> nn.Module:
        width = int(np.prod(T.shape[1:]))
        return nn.Sequential(
            nn.Flatten(), MLP(width, int(self.n_features), hidden=(128, 64), activation="elu")
        )

    def _features_scaled(self, T: np.ndarray) -> np.ndarray:
        net = self.network_
        device = next(net.parameters()).device
        out = []
        with torch.no_grad():
            for s in range(0, T.shape[0], _CHUNK):
                tb = torch.as_tensor((T[s : s + _CHUNK] - self.t_mean_) / self.t_scale_,
                                     dtype=torch.float32, device=device)  # fmt: skip
                out.append(net(tb).reshape(tb.shape[0], -1).cpu().numpy().astype(np.float64))
        return np.concatenate(out)

    def _check_exposure(self, t: Any, n: int | None) -> np.ndarray:
        try:
            T = np.asarray(t, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise DataError(f"the exposure t must be numeric: {exc}") from None
        if T.ndim == 1:
            T = T.reshape(-1, 1)
        if n is not None and T.shape[0] != n:
            raise DataError(f"the exposure has {T.shape[0]} rows but the instruments have {n}")
        if not np.isfinite(T).all():
            raise DataError("the exposure holds NaN or infinite values")
        if n is None and T.shape[1:] != self.exposure_shape_:
            raise DataError(
                f"exposures of shape {T.shape[1:]}, but the model was fitted on "
                f"{self.exposure_shape_}"
            )
        return T

    def _check_fitted(self) -> None:
        if not hasattr(self, "network_"):
            raise NotFittedError("this DeepIVFeatures is not fitted yet; call fit first")
