"""Kernel instrumental variable regression (KIV; Singh, Sahani & Gretton 2019, "Kernel instrumental
variable regression", NeurIPS, Algorithm 1).

The structural response ``h`` lives in a reproducing kernel Hilbert space over ``(t, x)``. With
``φ`` the feature map of that kernel, ``E[Y | Z, X] = ⟨h, E[φ(T, X) | Z, X]⟩``, so KIV learns two
kernel ridge regressions on two halves of the data:

1. the conditional mean embedding ``μ(z) = E[φ(T, X) | Z = z, X]`` on the first half
   (``n`` rows, penalty ``λ``): ``μ̂(z) = Φ_X (K_ZZ + nλI)⁻¹ k_Z(z)``;
2. ``h`` by ridge regression of ``Y`` on ``μ̂(Z̃)`` on the second half (``m`` rows, penalty ``ξ``):
   with ``W = K_XX (K_ZZ + nλI)⁻¹ K_ZZ̃``, ``α̂ = (W Wᵀ + mξ K_XX)⁻¹ W ỹ`` and
   ``ĥ(t, x) = α̂ᵀ k_X(t, x)``.

``λ`` is chosen on the stage-1 loss out of sample (the embedding's error on the second half) and
``ξ`` on the stage-2 loss out of sample (the first half's outcomes), as in §5 of the paper: no
ground truth is needed. Kernels are Gaussian on standardised columns with per-column
median-heuristic lengthscales (a product kernel). The exact kernels cost ``O(n²)`` memory and
``O(n³)`` time per stage: up to some 10,000 rows; beyond that use :class:`DeepIV`.
"""

from __future__ import annotations

import math

import numpy as np

from deepcausal.errors import DataError
from deepcausal.estimators._base import Effect, normal_effect
from deepcausal.estimators._iv import BaseIVEstimator
from deepcausal.estimators._nuisance import seeds

__all__ = ["KernelIV"]

_GRID = tuple(10.0**k for k in range(-7, 0))
_MAX_ROWS = 20_000


