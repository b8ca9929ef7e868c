"""Ordering-based local search that refines a linear method's DAG on its own least-squares score.

A continuous method (NOTEARS, DAGMA) stops at a local optimum of a non-convex problem: on large
graphs a few edges come out reversed, and each reversal drags in extra edges that explain the
dependence the wrong direction leaves. Local search after the continuous solve repairs much of this
(Wei, Gao & Yu 2020, "DAGs with No Fears: a closer look at continuous optimization for learning
Bayesian networks", NeurIPS). This module searches over variable orders, as in ordering-based search
(Teyssier & Koller 2005, "Ordering-based search: a simple and effective algorithm for learning
Bayesian networks", UAI), starting from the continuous solution's order:

* **Candidate parents** come from a super-structure: the support of the inverse covariance (the moral
  graph of a linear SEM; Loh & Bühlmann 2014, "High-dimensional learning of linear causal networks
  via inverse covariance estimation", JMLR), each partial correlation kept where Fisher's z-test
  rejects zero at level ``alpha``, joined with the initial graph's skeleton. With ``n <= d + 3``
  rows the inverse covariance is not estimable and the skeleton alone is the super-structure.
* **The score** is the methods' own: least squares with one noise variance shared by all
  variables (the equal-variance Gaussian SEM, identifiable from observational data; Peters &
  Bühlmann 2014), as a BIC, ``n d log(sum_j s_j / d) + k log n`` with ``s_j`` the residual variance
  of ``x_j`` regressed on its candidate parents that come before it in the order and ``k`` the
  number of those candidates.
* **Moves:** for each super-structure pair ``a`` before ``b``, move ``b`` to just before ``a``, or
  ``a`` to just after ``b``; a move only changes the regressions of the moved variable and of its
  neighbours it passes, and is taken when it lowers the BIC. Sweeps repeat until none does.
* **The graph:** each variable's candidate parents before it are regressed by least squares and a
  parent is kept where its t-test rejects a zero coefficient at level ``alpha``; the weights are the
  least-squares coefficients.

Prior knowledge is kept: a forbidden edge is never a candidate, and no move puts a required edge's
head before its tail (required edges stay in the graph whatever their test says).

All of this works on the ``d x d`` covariance: one pass costs a few small regressions per
super-structure pair, seconds at ``d = 1,000``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.stats

__all__ = ["OrderSearch", "order_search"]


@dataclass(frozen=True)
class OrderSearch:
    """What :func:`order_search` found: the refitted weights and how it got there."""

    W: np.ndarray
    moves: int
    sweeps: int
    superstructure: str
    candidate_pairs: int


def order_search(
    X: np.ndarray,
    initial: np.ndarray,
    forbidden: np.ndarray,
    required: np.ndarray,
    *,
    alpha: float = 1e-4,
    max_sweeps: int = 50,
) -> OrderSearch:
    """Refine the DAG ``initial`` (``initial[i, j]`` true for ``i -> j``, acyclic) on the data ``X``.

    Args:
        X: ``(n, d)`` data, used as given apart from centring (the score is not scale invariant,
            like the methods it refines).
        initial: the starting DAG's adjacency; its topological order starts the search.
        forbidden: ``forbidden[i, j]`` true where ``i -> j`` is ruled out.
        required: ``required[i, j]`` true where ``i -> j`` must be in the result.
        alpha: level of the partial-correlation tests of the super-structure and of the t-tests
            that keep a parent (checked by the caller,
            :func:`~deepcausal.discovery._linear.refine_level`).
        max_sweeps: the search stops after this many sweeps even if a move still improves.

    Returns:
        An :class:`OrderSearch` whose ``W`` holds the kept parents' least-squares coefficients.
    """
    n, d = X.shape
    Xc = X - X.mean(axis=0)
    cov = Xc.T @ Xc / n
    initial = np.asarray(initial, dtype=bool)
    skeleton = initial | initial.T | required | required.T
    kind = "initial graph"
    if n > d + 3:
        moral = _inverse_covariance_support(cov, n, alpha)
        if moral is not None:
            skeleton |= moral
            kind = "inverse covariance"
    np.fill_diagonal(skeleton, False)
    search = _Search(cov, n, skeleton & ~forbidden, required, _topological_positions(initial))
    moves, sweeps = search.run(max_sweeps)
    W = search.refit(alpha)
    return OrderSearch(W, moves, sweeps, kind, int(np.triu(skeleton).sum()))


def _inverse_covariance_support(cov: np.ndarray, n: int, alpha: float) -> np.ndarray | None:
    """Pairs whose partial correlation given all other variables is non-zero at level ``alpha``
    (Fisher's z with ``n - d - 1`` degrees of freedom); ``None`` if the covariance is singular."""
    d = cov.shape[0]
    try:
        precision = scipy.linalg.inv(cov)
    except (np.linalg.LinAlgError, ValueError):
        return None
    diag = np.diag(precision)
    if not np.all(np.isfinite(precision)) or np.any(diag <= 0):
        return None
    scale = np.sqrt(diag)
    partial = -precision / np.outer(scale, scale)
    z = np.arctanh(np.clip(partial, -1 + 1e-12, 1 - 1e-12)) * math.sqrt(n - d - 1)
    support = np.asarray(2 * scipy.stats.norm.sf(np.abs(z)) < alpha)
    np.fill_diagonal(support, False)
    return support


def _topological_positions(adjacency: np.ndarray) -> np.ndarray:
    """The position of each variable in a topological order of the DAG (Kahn's algorithm, ties
    by index)."""
    d = adjacency.shape[0]
    indegree = adjacency.sum(axis=0).astype(int)
    ready = sorted(np.flatnonzero(indegree == 0).tolist())
    position = np.full(d, -1, dtype=int)
    placed = 0
    while ready:
        v = ready.pop(0)
        position[v] = placed
        placed += 1
        for child in np.flatnonzero(adjacency[v]):
            indegree[child] -= 1
            if indegree[child] == 0:
                ready.append(int(child))
    if placed != d:
        raise ValueError("the initial graph of the order search has a directed cycle")
    return position


class _Search:
    """The order, the super-structure neighbours and each variable's residual variance."""

    def __init__(
        self,
        cov: np.ndarray,
        n: int,
        parents_allowed: np.ndarray,
        required: np.ndarray,
        position: np.ndarray,
    ) -> None:
        self.cov = cov
        self.n = n
        self.d = cov.shape[0]
        # candidates[j]: the variables allowed as parents of j (super-structure, not forbidden)
        self.candidates = [np.flatnonzero(parents_allowed[:, j]) for j in range(self.d)]
        # adjacent[v]: the variables whose regression may involve v, or v's theirs
        self.adjacent = [
            set(np.flatnonzero(parents_allowed[:, v] | parents_allowed[v]).tolist())
            for v in range(self.d)
        ]
        self.required = np.argwhere(required)
        self.position = position.copy()
        fits = [self._residual(j, self.position) for j in range(self.d)]
        self.variance = np.array([f[0] for f in fits])
        self.size = np.array([f[1] for f in fits])

    def _before(self, j: int, position: np.ndarray) -> np.ndarray:
        c = self.candidates[j]
        return c[position[c] < position[j]]

    def _residual(self, j: int, position: np.ndarray) -> tuple[float, int]:
        """Residual variance of ``x_j`` on its candidates before it, and their number."""
        c = self._before(j, position)
        if c.size == 0:
            return float(self.cov[j, j]), 0
        coef = _solve(self.cov[np.ix_(c, c)], self.cov[c, j])
        return float(self.cov[j, j] - self.cov[c, j] @ coef), int(c.size)

    def _bic(self, total_variance: float, k: int) -> float:
        return self.n * self.d * math.log(max(total_variance, 1e-300) / self.d) + k * math.log(
            self.n
        )

    def _try(self, moved: int, position: np.ndarray, passed: np.ndarray) -> bool:
        """Take the order ``position`` if it lowers the BIC; ``passed`` are the variables whose
        order relative to ``moved`` changed."""
        if self.required.size and not np.all(
            position[self.required[:, 0]] < position[self.required[:, 1]]
        ):
            return False
        affected = {moved}
        affected.update(int(v) for v in passed if int(v) in self.adjacent[moved])
        new = {v: self._residual(v, position) for v in affected}
        total = float(self.variance.sum()) + sum(r - self.variance[v] for v, (r, _) in new.items())
        k = int(self.size.sum()) + sum(s - self.size[v] for v, (_, s) in new.items())
        if self._bic(total, k) >= self._bic(float(self.variance.sum()), int(self.size.sum())):
            return False
        self.position = position
        for v, (r, s) in new.items():
            self.variance[v], self.size[v] = r, s
        return True

    def run(self, max_sweeps: int) -> tuple[int, int]:
        """Sweep over the super-structure pairs until no move lowers the BIC."""
        moves = sweeps = 0
        while sweeps < max_sweeps:
            sweeps += 1
            improved = 0
            for b in range(self.d):
                for a in sorted(self.adjacent[b]):
                    lo, hi = self.position[a], self.position[b]
                    if lo >= hi:
                        continue
                    # b to just before a: the variables from a up to b move one place later
                    passed = np.flatnonzero((self.position >= lo) & (self.position < hi))
                    position = self.position.copy()
                    position[passed] += 1
                    position[b] = lo
                    if self._try(b, position, passed):
                        improved += 1
                        continue
                    # a to just after b: the variables after a up to b move one place earlier
                    passed = np.flatnonzero((self.position > lo) & (self.position <= hi))
                    position = self.position.copy()
                    position[passed] -= 1
                    position[a] = hi
                    if self._try(a, position, passed):
                        improved += 1
            moves += improved
            if not improved:
                break
        return moves, sweeps

    def refit(self, alpha: float) -> np.ndarray:
        """Least-squares weights of each variable's candidates before it, kept where the t-test
        rejects zero at ``alpha`` (or the edge is required)."""
        required = np.zeros((self.d, self.d), dtype=bool)
        if self.required.size:
            required[self.required[:, 0], self.required[:, 1]] = True
        W = np.zeros((self.d, self.d))
        for j in range(self.d):
            c = self._before(j, self.position)
            if c.size == 0:
                continue
            gram = self.cov[np.ix_(c, c)]
            coef = _solve(gram, self.cov[c, j])
            dof = self.n - c.size - 1
            residual = max(float(self.cov[j, j] - self.cov[c, j] @ coef), 1e-300)
            if dof > 0:
                se = np.sqrt(np.clip(np.diag(np.linalg.pinv(gram)), 0, None) * residual / dof)
                with np.errstate(divide="ignore", invalid="ignore"):
                    p = 2 * scipy.stats.t.sf(np.abs(coef / se), dof)
                keep = (p < alpha) | required[c, j]
            else:
                keep = required[c, j]
            W[c[keep], j] = coef[keep]
        return W


def _solve(gram: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """``gram^{-1} rhs`` for a covariance block, by least squares where it is singular."""
    try:
        return np.asarray(scipy.linalg.solve(gram, rhs, assume_a="pos", check_finite=False))
    except (np.linalg.LinAlgError, ValueError):
        return np.asarray(np.linalg.lstsq(gram, rhs, rcond=None)[0])
