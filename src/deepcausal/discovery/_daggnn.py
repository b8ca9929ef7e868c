"""DAG-GNN: DAG structure learning with a graph-neural-network autoencoder.

Yu, Chen, Gao & Yu (2019), "DAG-GNN: DAG structure learning with graph neural networks", ICML.

DAG-GNN generalises the linear SEM ``X = A^T X + Z`` to the autoencoder

    encoder  Z = (I - A^T) (f_enc(X) + a) - a,     decoder  X_hat = f_dec((I - A^T)^{-1} (Z + a) - a),

where ``f_enc`` and ``f_dec`` are MLPs applied to each variable (shared across variables), ``a``
is a learned offset and ``A`` the weighted adjacency (parametrised as ``sinh(3 B)``, as in the
reference code). Training minimises the evidence lower bound of the variational autoencoder --
Gaussian reconstruction error plus the KL term ``||Z||^2 / 2`` of the unit-variance posterior --
under the polynomial acyclicity constraint ``h(A) = tr((I + A * A / d)^d) - d = 0`` with the
augmented Lagrangian: each sub-problem ``ELBO + lambda h + c/2 h^2`` is solved by Adam through
:func:`deepcausal.nn.train` (learning rate ``lr / log10(c)`` clipped to ``[1e-4, 1e-2]``, as in the
reference), ``c`` grows tenfold until ``h`` falls below a quarter of its previous value, then
``lambda += c h``. Edges with ``|A_ij| < threshold`` are dropped.

Cost per step: ``O(d^3)`` for the inverse and for ``h`` (float64, torch) plus ``O(b d m)`` for the
MLPs on a batch of ``b`` rows.

Prior knowledge is a mask: ``A = sinh(3 B) * M`` with ``M[i, j] = 0`` for forbidden edges and the
diagonal, so those entries are exactly zero; required edges are kept by
:func:`~deepcausal.discovery._base.finalize_weighted`.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import torch
from torch import nn

from deepcausal.discovery._acyclicity import poly_acyclicity
from deepcausal.discovery._core import (
    AugmentedLagrangian,
    augmented_lagrangian,
    check_penalties,
    finish,
    named_schedule,
)
from deepcausal.discovery._knowledge import Knowledge
from deepcausal.discovery._result import DiscoveryResult
from deepcausal.nn import TrainConfig, resolve_device, seed_everything, train

__all__ = ["daggnn"]

_MIN_LR, _MAX_LR = 1e-4, 1e-2


class _DagGnn(nn.Module):
    """The DAG-GNN autoencoder for scalar variables (``x_dims = z_dims = 1``)."""

    mask: torch.Tensor
    eye: torch.Tensor

    def __init__(self, allowed: np.ndarray, hidden: int) -> None:
        super().__init__()
        d = int(allowed.shape[0])
        self.d = d
        self.register_buffer("mask", torch.as_tensor(allowed, dtype=torch.float64))
        self.register_buffer("eye", torch.eye(d, dtype=torch.float64))
        self.B = nn.Parameter(torch.zeros(d, d, dtype=torch.float64))
        self.offset = nn.Parameter(torch.zeros(1, dtype=torch.float64))
        self.enc1 = nn.Linear(1, hidden, dtype=torch.float64)
        self.enc2 = nn.Linear(hidden, 1, dtype=torch.float64)
        self.dec1 = nn.Linear(1, hidden, dtype=torch.float64)
        self.dec2 = nn.Linear(hidden, 1, dtype=torch.float64)
        for layer in (self.enc1, self.enc2, self.dec1, self.dec2):
            nn.init.xavier_normal_(layer.weight)
            nn.init.zeros_(layer.bias)

    def adjacency(self) -> torch.Tensor:
        """``A = sinh(3 B)``, masked."""
        return torch.sinh(3.0 * self.B) * self.mask

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Reconstruction, latent ``Z`` (both ``(n, d)``) and the adjacency used."""
        A = self.adjacency()
        h = self.enc2(torch.relu(self.enc1(x.unsqueeze(2)))).squeeze(2)  # (n, d)
        # rows as vectors: (I - A^T) v  ==  v (I - A) for a row vector v
        z = (h + self.offset) @ (self.eye - A) - self.offset
        mixed = (
            torch.linalg.solve((self.eye - A).T, (z + self.offset).T).T - self.offset
        )  # (I - A^T)^{-1} (z + a) - a
        x_hat = self.dec2(torch.relu(self.dec1(mixed.unsqueeze(2)))).squeeze(2)
        return x_hat, z, A


