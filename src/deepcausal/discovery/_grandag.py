"""GraN-DAG: gradient-based neural DAG learning.

Lachapelle, Brouillard, Deleu & Lacoste-Julien (2020), "Gradient-based neural DAG learning",
ICLR.

Each variable ``x_j`` gets a conditional density ``p(x_j | x_{-j})``: a Gaussian whose mean is an
MLP of the other variables (the additive-noise model "NonLinGaussANM" of the paper; its standard
deviation is a free parameter per variable). The network of ``x_j`` reads input ``x_i`` only
through its first layer, and the *neural-network connectivity*

    C^(j) = |W_L^(j)| ... |W_1^(j)|,   A[i, j] = sum_k C^(j)[k, i] / (number of paths i -> output)

is zero iff ``x_j`` cannot depend on ``x_i`` (the paper's "paths" normalisation), so
``h(A) = tr(exp(A)) - d = 0`` makes the model a DAG. The log-likelihood is maximised under that
constraint by the augmented Lagrangian: each sub-problem ``-loglik + lambda h + mu/2 h^2`` is
solved by mini-batch stochastic gradient descent through :func:`deepcausal.nn.train` (early
stopping on a held-out split plays the role of the paper's validation-based convergence test),
then ``lambda += mu h`` and ``mu`` grows tenfold when ``h`` did not fall below ``0.9`` of its
previous value. Input edges whose connectivity falls below ``edge_clamp`` are masked for good
between sub-problems. Afterwards edges are removed, weakest first, until the graph is acyclic, and
(as in the paper's experiments) the DAG is pruned with CAM's significance test (Bühlmann, Peters &
Ernest 2014): each variable is regressed on its parents with an additive spline model and a parent
is dropped when its p-value exceeds ``pruning_cutoff``. The optional preliminary neighbourhood
selection (PNS) keeps, for each variable, the inputs an extremely-randomised-trees regression finds
important.

Cost per SGD step: ``O(b d^2 m)`` for a batch of ``b`` rows with ``m`` hidden units, plus ``O(d^3)``
for ``h`` (float64, torch).

Prior knowledge is a mask on the networks' inputs: a forbidden edge ``i -> j`` multiplies input
``i`` of network ``j`` by zero; required edges are never clamped or pruned and are kept by
:func:`~deepcausal.discovery._result.finalize_weighted`. The schedule is the discovery core's
:func:`~deepcausal.discovery._core.augmented_lagrangian` in its GraN-DAG form (one solve per dual
step, the penalty grows after it).
"""

from __future__ import annotations

import itertools
import math
from typing import Literal

import numpy as np
import pandas as pd
import scipy.stats
import torch
from torch import nn

from deepcausal.discovery._acyclicity import expm_acyclicity
from deepcausal.discovery._core import (
    AugmentedLagrangian,
    augmented_lagrangian,
    finish,
    named_schedule,
)
from deepcausal.discovery._knowledge import Knowledge
from deepcausal.discovery._result import DiscoveryResult, finalize_weighted
from deepcausal.nn import TrainConfig, resolve_device, torch_generator, train

__all__ = ["cam_prune", "grandag"]

_LOG_2PI = math.log(2.0 * math.pi)


