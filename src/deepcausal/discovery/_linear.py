"""What the linear SEM methods (NOTEARS, DAGMA) share: the data set-up, the least-squares and
logistic scores, where they compute (NumPy or torch, CPU or GPU) and the GPU memory guard."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.special
import torch

from deepcausal.discovery._knowledge import Knowledge
from deepcausal.errors import DataError, MemoryLimitError
from deepcausal.nn import resolve_device

__all__ = [
    "CPU_TORCH_MIN_NODES",
    "GPU_MIN_NODES",
    "ArrayOps",
    "LinearData",
    "LinearLoss",
    "LinearScore",
    "linear_backend",
    "linear_data",
    "linear_memory",
    "memory_guard",
    "refine_level",
]

LinearLoss = Literal["l2", "logistic"]

GPU_MIN_NODES = 100
CPU_TORCH_MIN_NODES = 300


@dataclass(frozen=True)
class LinearData:
    """A linear method's inputs: the data matrix, names, knowledge masks and compute backend."""

    X: np.ndarray
    columns: list[str]
    forbidden: np.ndarray
    required: np.ndarray
    backend: torch.device | None


def linear_data(data: pd.DataFrame, knowledge: Knowledge, loss: str, device: str) -> LinearData:
    """Check the loss (and 0/1 columns for the logistic one) and pick the backend."""
    if loss not in ("l2", "logistic"):
        raise ValueError(f"unknown loss {loss!r}; choose 'l2' or 'logistic'")
    columns = [str(c) for c in data.columns]
    X = data.to_numpy(dtype=np.float64)
    if loss == "logistic":
        not_binary = [
            c for c, col in zip(columns, X.T, strict=True) if not np.isin(col, (0, 1)).all()
        ]
        if not_binary:
            raise DataError(f"the logistic loss needs 0/1 columns; not binary: {not_binary}")
    return LinearData(
        X,
        columns,
        knowledge.forbidden_mask(columns),
        knowledge.required_mask(columns),
        linear_backend(device, len(columns)),
    )


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


class LinearScore:
    """The score of the linear SEM ``X = X W + N`` and its gradient, on :class:`ArrayOps`.

    ``"l2"``: ``0.5 tr((I - W)^T S (I - W))`` with the covariance ``S`` of the centred data, so
    one evaluation costs ``O(d^3)`` whatever ``n``; ``"logistic"`` (0/1 data): the mean of
    ``softplus(X W) - X * (X W)``, ``O(n d^2)``.
    """

    def __init__(self, X: np.ndarray, loss: LinearLoss, xp: ArrayOps) -> None:
        n, d = X.shape
        self.loss = loss
        self.xp = xp
        self.n = n
        if loss == "l2":
            X = X - X.mean(axis=0, keepdims=True)
        self.X = xp.asarray(X) if loss == "logistic" else None
        self.cov = xp.asarray(X.T @ X / n)
        self.eye = xp.asarray(np.eye(d))

    def value_and_grad(self, W: Any) -> tuple[float, Any]:
        """The score and its gradient."""
        if self.X is None:
            dif = self.eye - W
            rhs = self.cov @ dif
            return 0.5 * float((dif * rhs).sum()), -rhs
        R = self.X @ W
        value = float((self.xp.softplus(R) - self.X * R).sum()) / self.n
        return value, self.X.T @ self.xp.sigmoid(R) / self.n - self.cov

    def grad(self, W: Any) -> Any:
        """The gradient alone (no value: cheaper inside an optimiser loop)."""
        if self.X is None:
            if isinstance(W, torch.Tensor):
                return torch.addmm(self.cov, self.cov, W, beta=-1.0)  # one pass fewer
            return self.cov @ W - self.cov
        return self.X.T @ self.xp.sigmoid(self.X @ W) / self.n - self.cov


class ArrayOps:
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


def refine_level(refine: bool, refine_alpha: float, loss: str) -> float | None:
    """The test level of the order search that refines a linear method's DAG, or ``None`` when
    it is off; the search scores by least squares, so it needs the ``"l2"`` loss."""
    if not isinstance(refine, bool):
        raise ValueError(f"refine must be True or False, got {refine!r}")
    if not refine:
        return None
    if loss != "l2":
        raise ValueError(
            f"refine=True needs loss='l2' (the search scores by least squares), got loss={loss!r}"
        )
    if not 0.0 < refine_alpha < 1.0:
        raise ValueError(f"refine_alpha must lie in (0, 1), got {refine_alpha}")
    return float(refine_alpha)
