"""Linear NOTEARS: structure learning as continuous optimisation with a smooth DAG constraint.

Zheng, Aragam, Ravikumar & Xing (2018), "DAGs with NO TEARS: continuous optimization for structure
learning", NeurIPS. The linear SEM ``X = X W + N`` is fitted by

    min_W  loss(W) + lambda1 |W|_1   subject to   h(W) = tr(exp(W * W)) - d = 0,

solved with the augmented Lagrangian ``loss + rho/2 h^2 + alpha h + lambda1 |W|_1``: each
sub-problem is solved by L-BFGS-B on ``W = W+ - W-`` with ``W+, W- >= 0`` (so the L1 term is
linear), ``rho`` grows tenfold until ``h`` shrinks by a factor 4, then ``alpha += rho h`` -- the
reference implementation's schedule. The least-squares loss is computed from the covariance
``S = X^T X / n`` (``0.5 tr((I - W)^T S (I - W))``, gradient ``-S (I - W)``), so one evaluation
costs ``O(d^3)`` whatever ``n``; the logistic loss (binary data) costs ``O(n d^2)``. The
acyclicity function and its gradient are torch computations in float64 (see
:mod:`deepcausal.discovery._acyclicity`), one ``O(d^3)`` matrix exponential per evaluation.

Prior knowledge is a mask: forbidden entries (and the diagonal) have bounds ``[0, 0]`` in both
halves, so they are exactly zero throughout; required edges carry no L1 penalty and are kept by
:func:`~deepcausal.discovery._base.finalize_weighted` whatever their final weight.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.optimize as sopt
import scipy.special
import torch

from deepcausal.discovery._acyclicity import notears_h_and_grad
from deepcausal.discovery._knowledge import Knowledge
from deepcausal.discovery._result import DiscoveryResult, finalize_weighted
from deepcausal.errors import ConvergenceWarning, DataError, MemoryLimitError
from deepcausal.nn import resolve_device

__all__ = ["notears"]

logger = logging.getLogger(__name__)

LinearLoss = Literal["l2", "logistic"]


def notears(
    data: pd.DataFrame,
    *,
    knowledge: Knowledge,
    random_state: int | None = None,
    loss: LinearLoss = "l2",
    lambda1: float = 0.1,
    threshold: float = 0.3,
    max_iter: int = 100,
    h_tol: float = 1e-8,
    rho_max: float = 1e16,
    device: str = "auto",
) -> DiscoveryResult:
    """Linear NOTEARS (Zheng et al. 2018) with least-squares or logistic loss and an L1 penalty.

    Args:
        data: numeric columns (validated by :func:`~deepcausal.discovery.discover`). Used as
            given (only centred for the least-squares loss): NOTEARS is not scale invariant, so
            standardise real data with different units first.
        knowledge: prior knowledge, enforced as a mask.
        random_state: unused (the method is deterministic); accepted for a uniform interface.
        loss: ``"l2"`` (least squares, continuous data) or ``"logistic"`` (binary 0/1 data).
        lambda1: L1 penalty weight.
        threshold: weights with ``|w| < threshold`` are dropped from the result.
        max_iter: maximum number of dual (``alpha``) updates.
        h_tol: stop once ``h(W) <= h_tol``.
        rho_max: stop once the penalty weight ``rho`` reaches this.
        device: ``"auto"`` (the GPU when there is one and ``d >= 100``, else NumPy/SciPy on the
            CPU), ``"cpu"`` or ``"cuda[:i]"``; see :func:`linear_backend`.

    Returns:
        A :class:`~deepcausal.discovery.DiscoveryResult` with diagnostics ``loss``, ``h``,
        ``rho``, ``iterations`` (dual updates) and ``evaluations`` (objective evaluations).

    Examples:
        >>> import pandas as pd
        >>> from deepcausal.discovery import discover
        >>> from deepcausal.discovery._simulate import simulate_dag, simulate_sem, simulate_weights
        >>> W = simulate_weights(simulate_dag(5, 1, "ER", random_state=1), random_state=1)
        >>> X = pd.DataFrame(simulate_sem(W, 500, random_state=1))
        >>> r = discover(X, method="notears")
        >>> bool(((r.adjacency.to_numpy() != 0) == (W != 0)).all())
        True
    """
    if loss not in ("l2", "logistic"):
        raise ValueError(f"unknown loss {loss!r}; choose 'l2' or 'logistic'")
    if lambda1 < 0 or threshold < 0:
        raise ValueError(f"lambda1 and threshold must be non-negative, got {lambda1}, {threshold}")
    if max_iter < 1:
        raise ValueError(f"max_iter must be >= 1, got {max_iter}")
    columns = [str(c) for c in data.columns]
    X = data.to_numpy(dtype=np.float64)
    if loss == "logistic":
        check_binary(X, columns)
    backend = linear_backend(device, len(columns))
    with memory_guard("notears", *X.shape, loss, backend):
        W, diag = _notears_linear(
            X,
            knowledge.forbidden_mask(columns),
            knowledge.required_mask(columns),
            loss=loss,
            lambda1=lambda1,
            max_iter=max_iter,
            h_tol=h_tol,
            rho_max=rho_max,
            device=backend,
        )
    return finalize_weighted(
        W, columns, method="notears", threshold=threshold, knowledge=knowledge, diagnostics=diag
    )


def check_binary(X: np.ndarray, columns: list[str]) -> None:
    """Raise :class:`DataError` naming the columns of ``X`` that are not 0/1 (logistic losses)."""
    not_binary = [c for c, col in zip(columns, X.T, strict=True) if not np.isin(col, (0, 1)).all()]
    if not_binary:
        raise DataError(f"the logistic loss needs 0/1 columns; not binary: {not_binary}")


def linear_backend(device: str, d: int) -> torch.device | None:
    """Where a linear solver computes: ``None`` for NumPy/SciPy on the CPU, else a torch device.

    ``"auto"`` picks the GPU when there is one and the graph has at least ``GPU_MIN_NODES``
    variables (below that, kernel-launch latency outweighs the ``O(d^3)`` work per iteration);
    on the CPU, NumPy below ``CPU_TORCH_MIN_NODES`` variables (SciPy's small-matrix routines have
    less overhead) and torch from there on (its LU inverse of large matrices is the faster on a
    few cores). ``"cuda[:i]"`` forces torch on that device.
    """
    if device == "auto" and torch.cuda.is_available() and d >= GPU_MIN_NODES:
        return torch.device("cuda")
    resolved = torch.device("cpu") if device == "auto" else resolve_device(device)
    if resolved.type == "cpu":
        return resolved if d >= CPU_TORCH_MIN_NODES else None
    return resolved


GPU_MIN_NODES = 100
CPU_TORCH_MIN_NODES = 300


def linear_memory(n: int, d: int, loss: str) -> int:
    """Bytes a linear solver holds on its device, about: sixteen ``d x d`` float64 matrices (``W``,
    the covariance, Adam's moments, the log-det's inverse, gradients and temporaries), and the
    data for the logistic score."""
    return 8 * (16 * d * d + (n * d if loss == "logistic" else 0))


@contextmanager
def memory_guard(
    method: str, n: int, d: int, loss: str, device: torch.device | None
) -> Iterator[None]:
    """Refuse a GPU run that cannot fit, and turn an out-of-memory during the run into a
    :class:`~deepcausal.errors.MemoryLimitError` that names ``d`` and the memory needed."""
    need = linear_memory(n, d, loss)
    free = None
    if device is not None and device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        if need > free:
            raise MemoryLimitError(_memory_message(method, d, need, free))
    try:
        yield
    except torch.cuda.OutOfMemoryError as exc:
        raise MemoryLimitError(_memory_message(method, d, need, free)) from exc


def _memory_message(method: str, d: int, need: int, free: int | None) -> str:
    have = "" if free is None else f", and {free / 2**30:.2f} GiB are free"
    return (
        f"{method} on d = {d} variables needs about {need / 2**30:.2f} GiB of GPU memory{have}; "
        "run it on the CPU (device='cpu'), on a larger GPU, or on fewer variables"
    )


def _notears_linear(
    X: np.ndarray,
    forbidden: np.ndarray,
    required: np.ndarray,
    *,
    loss: LinearLoss,
    lambda1: float,
    max_iter: int,
    h_tol: float,
    rho_max: float,
    device: torch.device | None,
) -> tuple[np.ndarray, dict[str, float | int | str]]:
    n, d = X.shape
    dd = d * d
    xp = _Ops(device)
    eye = xp.asarray(np.eye(d))
    if loss == "l2":
        Xc = X - X.mean(axis=0, keepdims=True)
        S = xp.asarray(Xc.T @ Xc / n)
    else:
        Xt = xp.asarray(X)
    # L1 weight per entry (the same for W+ and W-): required edges are not shrunk
    pen1 = np.where(required, 0.0, lambda1).ravel()
    pen = xp.asarray(np.concatenate([pen1, pen1]))
    free = ~forbidden.ravel()
    bounds = [(0.0, None) if f else (0.0, 0.0) for f in free] * 2
    state = {"rho": 1.0, "alpha": 0.0, "evals": 0}

    def smooth_loss(W: Any) -> tuple[float, Any]:
        if loss == "l2":
            SD = S @ (eye - W)
            return 0.5 * float((SD * (eye - W)).sum()), -SD
        M = Xt @ W
        value = float((xp.softplus(M) - Xt * M).sum()) / n
        return value, Xt.T @ (xp.sigmoid(M) - Xt) / n

    def func(w: np.ndarray) -> tuple[float, np.ndarray]:
        state["evals"] += 1
        wt = xp.asarray(w)
        W = (wt[:dd] - wt[dd:]).reshape(d, d)
        value, g_loss = smooth_loss(W)
        h, g_h = notears_h_and_grad(W)
        rho, alpha = state["rho"], state["alpha"]
        obj = value + 0.5 * rho * h * h + alpha * h + float((pen * wt).sum())
        g_smooth = (g_loss + (rho * h + alpha) * g_h).reshape(-1)
        grad = xp.concatenate(g_smooth, -g_smooth) + pen
        return obj, xp.numpy(grad)

    def h_of(w: np.ndarray) -> float:
        return notears_h_and_grad(xp.asarray(w[:dd] - w[dd:]).reshape(d, d))[0]

    w_est = np.zeros(2 * dd)
    h = math.inf
    iterations = 0
    for iterations in range(1, max_iter + 1):
        w_new, h_new = w_est, h
        while state["rho"] < rho_max:
            sol = sopt.minimize(func, w_est, method="L-BFGS-B", jac=True, bounds=bounds)
            w_new = sol.x
            h_new = h_of(w_new)
            logger.debug(
                "notears: rho=%.0e nfev=%d nit=%d h=%.3e msg=%s",
                state["rho"],
                sol.nfev,
                sol.nit,
                h_new,
                sol.message,
            )
            if h_new > 0.25 * h:
                state["rho"] *= 10
            else:
                break
        w_est, h = w_new, h_new
        state["alpha"] += state["rho"] * h
        logger.debug("notears: iteration %d, h=%.3e, rho=%.1e", iterations, h, state["rho"])
        if h <= h_tol or state["rho"] >= rho_max:
            break
    if h > h_tol:
        warnings.warn(
            f"notears stopped with h(W) = {h:.2e} > h_tol = {h_tol:.0e} (rho = {state['rho']:.0e});"
            " the thresholded graph is still made acyclic, but consider a larger lambda1 or "
            "standardised data",
            ConvergenceWarning,
            stacklevel=3,
        )
    W_est = (w_est[:dd] - w_est[dd:]).reshape(d, d)
    W_est[forbidden] = 0.0
    diag: dict[str, float | int | str] = {
        "loss": smooth_loss(xp.asarray(W_est))[0],
        "h": float(h),
        "rho": float(state["rho"]),
        "iterations": iterations,
        "evaluations": int(state["evals"]),
    }
    return W_est, diag


class _Ops:
    """The few array operations the linear solvers need, on NumPy (``device=None``) or torch."""

    def __init__(self, device: torch.device | None, single: bool = False) -> None:
        self.device = device
        self.single = single

    def asarray(self, a: np.ndarray) -> Any:
        if self.device is None:
            return np.asarray(a, dtype=np.float32 if self.single else np.float64)
        dtype = torch.float32 if self.single else torch.float64
        return torch.as_tensor(a, dtype=dtype, device=self.device)

    def numpy(self, a: Any) -> np.ndarray:
        if isinstance(a, torch.Tensor):
            return a.detach().cpu().numpy()
        return a

    def concatenate(self, a: Any, b: Any) -> Any:
        if isinstance(a, torch.Tensor):
            return torch.cat([a, b])
        return np.concatenate([a, b])

    def softplus(self, a: Any) -> Any:
        if isinstance(a, torch.Tensor):
            return torch.nn.functional.softplus(a)
        return np.logaddexp(0.0, a)

    def sign(self, a: Any) -> Any:
        if isinstance(a, torch.Tensor):
            return torch.sign(a)
        return np.sign(a)

    def sqrt(self, a: Any) -> Any:
        if isinstance(a, torch.Tensor):
            return torch.sqrt(a)
        return np.sqrt(a)

    def sigmoid(self, a: Any) -> Any:
        if isinstance(a, torch.Tensor):
            return torch.sigmoid(a)
        return scipy.special.expit(a)