class KernelIV(BaseIVEstimator):
    """Kernel instrumental variable regression (KIV, Singh, Sahani & Gretton 2019): a nonparametric
    structural response ``h(t, x)`` from two kernel ridge stages on two halves of the data (see the
    module docstring). Covariates ``X`` are exogenous: they enter both kernels.

    Args:
        lambdas: grid of the stage-1 penalty ``λ`` (per row), chosen by the stage-1 loss on the
            second half.
        xis: grid of the stage-2 penalty ``ξ`` (per row), chosen by the stage-2 loss on the first
            half.
        n_bootstrap: refits on resampled rows (penalties and lengthscales held) for the interval
            of :meth:`ate`; 0 gives no interval.
        random_state: seed of the split and of the bootstrap.

    Attributes:
        lambda_, xi_: the chosen penalties.
        lengthscales_: the Gaussian kernels' lengthscales, ``(t, x...)`` and ``(z..., x...)``.

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> u, z = rng.normal(size=(2, 600))
        >>> t = z + u + 0.3 * rng.normal(size=600)
        >>> y = np.sin(t) + 2 * u + 0.1 * rng.normal(size=600)     # u confounds t and y
        >>> kiv = KernelIV(n_bootstrap=0, random_state=0).fit(None, t, y, instruments=z)
        >>> grid = np.linspace(-1.5, 1.5, 7)
        >>> bool(np.abs(kiv.predict(None, grid[:, None]) - np.sin(grid)).max() < 0.5)
        True
    """

    _method = "KernelIV"

    def __init__(
        self,
        *,
        lambdas: tuple[float, ...] = _GRID,
        xis: tuple[float, ...] = _GRID,
        n_bootstrap: int = 20,
        random_state: int | None = None,
    ) -> None:
        self.lambdas = lambdas
        self.xis = xis
        self.n_bootstrap = n_bootstrap
        self.random_state = random_state

    # -- BaseIVEstimator
    def _fit(self, X: np.ndarray | None, t: np.ndarray, y: np.ndarray, Z: np.ndarray) -> None:
        if int(self.n_bootstrap) < 0 or int(self.n_bootstrap) == 1:
            raise ValueError(f"n_bootstrap must be 0 or at least 2, got {self.n_bootstrap}")
        for name, grid in (("lambdas", self.lambdas), ("xis", self.xis)):
            if len(grid) == 0 or min(grid) <= 0:
                raise ValueError(f"{name} must be a non-empty grid of positive penalties")
        n = t.shape[0]
        if n < 20:
            raise DataError(f"KernelIV needs at least 20 rows (two halves of 10), got {n}")
        if n > _MAX_ROWS:
            raise DataError(
                f"KernelIV holds n x n kernel matrices: {n} rows is above its limit of "
                f"{_MAX_ROWS}; use DeepIV (a mini-batch estimator) for data this large"
            )
        A, B = self._inputs(X, t), self._instruments(X, Z)
        self.a_mean_, self.a_scale_ = _moments(A)
        self.b_mean_, self.b_scale_ = _moments(B)
        A, B = (A - self.a_mean_) / self.a_scale_, (B - self.b_mean_) / self.b_scale_
        self.lengthscales_ = (_median_lengthscales(A), _median_lengthscales(B))
        self.y_mean_, self.y_scale_ = float(y.mean()), float(y.std()) or 1.0
        ys = (y - self.y_mean_) / self.y_scale_
        split_seed, boot_seed = seeds(self.random_state, 2)
        order = np.random.default_rng(split_seed).permutation(n)
        first, second = order[: n // 2], order[n // 2 :]
        self.lambda_, self.xi_ = self._select(A, B, ys, first, second)
        self.rows_, self.alpha_ = A[first], self._solve(A, B, ys, first, second)
        self.bootstrap_ = []
        rng = np.random.default_rng(boot_seed)
        for _ in range(int(self.n_bootstrap)):
            rows = np.asarray(rng.integers(0, n, size=n), dtype=np.int64)
            half = n // 2
            self.bootstrap_.append(
                (A[rows[:half]], self._solve(A, B, ys, rows[:half], rows[half:]))
            )

    def _predict(self, X: np.ndarray | None, t: np.ndarray) -> np.ndarray:
        return self._h(self.rows_, self.alpha_, X, t)

    def _ate(self, t0: float, t1: float, level: float) -> Effect:
        X = self.fit_data_[0]
        n = self.fit_data_[1].shape[0]

        def average(rows: np.ndarray, alpha: np.ndarray) -> float:
            at = [self._h(rows, alpha, X, np.full(n, value)) for value in (t0, t1)]
            return float(np.mean(at[1] - at[0]))

        value = average(self.rows_, self.alpha_)
        reps = [average(rows, alpha) for rows, alpha in self.bootstrap_]
        se = float(np.std(reps, ddof=1)) if len(reps) > 1 else math.inf
        how = f"bootstrap ({len(reps)} refits)" if reps else "no interval: n_bootstrap=0"
        return normal_effect(value, se, level=level, method=f"KernelIV, {how}",
                             estimand=f"ATE (t={t1:g} vs t={t0:g})")  # fmt: skip

    # -- the two stages
    def _select(
        self, A: np.ndarray, B: np.ndarray, y: np.ndarray, first: np.ndarray, second: np.ndarray
    ) -> tuple[float, float]:
        """``λ`` by the stage-1 loss on the second half, then ``ξ`` by the stage-2 loss on the
        first half (Singh et al. 2019, §5)."""
        la, lb = self.lengthscales_
        K_aa, K_bb = _gauss(A[first], A[first], la), _gauss(B[first], B[first], lb)
        K_bb2 = _gauss(B[first], B[second], lb)
        K_a2a = _gauss(A[second], A[first], la)
        evals, evecs = np.linalg.eigh(K_bb)
        n, m = len(first), len(second)
        proj = evecs.T @ K_bb2
        best_lam, best = self.lambdas[0], math.inf
        for lam in self.lambdas:
            gamma = evecs @ (proj / (evals + n * lam)[:, None])  # (K_bb + nλ)⁻¹ K_bb̃
            # mean over the second half of ||φ(ã) - μ̂(b̃)||², without the constant k(ã, ã) = 1
            loss = float((-2 * np.sum(K_a2a.T * gamma) + np.sum(gamma * (K_aa @ gamma))) / m)
            if loss < best:
                best_lam, best = lam, loss
        gamma = evecs @ (proj / (evals + n * best_lam)[:, None])
        W = K_aa @ gamma
        # the embedding of the first half's instruments learned on the second half's rows, so ĥ is
        # judged at treatment values it was not fitted on: E[Y | z_i] ≈ Σ_j Γ'_ji ĥ(ã_j)
        K_b2b2 = _gauss(B[second], B[second], lb)
        cross = np.linalg.solve(K_b2b2 + m * best_lam * np.eye(m), K_bb2.T)
        best_xi, best = self.xis[0], math.inf
        for xi in self.xis:
            alpha = _stage2(W, K_aa, y[second], m * xi)
            loss = float(np.mean((y[first] - cross.T @ (K_a2a @ alpha)) ** 2))
            if loss < best:
                best_xi, best = xi, loss
        return best_lam, best_xi

    def _solve(
        self, A: np.ndarray, B: np.ndarray, y: np.ndarray, first: np.ndarray, second: np.ndarray
    ) -> np.ndarray:
        la, lb = self.lengthscales_
        n, m = len(first), len(second)
        K_aa, K_bb = _gauss(A[first], A[first], la), _gauss(B[first], B[first], lb)
        K_bb2 = _gauss(B[first], B[second], lb)
        gamma = np.linalg.solve(K_bb + n * self.lambda_ * np.eye(n), K_bb2)
        return _stage2(K_aa @ gamma, K_aa, y[second], m * self.xi_)

    # -- helpers
    def _h(
        self, rows: np.ndarray, alpha: np.ndarray, X: np.ndarray | None, t: np.ndarray
    ) -> np.ndarray:
        A = (self._inputs(X, t) - self.a_mean_) / self.a_scale_
        out = np.concatenate([
            _gauss(A[s : s + 4096], rows, self.lengthscales_[0]) @ alpha
            for s in range(0, A.shape[0], 4096)
        ])  # fmt: skip
        return np.asarray(self.y_mean_ + self.y_scale_ * out)

    @staticmethod
    def _inputs(X: np.ndarray | None, t: np.ndarray) -> np.ndarray:
        return t.reshape(-1, 1) if X is None else np.column_stack([t, X])

    @staticmethod
    def _instruments(X: np.ndarray | None, Z: np.ndarray) -> np.ndarray:
        return Z if X is None else np.column_stack([Z, X])


def _stage2(W: np.ndarray, K_aa: np.ndarray, y: np.ndarray, penalty: float) -> np.ndarray:
    """``α̂ = (W Wᵀ + penalty K_aa)⁻¹ W y`` (a tiny jitter keeps a flat kernel solvable)."""
    lhs = W @ W.T + penalty * K_aa + 1e-10 * np.eye(W.shape[0])
    return np.linalg.solve(lhs, W @ y)


def _moments(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scale = a.std(axis=0)
    return a.mean(axis=0), np.where(scale > 0, scale, 1.0)


def _median_lengthscales(a: np.ndarray) -> np.ndarray:
    """Per column, the median distance between distinct values of (at most 1,000 of) its rows."""
    sample = a[: min(len(a), 1000)]
    out = []
    for column in sample.T:
        dist = np.abs(column[:, None] - column[None, :])
        positive = dist[dist > 0]
        out.append(float(np.median(positive)) if positive.size else 1.0)
    return np.asarray(out)


def _gauss(a: np.ndarray, b: np.ndarray, lengthscales: np.ndarray) -> np.ndarray:
    """The product Gaussian kernel ``exp(-Σ_j (a_j - b_j)² / (2 ℓ_j²))``."""
    a, b = a / lengthscales, b / lengthscales
    sq = (a**2).sum(1)[:, None] + (b**2).sum(1)[None, :] - 2 * a @ b.T
    return np.exp(-0.5 * np.maximum(sq, 0.0))