class _GranDagModel(nn.Module):
    """``d`` MLPs with masked inputs; network ``j`` outputs the mean of ``x_j``."""

    adjacency: torch.Tensor

    def __init__(
        self, allowed: np.ndarray, hidden: tuple[int, ...], generator: torch.Generator
    ) -> None:
        super().__init__()
        d = int(allowed.shape[0])
        self.d = d
        self.register_buffer("adjacency", torch.as_tensor(allowed, dtype=torch.float32))
        widths = [d, *hidden, 1]
        gain = nn.init.calculate_gain("leaky_relu")
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for w_in, w_out in itertools.pairwise(widths):
            # Xavier-uniform per network, as the reference implementation
            bound = gain * math.sqrt(6.0 / (w_in + w_out))
            w = (torch.rand(d, w_out, w_in, generator=generator) * 2 - 1) * bound
            self.weights.append(nn.Parameter(w))
            self.biases.append(nn.Parameter(torch.zeros(d, w_out)))
        self.log_sigma = nn.Parameter(torch.zeros(d))

    def mean(self, x: torch.Tensor) -> torch.Tensor:
        """The mean of each variable given the others, ``(n, d)``."""
        w0 = self.weights[0] * self.adjacency.T.unsqueeze(1)  # (node, hidden, input)
        h = (x @ w0.reshape(-1, self.d).T).view(-1, self.d, w0.shape[1]).transpose(0, 1)
        h = h + self.biases[0].unsqueeze(1)  # (node, batch, hidden)
        for w, b in zip(self.weights[1:], self.biases[1:], strict=True):
            h = torch.baddbmm(b.unsqueeze(1), nn.functional.leaky_relu(h), w.transpose(1, 2))
        return h.squeeze(2).T

    def log_likelihood(self, x: torch.Tensor) -> torch.Tensor:
        """Gaussian log-likelihood of each row, summed over variables, ``(n,)``."""
        z = (x - self.mean(x)) * torch.exp(-self.log_sigma)
        return -(0.5 * z * z + self.log_sigma + 0.5 * _LOG_2PI).sum(dim=1)

    def connectivity(self) -> torch.Tensor:
        """``A[i, j]``: path-normalised product of absolute weights from input ``i`` to output ``j``."""
        prod = torch.einsum("tij,jt->tij", self.weights[0].abs(), self.adjacency)
        # the number of paths counts the full architecture (off-diagonal inputs), as the paper
        off_diagonal = 1.0 - torch.eye(self.d, device=prod.device)
        paths = torch.einsum("tij,jt->tij", torch.ones_like(self.weights[0]), off_diagonal)
        for w in self.weights[1:]:
            prod = torch.einsum("tij,tjk->tik", w.abs(), prod)
            paths = torch.einsum("tij,tjk->tik", torch.ones_like(w), paths)
        prod, paths = prod.sum(dim=1), paths.sum(dim=1)  # (node, input)
        return (prod / (paths + torch.eye(self.d, device=paths.device))).T


