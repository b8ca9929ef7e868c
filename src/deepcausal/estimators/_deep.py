"""Shared machinery of the neural effect estimators: the network, standardisation, training, prediction.

The architecture is the one of TARNet/CFR (Shalit et al. 2017) and DragonNet (Shi et al. 2019): a
representation ``Φ(x)`` shared by all arms, one outcome head per arm on top of it, and (DragonNet) a
propensity head. Every estimator trains through :func:`deepcausal.nn.train` with a closure that
computes its full objective on a mini-batch. The set-up (seeded configuration, standardisation,
training) lives here once, for the fit in memory and for :func:`~deepcausal.estimators.fit_streamed`
alike; a subclass defines only its network (``_build``) and its loss (``_objective``).
"""

from __future__ import annotations

import dataclasses
import math
from abc import abstractmethod
from collections.abc import Sequence
from typing import ClassVar, Literal

import numpy as np
import torch
from torch import nn

from deepcausal._effect import normal_effect
from deepcausal.errors import CapabilityError
from deepcausal.estimators._base import BaseEffectEstimator, Effect, Estimand
from deepcausal.estimators._validation import FitData, OutcomeType, resolve_outcome_type
from deepcausal.nn import (
    MLP,
    Activation,
    BatchStream,
    TrainConfig,
    TrainResult,
    seed_everything,
    train,
)
from deepcausal.nn import activation as activation_module

_PREDICT_CHUNK = 8192

#: The training schedule TARNet/CFR's and DragonNet's defaults share (each sets its own batch size,
#: learning rate and held-out share after its authors): at most 300 epochs, stopped after 30
#: without improvement on the held-out rows, no progress bar.
PAPER_TRAINING = TrainConfig(max_epochs=300, patience=30, progress=False)


