"""Smooth acyclicity functions h, shared by the continuous-optimisation discovery methods.

Each function maps a non-negative "edge-strength" matrix ``A`` (``A[i, j] > 0`` iff the model uses
``i`` to predict ``j``; for a weight matrix ``W`` it is ``W * W``) to a scalar that is zero exactly
when the graph of ``A`` is acyclic and positive otherwise, so a DAG constraint becomes ``h(A) = 0``.

* :func:`expm_acyclicity` -- ``tr(exp(A)) - d`` (NOTEARS, Zheng et al. 2018; also NOTEARS-MLP and
  GraN-DAG). ``tr(A^k)`` sums the weights of closed walks of length ``k``; the exponential weighs
  them by ``1/k!``.
* :func:`logdet_acyclicity` -- ``-log det(s I - A) + d log s`` (DAGMA, Bello et al. 2022), defined
  on the M-matrices ``s > rho(A)``; it has larger gradients than the exponential far from a DAG and
  no vanishing gradient for large cycles.
* :func:`poly_acyclicity` -- ``tr((I + A / d)^d) - d`` (DAG-GNN, Yu et al. 2019).

All are torch functions that support autograd and run on whatever device ``A`` lives on (the GPU
when the caller put it there). They upcast to float64 internally -- the exponential and the inverse
lose precision quickly in float32 once ``A`` has cycles -- and return a result in ``A``'s dtype.
:func:`notears_h_and_grad` and :func:`dagma_h_and_grad` give closed-form gradients with respect to
a weight matrix ``W`` for the linear solvers, which skip autograd for speed; they compute in torch
for a tensor (on its device, e.g. the GPU) and with NumPy/SciPy for an array (a CPU run of a small
graph, where one SciPy call costs less than the chain of small torch kernels).

Cost per evaluation (and so per optimiser iteration) for ``d`` variables: ``O(d^3)`` time and
``O(d^2)`` memory for every function here (a matrix exponential by scaling and squaring, an LU
factorisation and inverse, or ``log2 d`` matrix products).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg
import torch

Array = np.ndarray | torch.Tensor

__all__ = [
    "dagma_grad",
    "dagma_h_and_grad",
    "expm_acyclicity",
    "in_mmatrix_domain",
    "logdet_acyclicity",
    "mmatrix_inverse",
    "notears_h_and_grad",
    "poly_acyclicity",
]


def _check_square(A: Array) -> int:
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"acyclicity needs a square matrix, got shape {tuple(A.shape)}")
    return int(A.shape[0])


class _TraceExpm(torch.autograd.Function):
    """``tr(exp(A))`` with the cheap closed-form gradient ``exp(A)^T``.

    torch's own ``matrix_exp`` backward exponentiates a ``2d x 2d`` block matrix; the trace only
    needs the transpose of the forward result, which is saved.
    """

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, A: torch.Tensor) -> torch.Tensor:
        E = torch.linalg.matrix_exp(A)
        ctx.save_for_backward(E)
        return E.diagonal().sum()

    @staticmethod
    def backward(
        ctx: torch.autograd.function.FunctionCtx, grad_output: torch.Tensor
    ) -> torch.Tensor:
        (E,) = ctx.saved_tensors  # type: ignore[attr-defined]
        return grad_output * E.T


def expm_acyclicity(A: torch.Tensor) -> torch.Tensor:
    """NOTEARS' trace-exponential: ``h(A) = tr(exp(A)) - d``.

    Zero iff the weighted graph of the non-negative matrix ``A`` has no directed cycle.
    Zheng, Aragam, Ravikumar & Xing (2018), "DAGs with NO TEARS: continuous optimization for
    structure learning", NeurIPS. Cost: ``O(d^3)`` per call (scaling and squaring) and ``O(d^2)``
    for the gradient ``exp(A)^T``, float64 inside; differentiable by autograd.

    Args:
        A: a non-negative ``(d, d)`` tensor, e.g. ``W * W``.

    Returns:
        A scalar tensor in ``A``'s dtype and device.

    >>> import torch
    >>> float(expm_acyclicity(torch.tensor([[0.0, 1.0], [0.0, 0.0]])))
    0.0
    >>> float(expm_acyclicity(torch.tensor([[0.0, 1.0], [1.0, 0.0]]))) > 0
    True
    """
    d = _check_square(A)
    h = _TraceExpm.apply(A.to(torch.float64)) - d
    return h.to(A.dtype)


def logdet_acyclicity(A: torch.Tensor, s: float = 1.0) -> torch.Tensor:
    """DAGMA's log-determinant: ``h_s(A) = -log det(s I - A) + d log s``.

    Zero iff the graph of ``A`` is acyclic, for ``A`` in the M-matrix domain ``s > rho(A)``
    (spectral radius). Outside the domain the value is meaningless; callers check
    :func:`in_mmatrix_domain` (the reference implementation restarts with a smaller step).
    Bello, Aragam & Ravikumar (2022), "DAGMA: learning DAGs via M-matrices and a log-determinant
    acyclicity characterization", NeurIPS. Cost: ``O(d^3)`` per call (an LU factorisation),
    float64 inside; differentiable by autograd.

    Args:
        A: a non-negative ``(d, d)`` tensor, e.g. ``W * W``.
        s: the log-det parameter, positive.

    Returns:
        A scalar tensor in ``A``'s dtype and device.

    >>> import torch
    >>> round(float(logdet_acyclicity(torch.tensor([[0.0, 0.5], [0.0, 0.0]]))), 12)
    0.0
    >>> float(logdet_acyclicity(torch.tensor([[0.0, 0.5], [0.5, 0.0]]))) > 0
    True
    """
    if s <= 0:
        raise ValueError(f"the log-det parameter s must be positive, got {s}")
    d = _check_square(A)
    A64 = A.to(torch.float64)
    eye = torch.eye(d, dtype=torch.float64, device=A.device)
    _, logabsdet = torch.linalg.slogdet(s * eye - A64)
    h = -logabsdet + d * math.log(s)
    return h.to(A.dtype)


def in_mmatrix_domain(A: torch.Tensor, s: float = 1.0) -> bool:
    """Whether ``s I - A`` is a non-singular M-matrix (its inverse is entry-wise non-negative).

    >>> import torch
    >>> in_mmatrix_domain(torch.tensor([[0.0, 2.0], [0.0, 0.0]]))
    True
    >>> in_mmatrix_domain(torch.tensor([[0.0, 2.0], [2.0, 0.0]]))
    False
    """
    d = _check_square(A)
    eye = torch.eye(d, dtype=torch.float64, device=A.device)
    try:
        inv = torch.linalg.inv(s * eye - A.detach().to(torch.float64))
    except RuntimeError:  # singular
        return False
    return bool((inv >= -1e-12).all())


def poly_acyclicity(A: torch.Tensor) -> torch.Tensor:
    """DAG-GNN's polynomial: ``h(A) = tr((I + A / d)^d) - d``.

    Zero iff the graph of the non-negative ``A`` is acyclic. Yu, Chen, Gao & Yu (2019), "DAG-GNN:
    DAG structure learning with graph neural networks", ICML (their ``alpha = 1 / d``). Cost:
    ``O(d^3 log d)`` per call (repeated squaring), float64 inside; differentiable by autograd.

    >>> import torch
    >>> float(poly_acyclicity(torch.tensor([[0.0, 3.0], [0.0, 0.0]])))
    0.0
    """
    d = _check_square(A)
    A64 = A.to(torch.float64)
    M = torch.eye(d, dtype=torch.float64, device=A.device) + A64 / d
    h = torch.linalg.matrix_power(M, d).diagonal().sum() - d
    return h.to(A.dtype)


def _expm(A: Array) -> Array:
    if isinstance(A, torch.Tensor):
        return torch.linalg.matrix_exp(A)
    return scipy.linalg.expm(A)


def _inv(M: Array) -> Array:
    if isinstance(M, torch.Tensor):
        return torch.linalg.inv(M)
    return np.linalg.inv(M)


def _logabsdet(M: Array) -> float:
    if isinstance(M, torch.Tensor):
        return float(torch.linalg.slogdet(M)[1])
    return float(np.linalg.slogdet(M)[1])


def _eye_like(W: Array) -> Array:
    if isinstance(W, torch.Tensor):
        return torch.eye(W.shape[0], dtype=W.dtype, device=W.device)
    return np.eye(W.shape[0], dtype=W.dtype)


def notears_h_and_grad(W: Array) -> tuple[float, Array]:
    """``h(W) = tr(exp(W * W)) - d`` and its gradient ``exp(W * W)^T * 2 W`` in closed form.

    For the linear NOTEARS solver inside L-BFGS-B, where autograd's bookkeeping would cost more
    than the ``O(d^3)`` matrix exponential itself. ``W`` is a float64 torch tensor (computed by
    torch on its device) or a NumPy array (computed by SciPy's ``expm``, which is several times
    cheaper per call than a chain of small torch kernels for the ``d <= 100`` of a CPU run).

    On a DAG both vanish (an edge on no cycle does not move ``h``); on a 2-cycle they do not:

    >>> h, g = notears_h_and_grad(np.array([[0.0, 1.0], [0.0, 0.0]]))
    >>> h, g.tolist()
    (0.0, [[0.0, 0.0], [0.0, 0.0]])
    >>> h, g = notears_h_and_grad(np.array([[0.0, 0.5], [0.5, 0.0]]))
    >>> round(h, 6), bool(g[0, 1] > 0)
    (0.062826, True)
    """
    d = _check_square(W)
    E = _expm(W * W)
    h = float(E.diagonal().sum()) - d
    return h, E.T * W * 2


def mmatrix_inverse(W: Array, s: float = 1.0) -> Array:
    """``(s I - W * W)^{-1}``: all its entries are non-negative exactly when ``W * W`` is in the
    log-det's M-matrix domain.

    >>> bool((mmatrix_inverse(np.array([[0.0, 0.5], [0.0, 0.0]])) >= 0).all())
    True
    """
    _check_square(W)
    return _inv(s * _eye_like(W) - W * W)


def dagma_grad(W: Array, s: float = 1.0) -> tuple[Array, Array]:
    """The gradient of :func:`dagma_h_and_grad` and the inverse ``(s I - W * W)^{-1}``, skipping
    the log-determinant (an optimiser step needs only these; the value is checked rarely).

    >>> g, inv = dagma_grad(np.array([[0.0, 0.5], [0.5, 0.0]]))
    >>> bool(g[0, 1] > 0 and (inv >= 0).all())
    True
    """
    inv = mmatrix_inverse(W, s)
    return 2 * W * inv.T, inv


def dagma_h_and_grad(W: Array, s: float = 1.0) -> tuple[float, Array, Array]:
    """``h_s(W) = -log det(s I - W * W) + d log s``, its gradient ``2 W * (s I - W * W)^{-T}``.

    Closed form for the linear DAGMA solver; also returns the inverse ``(s I - W * W)^{-1}``,
    whose entries are all non-negative exactly when ``W * W`` is in the M-matrix domain (the
    solver checks it). ``W`` is a float64 torch tensor or NumPy array, as for
    :func:`notears_h_and_grad`.

    >>> h, g, inv = dagma_h_and_grad(np.array([[0.0, 0.5], [0.0, 0.0]]))
    >>> round(h, 12), g.tolist()
    (0.0, [[0.0, 0.0], [0.0, 0.0]])
    """
    d = _check_square(W)
    M = s * _eye_like(W) - W * W
    inv = _inv(M)
    h = -_logabsdet(M) + d * math.log(s)
    return h, 2 * W * inv.T, inv