def grandag(
    data: pd.DataFrame,
    *,
    knowledge: Knowledge,
    random_state: int | None = None,
    hidden: tuple[int, ...] = (10, 10),
    lr: float = 1e-3,
    batch_size: int = 64,
    max_epochs: int = 40,
    patience: int = 5,
    max_subproblems: int = 100,
    mu_init: float = 1e-3,
    omega_mu: float = 0.9,
    h_tol: float = 1e-8,
    edge_clamp: float = 1e-4,
    pns: bool = False,
    pns_threshold: float = 0.75,
    pns_trees: int = 500,
    pruning: Literal["cam", "none"] = "cam",
    pruning_cutoff: float = 1e-3,
    device: str = "auto",
    progress: bool = False,
) -> DiscoveryResult:
    """GraN-DAG (Lachapelle et al. 2020) with the additive Gaussian noise model.

    Args:
        data: numeric columns (validated by :func:`~deepcausal.discovery.discover`); standardise
            variables on different scales first.
        knowledge: prior knowledge, enforced as a mask on the networks' inputs.
        random_state: seed of the weights, the data split, mini-batches and PNS.
        hidden: hidden-layer widths (the paper: two layers of 10).
        lr: learning rate of each sub-problem.
        batch_size: mini-batch size (the paper: 64).
        max_epochs: epochs per sub-problem at most.
        patience: a sub-problem ends after this many epochs without validation improvement.
        max_subproblems: augmented-Lagrangian iterations at most.
        mu_init: initial quadratic penalty weight.
        omega_mu: ``mu`` grows tenfold unless ``h`` falls below ``omega_mu`` times its last value.
        h_tol: stop once ``h <= h_tol``.
        edge_clamp: input edges with connectivity below this are masked for good.
        pns: run preliminary neighbourhood selection first.
        pns_threshold: PNS keeps inputs with importance above ``pns_threshold`` times the mean.
        pns_trees: trees per PNS forest.
        pruning: ``"cam"`` (the paper's final pruning) or ``"none"``.
        pruning_cutoff: p-value above which CAM pruning drops a parent.
        device: ``"auto"``, ``"cpu"`` or ``"cuda[:i]"``.
        progress: show training progress bars.

    Returns:
        A :class:`~deepcausal.discovery.DiscoveryResult` whose weights are the connectivity
        ``A``; diagnostics ``loss`` (mean negative log-likelihood), ``h``, ``mu``, ``iterations``
        (sub-problems), ``epochs``, ``n_pruned``.
    """
    hidden = tuple(int(m) for m in hidden)
    if not hidden or min(hidden) < 1:
        raise ValueError(f"hidden must be a non-empty tuple of positive widths, got {hidden!r}")
    schedule = named_schedule(
        AugmentedLagrangian,
        {"max_iter": "max_subproblems", "rho_init": "mu_init", "progress": "omega_mu"},
        max_iter=max_subproblems, h_tol=h_tol, rho_init=mu_init, rho_max=np.inf,
        progress=omega_mu, resolve=False,
    )  # fmt: skip
    if pruning not in ("cam", "none"):
        raise ValueError(f"unknown pruning {pruning!r}; choose 'cam' or 'none'")
    if edge_clamp < 0:
        raise ValueError(f"edge_clamp must be non-negative, got {edge_clamp}")
    columns = [str(c) for c in data.columns]
    values = data.to_numpy(dtype=np.float64, copy=True)
    forbidden = knowledge.forbidden_mask(columns)
    required = knowledge.required_mask(columns)
    allowed = ~forbidden
    if pns:
        allowed &= _pns(values, pns_threshold, pns_trees, random_state) | required
    dev = resolve_device(device)
    model = _GranDagModel(allowed, hidden, torch_generator(random_state)).to(dev)
    X = torch.as_tensor(values, dtype=torch.float32)
    config = TrainConfig(
        max_epochs=max_epochs, batch_size=batch_size, lr=lr, patience=patience,
        progress=progress, device=dev, random_state=random_state,
    )  # fmt: skip
    required_t = torch.as_tensor(required, device=dev)
    epochs = 0

    def solve(state: None, mu: float, lam: float) -> tuple[None, float]:
        nonlocal epochs

        def loss_fn(batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
            nll = -model.log_likelihood(batch[0]).mean()
            h_val = expm_acyclicity(model.connectivity())
            return nll + lam * h_val + 0.5 * mu * h_val * h_val

        fit = train(model, loss_fn, [X], config, description="grandag")
        epochs += len(fit.train_loss)
        with torch.no_grad():
            A = model.connectivity()
            # clamp edges that have died out (never required ones); no way back, as in the paper
            model.adjacency *= ((edge_clamp < A) | required_t).to(model.adjacency.dtype)
            return None, float(expm_acyclicity(model.connectivity()))

    _, out = augmented_lagrangian(solve, None, schedule, method="grandag")
    with torch.no_grad():
        W = (model.connectivity() * model.adjacency).cpu().numpy().astype(np.float64)
        nll = float(-model.log_likelihood(X.to(dev)).mean())
    diagnostics: dict[str, float | int | str] = {
        "loss": nll,
        "h": out.h,
        "mu": out.rho,
        "iterations": out.iterations,
        "epochs": epochs,
    }
    # edges whose connectivity is exactly 0 are gone; everything else is a candidate edge
    result = finish(W, data, knowledge, method="grandag", threshold=0.0, diagnostics=diagnostics)
    if pruning == "none":
        result.diagnostics["n_pruned"] = 0
        return result
    dag = result.adjacency.to_numpy()
    kept = cam_prune(values, dag != 0, cutoff=pruning_cutoff, protect=required)
    pruned = finalize_weighted(
        np.where(kept, dag, 0.0),
        columns,
        method="grandag",
        threshold=0.0,
        knowledge=knowledge,
        diagnostics={**result.diagnostics, "n_pruned": int((dag != 0).sum() - kept.sum())},
    )
    pruned.n_cycles_broken = result.n_cycles_broken
    pruned.diagnostics["n_cycles_broken"] = result.n_cycles_broken
    return pruned


def _pns(X: np.ndarray, threshold: float, n_trees: int, random_state: int | None) -> np.ndarray:
    """Preliminary neighbourhood selection: ``keep[i, j]`` iff ``x_i`` matters for ``x_j``."""
    from sklearn.ensemble import ExtraTreesRegressor

    d = X.shape[1]
    keep = np.zeros((d, d), dtype=bool)
    seeds = np.random.SeedSequence(random_state).generate_state(d)
    for j in range(d):
        others = X.copy()
        others[:, j] = 0.0
        forest = ExtraTreesRegressor(n_estimators=n_trees, random_state=int(seeds[j]))
        forest.fit(others, X[:, j])
        importance = forest.feature_importances_
        keep[:, j] = importance >= threshold * importance.mean()
    np.fill_diagonal(keep, False)
    return keep


def cam_prune(
    X: np.ndarray,
    dag: np.ndarray,
    *,
    cutoff: float = 1e-3,
    n_basis: int = 10,
    protect: np.ndarray | None = None,
) -> np.ndarray:
    """CAM's pruning step: keep a parent only if it is significant in an additive model.

    For each variable ``x_j`` with parents ``P``, ``x_j`` is regressed by least squares on a
    cubic B-spline basis (``n_basis`` functions) of every parent; parent ``i`` is kept when the
    F-test of dropping its basis functions has a p-value below ``cutoff``. This follows
    Bühlmann, Peters & Ernest (2014), "CAM: causal additive models, high-dimensional order search
    and penalized regression", Ann. Statist., whose reference implementation uses ``mgcv``'s
    penalised GAM p-values (GraN-DAG calls it with the same cutoff, 0.001).

    Args:
        X: data ``(n, d)``.
        dag: boolean ``(d, d)``, ``dag[i, j]`` iff ``i -> j``.
        cutoff: p-value threshold.
        n_basis: spline basis functions per parent.
        protect: boolean ``(d, d)`` of edges never removed (required knowledge).

    Returns:
        The pruned boolean adjacency.

    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=400); b = np.sin(2 * a) + 0.3 * rng.normal(size=400)
    >>> c = rng.normal(size=400)
    >>> cam_prune(np.c_[a, b, c], np.array([[0, 1, 0], [0, 0, 0], [0, 1, 0]], bool)).astype(int)
    array([[0, 1, 0],
           [0, 0, 0],
           [0, 0, 0]])
    """
    from sklearn.preprocessing import SplineTransformer

    n, d = X.shape
    kept = np.asarray(dag, dtype=bool).copy()
    protect = np.zeros((d, d), dtype=bool) if protect is None else protect
    for j in range(d):
        parents = np.flatnonzero(kept[:, j])
        if parents.size == 0:
            continue
        n_knots = max(2, n_basis - 2)  # cubic splines: n_knots + 2 basis functions
        bases = [
            SplineTransformer(n_knots=n_knots, degree=3, include_bias=False).fit_transform(
                X[:, [i]]
            )
            for i in parents
        ]
        y = X[:, j]
        design = np.column_stack([np.ones(n), *bases])
        rss_full, df_full = _rss(design, y)
        if n - df_full <= 0:
            continue
        for k, i in enumerate(parents):
            if protect[i, j]:
                continue
            reduced = np.column_stack([np.ones(n), *(b for m, b in enumerate(bases) if m != k)])
            rss_red, df_red = _rss(reduced, y)
            extra = df_full - df_red
            if extra <= 0:
                continue
            f_stat = ((rss_red - rss_full) / extra) / (rss_full / (n - df_full))
            p_value = float(scipy.stats.f.sf(f_stat, extra, n - df_full))
            if p_value > cutoff:
                kept[i, j] = False
    return kept


def _rss(design: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    """Residual sum of squares of a least-squares fit and the rank of the design."""
    coef, _, rank, _ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    return float(resid @ resid), int(rank)