def daggnn(
    data: pd.DataFrame,
    *,
    knowledge: Knowledge,
    random_state: int | None = None,
    hidden: int = 64,
    lr: float = 3e-3,
    batch_size: int = 100,
    max_epochs: int = 100,
    patience: int = 10,
    max_iter: int = 30,
    c_max: float = 1e20,
    lambda1: float = 0.0,
    threshold: float = 0.3,
    h_tol: float = 1e-8,
    device: str = "auto",
    progress: bool = False,
) -> DiscoveryResult:
    """DAG-GNN (Yu et al. 2019) for continuous scalar variables.

    The architecture and optimiser settings are the reference code's (64 hidden units, Adam with
    ``lr = 3e-3``, batches of 100, threshold 0.3); the reference runs 300 epochs per sub-problem,
    here a sub-problem stops early on a held-out split (``patience``).

    Args:
        data: numeric columns (validated by :func:`~deepcausal.discovery.discover`).
        knowledge: prior knowledge, enforced as a mask on ``A``.
        random_state: seed of the weights, the data split and mini-batches.
        hidden: hidden units of the encoder and decoder MLPs.
        lr: base learning rate (scaled by ``1 / log10(c)`` and clipped, as in the reference).
        batch_size: mini-batch size.
        max_epochs: epochs per sub-problem at most.
        patience: a sub-problem ends after this many epochs without validation improvement.
        max_iter: dual (``lambda``) updates at most.
        c_max: stop increasing the penalty weight ``c`` beyond this.
        lambda1: L1 penalty on ``A`` (the reference's ``tau_A``, 0 by default).
        threshold: edges with ``|A_ij| < threshold`` are dropped.
        h_tol: stop once ``h <= h_tol``.
        device: ``"auto"``, ``"cpu"`` or ``"cuda[:i]"``.
        progress: show training progress bars.

    Returns:
        A :class:`~deepcausal.discovery.DiscoveryResult` with diagnostics ``loss`` (the negative
        ELBO per row), ``h``, ``c``, ``iterations`` and ``epochs``.
    """
    if hidden < 1 or lr <= 0:
        raise ValueError(f"need hidden >= 1 and lr > 0; got {hidden} and {lr}")
    check_penalties(lambda1=lambda1, threshold=threshold)
    schedule = named_schedule(
        AugmentedLagrangian, {"rho_max": "c_max"}, max_iter=max_iter, h_tol=h_tol, rho_max=c_max
    )
    columns = [str(c) for c in data.columns]
    forbidden = knowledge.forbidden_mask(columns)
    dev = resolve_device(device)
    seed_everything(random_state)  # the initial weights (nn.init draws from torch's global RNG)
    model = _DagGnn(~forbidden, hidden).to(dev)
    X = torch.as_tensor(data.to_numpy(dtype=np.float64, copy=True))
    base = TrainConfig(
        max_epochs=max_epochs, batch_size=batch_size, lr=lr, patience=patience,
        progress=progress, device=dev, random_state=random_state,
    )  # fmt: skip
    epochs = 0

    def solve(state: None, c: float, lam: float) -> tuple[None, float]:
        # the model is trained in place: a re-solve with a larger c continues from it
        nonlocal epochs
        step_lr = min(_MAX_LR, max(_MIN_LR, lr / (math.log10(c) + 1e-10)))

        def loss_fn(batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
            x = batch[0]
            x_hat, z, A = model(x)
            nll = 0.5 * ((x_hat - x) ** 2).sum() / x.shape[0]
            kl = 0.5 * (z * z).sum() / x.shape[0]
            h_val = poly_acyclicity(A * A)
            return nll + kl + lambda1 * A.abs().sum() + lam * h_val + 0.5 * c * h_val * h_val

        result = train(model, loss_fn, [X], replace(base, lr=step_lr), description="daggnn")
        epochs += len(result.train_loss)
        with torch.no_grad():
            A = model.adjacency()
            return None, float(poly_acyclicity(A * A))

    _, out = augmented_lagrangian(solve, None, schedule, method="daggnn")
    with torch.no_grad():
        x_all = X.to(dev)
        x_hat, z, A = model(x_all)
        loss = float((0.5 * ((x_hat - x_all) ** 2).sum() + 0.5 * (z * z).sum()) / x_all.shape[0])
        W = A.cpu().numpy().copy()
    diagnostics: dict[str, float | int | str] = {
        "loss": loss,
        "h": out.h,
        "c": out.rho,
        "iterations": out.iterations,
        "epochs": epochs,
    }
    return finish(W, data, knowledge, method="daggnn", threshold=threshold, diagnostics=diagnostics)