class EffectNet(nn.Module):
    """Shared representation, one outcome head per arm, optional propensity head and ε.

    Args:
        in_features: number of covariates.
        n_arms: number of treatment arms (outcome heads).
        representation: widths of the representation layers (the last is the width of ``Φ``).
        head: widths of the hidden layers of each outcome head.
        activation: non-linearity (after every representation layer, inside the heads).
        propensity: add a linear propensity head on ``Φ`` (logits, one per arm; one for binary).
        epsilon: add DragonNet's scalar ``ε`` for targeted regularisation.
    """

    def __init__(
        self,
        in_features: int,
        n_arms: int,
        representation: Sequence[int],
        head: Sequence[int],
        activation: Activation,
        *,
        propensity: bool = False,
        epsilon: bool = False,
    ) -> None:
        super().__init__()
        widths = tuple(int(w) for w in representation)
        if not widths or min(widths) < 1:
            raise ValueError(
                f"representation needs at least one positive width, got {representation}"
            )
        last = activation_module(activation)  # raises ValueError naming an unknown activation
        self.representation = nn.Sequential(
            MLP(in_features, widths[-1], hidden=widths[:-1], activation=activation), last
        )
        self.heads = nn.ModuleList(
            MLP(widths[-1], 1, hidden=tuple(head), activation=activation) for _ in range(n_arms)
        )
        n_logits = 1 if n_arms == 2 else n_arms
        self.propensity = nn.Linear(widths[-1], n_logits) if propensity else None
        self.epsilon = nn.Parameter(torch.zeros(1)) if epsilon else None

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Return ``(Φ(x), outcomes of shape (n, n_arms), propensity logits or None)``."""
        phi = self.representation(x)
        mu = torch.cat([h(phi) for h in self.heads], dim=1)
        logits = self.propensity(phi) if self.propensity is not None else None
        return phi, mu, logits

    def param_device(self) -> torch.device:
        """The device the parameters live on."""
        return next(self.parameters()).device

    def l2_penalty(self, *, representation: bool) -> torch.Tensor:
        """``½ Σ ||W||²`` over the weight matrices of the outcome heads (and of the representation).

        Biases, the propensity head and ``ε`` are not penalised, as in the papers' code.
        """
        total = torch.zeros((), device=self.param_device())
        parts = [self.heads, self.representation] if representation else [self.heads]
        for part in parts:
            for module in part.modules():
                if isinstance(module, nn.Linear):
                    total = total + 0.5 * (module.weight**2).sum()
        return total


class NeuralEffectEstimator(BaseEffectEstimator):
    """Base of TARNet, CFRNet and DragonNet: standardises ``X`` and ``y``, trains, predicts.

    Subclasses define ``_build`` (the network) and ``_objective`` (the loss of a batch) and hold
    these hyper-parameters: ``representation``, ``head``, ``activation``, ``l2``, ``refit``,
    ``outcome_type``, ``train_config``, ``random_state``.

    With ``refit``, the early-stopping run only chooses the number of epochs: a fresh network
    (same seed) is then trained on every row for that many epochs, so that the held-out share
    of a small sample (30% by default on IHDP's 672 rows) is not lost to the final fit. Without a
    validation split there is nothing to choose and ``refit`` has no effect.
    """

    representation: Sequence[int]
    head: Sequence[int]
    activation: Activation
    l2: float
    refit: bool
    outcome_type: OutcomeType
    train_config: TrainConfig | None
    random_state: int | None
    outcome_kind_: Literal["continuous", "binary"]
    net_: EffectNet
    train_result_: TrainResult
    refit_result_: TrainResult | None
    _default_config: ClassVar[TrainConfig] = TrainConfig(progress=False)

    def _check_params(self) -> None:
        if self.l2 < 0:
            raise ValueError(f"l2 must be >= 0, got {self.l2}")
        if self.train_config is not None and not isinstance(self.train_config, TrainConfig):
            raise ValueError(
                f"train_config must be a deepcausal.nn.TrainConfig, got {type(self.train_config).__name__}"
            )

    @abstractmethod
    def _build(self, in_features: int, n_arms: int) -> EffectNet:
        """The untrained network."""

    @abstractmethod
    def _objective(
        self, net: EffectNet, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor
    ) -> torch.Tensor:
        """The training objective on one batch (standardised ``x``, ``y``; arm codes ``t``)."""

    def _factual_loss(self, mu: torch.Tensor, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Per-unit loss of the factual prediction: squared error, or log loss for 0/1 outcomes."""
        pred = mu.gather(1, t.unsqueeze(1)).squeeze(1)
        if self.outcome_kind_ == "binary":
            return nn.functional.binary_cross_entropy_with_logits(pred, y, reduction="none")
        return (pred - y) ** 2

    def _fit(self, data: FitData) -> None:
        self.outcome_kind_ = resolve_outcome_type(data.y, self.outcome_type)
        cfg, seed = self._seeded_config()
        self._set_scaling(
            data.X.mean(axis=0),
            data.X.std(axis=0),
            float(data.y.mean()),
            float(data.y.std()),
            np.bincount(data.t, minlength=len(data.classes)) / len(data.t),
        )
        x = torch.as_tensor((data.X - self.x_mean_) / self.x_scale_, dtype=torch.float32)
        t = torch.as_tensor(data.t, dtype=torch.long)
        y = torch.as_tensor((data.y - self.y_mean_) / self.y_scale_, dtype=torch.float32)
        rows = [x, t, y]
        self._train(rows, x.shape[1], cfg)
        if self.refit and cfg.validation_fraction > 0:
            epochs = self.train_result_.best_epoch + 1
            refit_cfg = dataclasses.replace(cfg, validation_fraction=0.0, max_epochs=epochs)
            torch.manual_seed(seed)  # the selection run's initial weights
            self.net_, self.refit_result_ = self._train_net(rows, x.shape[1], refit_cfg)

    def _seeded_config(self) -> tuple[TrainConfig, int]:
        """The training configuration with its seed resolved, every generator seeded with it."""
        cfg = self.train_config or self._default_config
        seed = seed_everything(
            self.random_state if self.random_state is not None else cfg.random_state
        )
        return dataclasses.replace(cfg, random_state=seed), seed

    def _set_scaling(
        self,
        x_mean: np.ndarray,
        x_std: np.ndarray,
        y_mean: float,
        y_std: float,
        arm_shares: np.ndarray,
    ) -> None:
        """Keep the standardisation of ``X`` and ``y`` (0/1 outcomes stay as they are; a constant
        covariate or outcome is divided by 1) and the arms' shares of the rows."""
        self.x_mean_ = x_mean
        self.x_scale_ = np.where(x_std > 0, x_std, 1.0)
        if self.outcome_kind_ == "continuous":
            self.y_mean_, self.y_scale_ = y_mean, y_std or 1.0
        else:
            self.y_mean_, self.y_scale_ = 0.0, 1.0
        self.arm_shares_ = arm_shares

    def _train(
        self, rows: Sequence[torch.Tensor] | BatchStream, in_features: int, cfg: TrainConfig
    ) -> None:
        """Train a fresh network on standardised ``(x, t, y)`` rows (``net_``, ``train_result_``)."""
        self.net_, self.train_result_ = self._train_net(rows, in_features, cfg)
        self.refit_result_ = None

    def _train_net(
        self,
        rows: Sequence[torch.Tensor] | BatchStream,
        in_features: int,
        cfg: TrainConfig,
    ) -> tuple[EffectNet, TrainResult]:
        net = self._build(in_features, len(self.arm_shares_))

        def loss_fn(batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
            xb, tb, yb = batch
            return self._objective(net, xb, tb, yb)

        streamed = " (streamed)" if isinstance(rows, BatchStream) else ""
        description = f"{type(self).__name__}{streamed}"
        return net, train(net, loss_fn, rows, cfg, description=description)

    def _streamed_effect(self, estimand: Estimand, level: float) -> Effect:
        """The ATE of :func:`~deepcausal.estimators.fit_streamed`: the mean of the scores of its
        scoring pass (DragonNet's AIPW scores) with their Wald interval."""
        fit = self.streamed_
        if estimand != "ATE":
            raise CapabilityError(
                f"a streamed {self.method_name} estimates the ATE only, not the {estimand}"
            )
        if not math.isfinite(fit.score_var):
            raise CapabilityError(
                f"a streamed {self.method_name} has no interval: its interval comes from bootstrap "
                "refits in memory; stream a DragonNet (AIPW from its heads), or load the rows"
            )
        method = f"{self.method_name}, AIPW from its heads (streamed, {fit.n_rows:,} rows)"
        se = math.sqrt(fit.score_var / fit.n_rows)
        return normal_effect(fit.score_mean, se, level=level, method=method, estimand=estimand)

    def _forward_numpy(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Standardised-scale head outputs and propensity logits for raw covariates."""
        net = self.net_
        device = next(net.parameters()).device
        net.eval()
        mus, logits = [], []
        with torch.no_grad():
            for start in range(0, X.shape[0], _PREDICT_CHUNK):
                chunk = (X[start : start + _PREDICT_CHUNK] - self.x_mean_) / self.x_scale_
                _, mu, lg = net(torch.as_tensor(chunk, dtype=torch.float32, device=device))
                mus.append(mu.cpu().numpy().astype(np.float64))
                if lg is not None:
                    logits.append(lg.cpu().numpy().astype(np.float64))
        return np.concatenate(mus), (np.concatenate(logits) if logits else None)

    def _predict_outcomes(self, X: np.ndarray) -> np.ndarray:
        mu, _ = self._forward_numpy(X)
        if self.outcome_kind_ == "binary":
            return np.asarray(1.0 / (1.0 + np.exp(-mu)))
        return np.asarray(mu * self.y_scale_ + self.y_mean_)
