"""DAGMA: DAG learning with the log-determinant acyclicity function and a central path.

Bello, Aragam & Ravikumar (2022), "DAGMA: learning DAGs via M-matrices and a log-determinant
acyclicity characterization", NeurIPS.

Instead of an augmented Lagrangian, DAGMA follows a central path: for a decreasing sequence of
weights ``mu_0 > mu_1 > ... > mu_{T-1}`` it minimises

    mu_t (score(W) + lambda1 |W|_1) + h_{s_t}(W),   h_s(W) = -log det(s I - W * W) + d log s,

starting each problem from the previous solution. ``h_s`` is finite only on the M-matrices
``s > rho(W * W)``, a barrier that keeps every iterate inside the set whose boundary contains the
DAGs; as ``mu -> 0`` the solutions approach a DAG. Each problem is solved with Adam; a step that
leaves the domain is undone and retried with half the step size (the reference implementation's
rules).

* :func:`dagma` -- the linear SEM (least-squares or logistic score), gradients in closed form. One
  iteration costs ``O(d^3)`` (one ``d x d`` inverse) plus ``O(d^3)`` for the least-squares score
  computed from the covariance (``O(n d^2)`` for the logistic score).
* :func:`dagma_mlp` -- the nonlinear SEM of NOTEARS-MLP (one MLP per variable; the strength of
  ``i -> j`` is the norm of the first-layer weights from input ``i`` of network ``j``), the
  log-MSE score, trained through :func:`deepcausal.nn.train`. One iteration costs
  ``O(n d^2 m)`` for the networks (``m`` hidden units) plus ``O(d^3)`` for ``h``.

Prior knowledge is a mask: forbidden entries are multiplied by zero (their weights start at zero
and receive no gradient), required edges carry no L1 penalty and are kept by
:func:`~deepcausal.discovery._result.finalize_weighted`. The central path is the discovery core's
:func:`~deepcausal.discovery._core.central_path`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
import torch

from deepcausal.discovery._acyclicity import dagma_h_and_grad, logdet_acyclicity, mmatrix_inverse
from deepcausal.discovery._core import (
    CentralPath,
    LeftDomain,
    central_path,
    check_penalties,
    finish,
)
from deepcausal.discovery._knowledge import Knowledge
from deepcausal.discovery._linear import (
    ArrayOps,
    LinearLoss,
    LinearScore,
    linear_data,
    memory_guard,
    refine_level,
)
from deepcausal.discovery._notears_mlp import NodewiseMLP, penalty_weights
from deepcausal.discovery._result import DiscoveryResult
from deepcausal.nn import TrainConfig, resolve_device, torch_generator, train

__all__ = ["dagma", "dagma_mlp"]

_DEFAULT_S = (1.0, 0.9, 0.8, 0.7, 0.6)
_M_MATRIX_TOL = -1e-16  # entries of (sI - W*W)^{-1} below this mean W left the domain
_M_MATRIX_TOL_SINGLE = -1e-5  # the same in float32, whose rounding leaves ~1e-7 negatives


def dagma(
    data: pd.DataFrame,
    *,
    knowledge: Knowledge,
    random_state: int | None = None,
    loss: LinearLoss = "l2",
    lambda1: float = 0.03,
    threshold: float = 0.3,
    T: int = 5,
    mu_init: float = 1.0,
    mu_factor: float = 0.1,
    s: float | Sequence[float] = _DEFAULT_S,
    warm_iter: int = 30_000,
    max_iter: int = 60_000,
    lr: float = 3e-4,
    checkpoint: int = 1000,
    tol: float = 1e-6,
    device: str = "auto",
    precision: str = "auto",
    refine: bool = False,
    refine_alpha: float = 1e-4,
) -> DiscoveryResult:
    """Linear DAGMA (Bello et al. 2022) with the least-squares or logistic score and an L1 penalty.

    The defaults are the paper's (and the reference code's) for linear SEMs.

    Args:
        data: numeric columns (validated by :func:`~deepcausal.discovery.discover`), used as given
            (centred for the least-squares score).
        knowledge: prior knowledge, enforced as a mask.
        random_state: unused (the method is deterministic); accepted for a uniform interface.
        loss: ``"l2"`` (least squares) or ``"logistic"`` (binary 0/1 data).
        lambda1: L1 penalty weight.
        threshold: weights with ``|w| < threshold`` are dropped from the result.
        T: number of central-path problems.
        mu_init: weight of the score in the first problem.
        mu_factor: ``mu`` is multiplied by this after each problem.
        s: log-det parameter per problem (a sequence is padded with its last value).
        warm_iter: Adam iterations for each of the first ``T - 1`` problems.
        max_iter: Adam iterations for the last problem.
        lr: Adam step size.
        checkpoint: check the relative change of the objective every this many iterations.
        tol: a problem ends when that relative change is below ``tol``.
        device: ``"auto"`` (the GPU when there is one and ``d >= 100``, else the CPU: NumPy
            below 300 variables, torch from there on), ``"cpu"`` or ``"cuda[:i]"``.
        precision: ``"auto"`` (float32 on a GPU, float64 on the CPU), ``"float32"`` or
            ``"float64"``. In float32 the domain check allows rounding-size negative entries of
            the inverse, and the stopping rule scores its checkpoints in float64.
        refine: after the continuous solve, refine its DAG by ordering-based local search on the
            same least-squares score, over the inverse covariance's super-structure
            (:func:`~deepcausal.discovery._order_search.order_search`; Teyssier & Koller 2005,
            Loh & Bühlmann 2014); the weights are then least-squares coefficients. Needs
            ``loss="l2"``. Off by default: the method as published.
        refine_alpha: level of the search's partial-correlation and coefficient tests.

    Returns:
        A :class:`~deepcausal.discovery.DiscoveryResult` with diagnostics ``loss`` (the score),
        ``h`` (``h_1`` of the unthresholded ``W``), ``iterations`` and ``restarts``.

    Examples:
        >>> import pandas as pd
        >>> from deepcausal.discovery import discover
        >>> from deepcausal.discovery._simulate import simulate_dag, simulate_sem, simulate_weights
        >>> B = simulate_dag(6, 2, "ER", random_state=3)  # 12 edges
        >>> X = simulate_sem(simulate_weights(B, random_state=3), 1000, random_state=3)
        >>> r = discover(pd.DataFrame(X), method="dagma", lambda1=0.02)
        >>> int(((r.adjacency.to_numpy() != 0) != (B != 0)).sum()), r.diagnostics["restarts"]
        (0, 0)
    """
    check_penalties(lambda1=lambda1, threshold=threshold)
    refine_at = refine_level(refine, refine_alpha, loss)
    path = CentralPath(
        T=T, mu_init=mu_init, mu_factor=mu_factor, s=s, warm_iter=warm_iter, max_iter=max_iter,
        lr=lr, checkpoint=checkpoint, tol=tol,
    )  # fmt: skip
    lin = linear_data(data, knowledge, loss, device)
    with memory_guard("dagma", lin.X.shape[0], lin.X.shape[1], loss, lin.backend):
        solver = _LinearDagma(
            lin.X, lin.forbidden, lin.required, loss=loss, lambda1=lambda1, checkpoint=checkpoint,
            tol=tol, device=lin.backend, single=_single(precision, lin.backend),
        )  # fmt: skip
        W = solver.fit(path)
    return finish(
        W, data, knowledge, method="dagma", threshold=threshold, diagnostics=solver.diagnostics(W),
        refine_alpha=refine_at,
    )  # fmt: skip


def _single(precision: str, backend: torch.device | None) -> bool:
    """Whether a linear solver computes in float32: ``"auto"`` on a GPU, never on the CPU."""
    if precision not in ("auto", "float32", "float64"):
        raise ValueError(f"precision must be 'auto', 'float32' or 'float64', got {precision!r}")
    if precision == "auto":
        return backend is not None and backend.type == "cuda"
    return precision == "float32"


@dataclass
class _AdamState:
    m: Any | float = 0.0
    v: Any | float = 0.0


class _LinearDagma:
    """The reference DAGMA linear solver, on NumPy or torch through
    :class:`~deepcausal.discovery._linear.ArrayOps`."""

    def __init__(
        self,
        X: np.ndarray,
        forbidden: np.ndarray,
        required: np.ndarray,
        *,
        loss: Literal["l2", "logistic"],
        lambda1: float,
        checkpoint: int,
        tol: float,
        device: torch.device | None,
        single: bool = False,
    ) -> None:
        self.xp = ArrayOps(device, single)
        self.domain_tol = _M_MATRIX_TOL_SINGLE if single else _M_MATRIX_TOL
        if single:  # a float64 twin on the same device scores the checkpoints
            self._double = _LinearDagma(
                X, forbidden, required, loss=loss, lambda1=lambda1, checkpoint=checkpoint,
                tol=tol, device=device,
            )  # fmt: skip
        self.d = X.shape[1]
        self.checkpoint = checkpoint
        self.tol = tol
        self.score = LinearScore(X, loss, self.xp)
        self.free = self.xp.asarray((~forbidden).astype(np.float64))
        self.l1 = self.xp.asarray(np.where(required, 0.0, lambda1))  # required: no L1
        self.iterations = 0
        self.restarts = 0

    def objective(self, W: Any, mu: float, s: float) -> float:
        """The central-path objective, in float64 whatever the solver's precision (its relative
        change decides when a problem ends, at a tolerance near float32's resolution)."""
        if self.xp.single:
            W64 = W.double() if isinstance(W, torch.Tensor) else W.astype(np.float64)
            return self._double.objective(W64, mu, s)
        value, _ = self.score.value_and_grad(W)
        h, _, _ = dagma_h_and_grad(W, s)
        return mu * (value + float((self.l1 * abs(W)).sum())) + h

    def minimize(
        self, W: Any, mu: float, s: float, max_iter: int, lr: float, beta_1: float = 0.99
    ) -> Any:
        """Adam on one central-path problem; :class:`LeftDomain` when the first step (or any
        step once ``s <= 0.9``) leaves the domain."""
        beta_2 = 0.999
        adam = _AdamState()
        obj_prev = 1e16
        grad: Any | None = None
        for it in range(1, max_iter + 1):
            inv_t = self._inverse_t(W, s)
            while bool(inv_t.min() < self.domain_tol):
                # W left the M-matrix domain: undo the step, halve it, retry
                if it == 1 or s <= 0.9 or grad is None:
                    raise LeftDomain
                W = W + lr * grad
                lr *= 0.5
                if lr <= 1e-16:
                    return W
                W = W - lr * grad
                inv_t = self._inverse_t(W, s)
            if isinstance(W, torch.Tensor):
                grad = self._adam_torch(W, inv_t, mu, adam, it, beta_1, beta_2)
            else:
                g_obj = mu * (self.score.grad(W) + self.l1 * self.xp.sign(W)) + 2 * W * inv_t
                adam.m = adam.m * beta_1 + (1 - beta_1) * g_obj
                adam.v = adam.v * beta_2 + (1 - beta_2) * g_obj * g_obj
                m_hat = adam.m / (1 - beta_1**it)
                v_hat = adam.v / (1 - beta_2**it)
                grad = self.free * m_hat / (self.xp.sqrt(v_hat) + 1e-8)
            W = W - lr * grad
            self.iterations += 1
            if it % self.checkpoint == 0 or it == max_iter:
                obj_new = self.objective(W, mu, s)
                if abs((obj_prev - obj_new) / obj_prev) <= self.tol:
                    break
                obj_prev = obj_new
        return W

    def _inverse_t(self, W: Any, s: float) -> Any:
        """``(s I - W * W)^{-T}``, whose entries are all non-negative inside the domain (torch's
        inverse is column-major: its transpose is the contiguous view)."""
        if isinstance(W, torch.Tensor):
            return torch.linalg.inv(torch.addcmul(s * self.score.eye, W, W, value=-1.0)).T
        return mmatrix_inverse(W, s).T

    def _adam_torch(
        self,
        W: torch.Tensor,
        inv_t: torch.Tensor,
        mu: float,
        adam: _AdamState,
        it: int,
        beta_1: float,
        beta_2: float,
    ) -> torch.Tensor:
        """The Adam direction of the NumPy branch, computed in place: each ``d x d`` pass costs
        as much as a twentieth of the inverse at ``d = 1,000``, and the NumPy branch makes
        about twenty."""
        g = self.score.grad(W)
        g.addcmul_(self.l1, torch.sign(W)).mul_(mu).addcmul_(W, inv_t, value=2.0)
        if not isinstance(adam.m, torch.Tensor) or not isinstance(adam.v, torch.Tensor):
            adam.m, adam.v = torch.zeros_like(W), torch.zeros_like(W)
        m, v = adam.m, adam.v
        m.mul_(beta_1).add_(g, alpha=1 - beta_1)
        v.mul_(beta_2).addcmul_(g, g, value=1 - beta_2)
        denom = v.sqrt().div_(math.sqrt(1 - beta_2**it)).add_(1e-8)
        return g.copy_(m).div_(denom).mul_(self.free).div_(1 - beta_1**it)

    def fit(self, path: CentralPath) -> np.ndarray:
        W0 = self.xp.asarray(np.zeros((self.d, self.d)))
        W, self.restarts = central_path(self.minimize, W0, path, method="dagma", s_step=0.1)
        return self.xp.numpy(W * self.free).copy()

    def diagnostics(self, W: np.ndarray) -> dict[str, float | int | str]:
        Wt = self.xp.asarray(W)
        h, _, _ = dagma_h_and_grad(Wt, 1.0)
        return {
            "loss": self.score.value_and_grad(Wt)[0],
            "h": float(h),
            "iterations": self.iterations,
            "restarts": self.restarts,
        }


def dagma_mlp(
    data: pd.DataFrame,
    *,
    knowledge: Knowledge,
    random_state: int | None = None,
    hidden: Sequence[int] = (10,),
    lambda1: float = 0.02,
    lambda2: float = 0.005,
    threshold: float = 0.3,
    T: int = 4,
    mu_init: float = 0.1,
    mu_factor: float = 0.1,
    s: float = 1.0,
    warm_iter: int = 5_000,
    max_iter: int = 10_000,
    lr: float = 2e-3,
    checkpoint: int = 1000,
    tol: float = 1e-6,
    device: str = "auto",
    progress: bool = False,
) -> DiscoveryResult:
    """Nonlinear DAGMA (Bello et al. 2022): NOTEARS-MLP's networks on DAGMA's central path.

    Each central-path problem minimises ``mu (log-MSE + lambda1 |W1|_1 + lambda2/2 |theta|^2) +
    h_s(A)`` with full-batch Adam through :func:`deepcausal.nn.train`, stopping when the objective
    has not improved by a relative ``tol`` for ``checkpoint`` iterations. The score is the
    reference's log-MSE ``d/2 log(||X - f(X)||^2 / n)``. A step that leaves the log-det domain
    restarts the problem from its starting point with half the learning rate. The model, penalties
    and central path are the reference implementation's; its Adam schedule (``lr = 2e-4`` for up
    to 50,000 / 80,000 iterations) is replaced by ten times the step for a tenth of the iterations,
    which finds the same graphs in ``benchmarks/discovery.py`` at a fraction of the time.

    Args:
        data: numeric columns (validated by :func:`~deepcausal.discovery.discover`).
        knowledge: prior knowledge, enforced as a mask on the first layer.
        random_state: seed of the initial weights.
        hidden: hidden-layer widths of each network.
        lambda1: L1 penalty on the first-layer weights.
        lambda2: L2 penalty on all parameters (the reference's Adam weight decay).
        threshold: edges with ``||W1^(j)[:, i]|| < threshold`` are dropped.
        T: number of central-path problems.
        mu_init: initial weight of the score.
        mu_factor: ``mu`` is multiplied by this after each problem.
        s: log-det parameter.
        warm_iter: Adam iterations at most for each of the first ``T - 1`` problems.
        max_iter: Adam iterations at most for the last problem.
        lr: Adam learning rate.
        checkpoint: iterations without relative improvement ``tol`` that end a problem.
        tol: relative improvement that counts.
        device: ``"auto"``, ``"cpu"`` or ``"cuda[:i]"``.
        progress: show training progress bars.

    Returns:
        A :class:`~deepcausal.discovery.DiscoveryResult` with diagnostics ``loss`` (the log-MSE),
        ``h``, ``iterations`` (Adam steps) and ``restarts``.
    """
    check_penalties(lambda1=lambda1, lambda2=lambda2, threshold=threshold)
    path = CentralPath(
        T=T, mu_init=mu_init, mu_factor=mu_factor, s=s, warm_iter=warm_iter, max_iter=max_iter,
        lr=lr, checkpoint=checkpoint, tol=tol,
    )  # fmt: skip
    columns = [str(c) for c in data.columns]
    forbidden = knowledge.forbidden_mask(columns)
    required = knowledge.required_mask(columns)
    dev = resolve_device(device)
    net = NodewiseMLP(
        ~forbidden,
        hidden,
        split_sign=False,
        generator=torch_generator(random_state),
        zero_first_layer=True,
    ).to(dev)
    X = torch.as_tensor(data.to_numpy(dtype=np.float64, copy=True))
    n, d = X.shape
    penalised = penalty_weights(net, required)
    base = TrainConfig(
        max_epochs=1, batch_size=n, lr=lr, patience=checkpoint, progress=progress, device=dev,
        random_state=random_state, validation_fraction=0.0, min_delta=tol, max_grad_norm=None,
    )  # fmt: skip
    iterations = 0

    def solve(state: None, mu: float, s: float, max_epochs: int, lr: float) -> None:
        nonlocal iterations

        def loss_fn(batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
            x = batch[0]
            h_val = logdet_acyclicity(net.strength(), s)
            if float(h_val.detach()) < 0:
                raise LeftDomain
            score = 0.5 * d * torch.log(((net(x) - x) ** 2).sum() / x.shape[0])
            l2 = sum((p * p).sum() for p in net.parameters())
            reg = lambda1 * net.l1_first_layer(penalised) + 0.5 * lambda2 * l2
            return mu * (score + reg) + h_val

        start = {k: v.clone() for k, v in net.state_dict().items()}
        config = replace(base, max_epochs=max_epochs, lr=lr)
        try:
            result = train(net, loss_fn, [X], config, description="dagma_mlp")
        except LeftDomain:
            net.load_state_dict(start)  # restart the problem from where it began
            raise
        iterations += len(result.train_loss)

    _, restarts = central_path(solve, None, path, method="dagma_mlp", min_lr=1e-10)
    with torch.no_grad():
        x_all = X.to(dev)
        loss = float(0.5 * d * torch.log(((net(x_all) - x_all) ** 2).sum() / n))
        h = float(logdet_acyclicity(net.strength(), 1.0))
    diagnostics: dict[str, float | int | str] = {
        "loss": loss,
        "h": h,
        "iterations": iterations,
        "restarts": restarts,
    }
    return finish(
        net.adjacency(), data, knowledge, method="dagma_mlp", threshold=threshold,
        diagnostics=diagnostics,
    )  # fmt: skip
