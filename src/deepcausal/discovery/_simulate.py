"""Random DAGs and structural equation models with known ground truth, for tests and benchmarks.

The generators follow the simulation protocol of the continuous-optimisation literature -- NOTEARS
(Zheng et al. 2018, 2020), DAGMA (Bello et al. 2022), GraN-DAG (Lachapelle et al. 2020):

* graphs: Erdős–Rényi ("ER", exactly ``round(k d)`` edges oriented along a random order) or
  scale-free ("SF", Barabási–Albert preferential attachment with ``k`` edges per new node); the
  usual names ER2 / SF2 mean ``edges_per_node = 2``;
* linear SEMs ``X_j = sum_i W_ij X_i + noise`` with weights uniform on ``[-2, -0.5] u [0.5, 2]``
  and Gaussian, exponential, Gumbel, uniform or logistic (binary) noise;
* nonlinear additive-noise SEMs ``X_j = f_j(X_pa(j)) + N(0, sigma^2)`` where ``f_j`` is a random
  one-hidden-layer sigmoid MLP ("mlp"), ``tanh + cos + sin`` of random projections ("mim"), a draw
  from a Gaussian process with an RBF kernel ("gp"), or a sum of one-dimensional GP draws ("gp-add").

Everything is seeded by ``random_state`` (a NumPy ``default_rng`` seed) and returns NumPy arrays;
adjacency matrices follow the project's convention ``B[i, j] = 1`` iff ``i -> j``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, get_args

import numpy as np

from deepcausal.errors import GraphError

if TYPE_CHECKING:
    from deepcausal.graph import CausalGraph

__all__ = ["GraphType", "SemType", "simulate_dag", "simulate_sem", "simulate_weights"]

GraphType = Literal["ER", "SF"]
SemType = Literal["gauss", "exp", "gumbel", "uniform", "logistic", "mlp", "mim", "gp", "gp-add"]
_LINEAR = ("gauss", "exp", "gumbel", "uniform", "logistic")
_MLP_HIDDEN = 100


def simulate_dag(
    d: int,
    edges_per_node: float,
    graph_type: GraphType = "ER",
    random_state: int | None = None,
) -> np.ndarray:
    """A random DAG on ``d`` nodes as a binary adjacency matrix (``B[i, j] = 1`` iff ``i -> j``).

    Args:
        d: number of nodes (at least 1).
        edges_per_node: ``k`` in ERk / SFk: ER graphs get exactly ``round(k d)`` edges (capped at
            ``d (d - 1) / 2``); SF graphs attach each new node to ``round(k)`` earlier nodes.
        graph_type: ``"ER"`` (Erdős–Rényi) or ``"SF"`` (scale-free, Barabási–Albert).
        random_state: seed.

    Returns:
        An ``int`` array of shape ``(d, d)`` whose nodes are in random (not topological) order.

    >>> B = simulate_dag(10, 2, "ER", random_state=0)
    >>> int(B.sum()), bool(np.all(np.diag(B) == 0))
    (20, True)
    """
    if not isinstance(d, (int, np.integer)) or d < 1:
        raise ValueError(f"d must be a positive integer, got {d!r}")
    if edges_per_node < 0:
        raise ValueError(f"edges_per_node must be non-negative, got {edges_per_node}")
    rng = np.random.default_rng(random_state)
    d = int(d)
    B = np.zeros((d, d), dtype=int)
    if graph_type == "ER":
        pairs = np.array([(i, j) for j in range(d) for i in range(j)], dtype=int).reshape(-1, 2)
        m = min(round(edges_per_node * d), len(pairs))
        chosen = pairs[rng.choice(len(pairs), size=m, replace=False)]
        # pairs are (earlier, later) in index order, so B is upper triangular: a DAG
        B[chosen[:, 0], chosen[:, 1]] = 1
    elif graph_type == "SF":
        k = round(edges_per_node)
        in_degree = np.zeros(d)
        for new in range(1, d):
            m = min(k, new)
            if m == 0:
                continue
            # preferential attachment to in-degree + 1 (igraph's Barabasi with zero_appeal = 1)
            weights = in_degree[:new] + 1.0
            targets = rng.choice(new, size=m, replace=False, p=weights / weights.sum())
            B[new, targets] = 1  # new -> older: acyclic
            in_degree[targets] += 1
    else:
        raise ValueError(f"unknown graph_type {graph_type!r}; choose 'ER' or 'SF'")
    perm = rng.permutation(d)
    return B[np.ix_(perm, perm)]


def simulate_weights(
    dag: np.ndarray,
    w_ranges: tuple[tuple[float, float], ...] = ((-2.0, -0.5), (0.5, 2.0)),
    random_state: int | None = None,
) -> np.ndarray:
    """Edge weights for a binary DAG, each uniform on one of ``w_ranges`` (picked uniformly).

    >>> W = simulate_weights(np.array([[0, 1], [0, 0]]), random_state=0)
    >>> bool(0.5 <= abs(W[0, 1]) <= 2.0 and W[1, 0] == 0.0)
    True
    """
    B = _binary(np.asarray(dag))
    rng = np.random.default_rng(random_state)
    which = rng.integers(len(w_ranges), size=B.shape)
    W = np.zeros(B.shape)
    for r, (low, high) in enumerate(w_ranges):
        W += B * (which == r) * rng.uniform(low, high, size=B.shape)
    return W


def simulate_sem(
    graph: np.ndarray | CausalGraph,
    n: int,
    sem_type: SemType = "gauss",
    noise_scale: float | np.ndarray = 1.0,
    random_state: int | None = None,
) -> np.ndarray:
    """Draw ``n`` rows from a structural equation model on ``graph``.

    Args:
        graph: a ``(d, d)`` adjacency matrix (``graph[i, j] != 0`` iff ``i -> j``) or a
            :class:`~deepcausal.graph.CausalGraph` without bidirected edges (columns follow
            ``graph.nodes``). For the linear types a matrix is used as the weights ``W``; a
            ``CausalGraph`` (or a 0/1 matrix you want re-weighted -- call
            :func:`simulate_weights` first) gets weights from :func:`simulate_weights`. For the
            nonlinear types only the support matters.
        n: number of rows.
        sem_type: ``"gauss"``, ``"exp"``, ``"gumbel"``, ``"uniform"``, ``"logistic"`` (linear;
            logistic gives binary data) or ``"mlp"``, ``"mim"``, ``"gp"``, ``"gp-add"``
            (nonlinear additive Gaussian noise).
        noise_scale: noise standard deviation (scale), one value or one per node.
        random_state: seed.

    Returns:
        An ``(n, d)`` float array.

    Raises:
        GraphError: the graph has a directed cycle or bidirected edges.

    >>> W = np.array([[0.0, 2.0], [0.0, 0.0]])
    >>> X = simulate_sem(W, 2000, random_state=0)
    >>> bool(abs(np.cov(X.T)[0, 1] - 2.0) < 0.3)
    True
    """
    if sem_type not in get_args(SemType):
        raise ValueError(f"unknown sem_type {sem_type!r}; choose from {list(get_args(SemType))}")
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    rng = np.random.default_rng(random_state)
    if isinstance(graph, np.ndarray):
        W = np.asarray(graph, dtype=float)
        if W.ndim != 2 or W.shape[0] != W.shape[1]:
            raise GraphError(f"the adjacency matrix must be square, got shape {W.shape}")
    else:
        if graph.bidirected_edges:
            raise GraphError(f"simulate_sem needs a DAG; the graph has {graph.bidirected_edges}")
        B = graph.adjacency_matrix()
        W = simulate_weights(B, random_state=int(rng.integers(2**32))) if sem_type in _LINEAR else B
    d = W.shape[0]
    scale = np.broadcast_to(np.asarray(noise_scale, dtype=float), (d,))
    if np.any(scale < 0):
        raise ValueError(f"noise_scale must be non-negative, got {noise_scale}")
    order = _topological_order(W != 0)
    X = np.zeros((n, d))
    for j in order:
        parents = np.flatnonzero(W[:, j])
        Xpa = X[:, parents]
        if sem_type in _LINEAR:
            X[:, j] = _linear_equation(Xpa, W[parents, j], sem_type, scale[j], rng)
        else:
            noise = rng.normal(scale=scale[j], size=n)
            X[:, j] = _nonlinear_mean(Xpa, sem_type, rng) + noise
    return X


def _linear_equation(
    Xpa: np.ndarray, w: np.ndarray, sem_type: str, scale: float, rng: np.random.Generator
) -> np.ndarray:
    n = Xpa.shape[0]
    mean = Xpa @ w
    if sem_type == "gauss":
        return mean + rng.normal(scale=scale, size=n)
    if sem_type == "exp":
        return mean + rng.exponential(scale=scale, size=n)
    if sem_type == "gumbel":
        return mean + rng.gumbel(scale=scale, size=n)
    if sem_type == "uniform":
        return mean + rng.uniform(low=-scale, high=scale, size=n)
    # logistic: a binary variable with P(X_j = 1) = sigmoid(mean)
    return rng.binomial(1, 1.0 / (1.0 + np.exp(-mean))).astype(float)


def _random_signed(rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
    w = rng.uniform(0.5, 2.0, size=size)
    return np.where(rng.random(size=size) < 0.5, -w, w)


def _nonlinear_mean(Xpa: np.ndarray, sem_type: str, rng: np.random.Generator) -> np.ndarray:
    n, k = Xpa.shape
    if k == 0:
        return np.zeros(n)
    if sem_type == "mlp":
        W1 = _random_signed(rng, (k, _MLP_HIDDEN))
        W2 = _random_signed(rng, _MLP_HIDDEN)
        return (1.0 / (1.0 + np.exp(-(Xpa @ W1)))) @ W2
    if sem_type == "mim":
        w1, w2, w3 = (_random_signed(rng, k) for _ in range(3))
        return np.tanh(Xpa @ w1) + np.cos(Xpa @ w2) + np.sin(Xpa @ w3)
    if sem_type == "gp":
        return _gp_draw(Xpa, rng)
    # gp-add
    return sum((_gp_draw(Xpa[:, [i]], rng) for i in range(k)), start=np.zeros(n))


def _gp_draw(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw of a zero-mean GP with kernel ``exp(-|x - x'|^2 / 2)`` at the rows of ``X``."""
    sq = np.sum(X * X, axis=1)
    K = np.exp(-0.5 * np.maximum(sq[:, None] + sq[None, :] - 2.0 * X @ X.T, 0.0))
    # eigh tolerates the near-singular kernel of clustered inputs, unlike a Cholesky factor
    vals, vecs = np.linalg.eigh(K)
    return vecs @ (np.sqrt(np.clip(vals, 0.0, None)) * rng.standard_normal(len(vals)))


def _binary(B: np.ndarray) -> np.ndarray:
    if B.ndim != 2 or B.shape[0] != B.shape[1]:
        raise GraphError(f"the adjacency matrix must be square, got shape {B.shape}")
    return (B != 0).astype(int)


def _topological_order(B: np.ndarray) -> list[int]:
    d = B.shape[0]
    indegree = B.sum(axis=0).astype(int)
    ready = [j for j in range(d) if indegree[j] == 0]
    order: list[int] = []
    while ready:
        i = ready.pop()
        order.append(i)
        for j in np.flatnonzero(B[i]):
            indegree[j] -= 1
            if indegree[j] == 0:
                ready.append(int(j))
    if len(order) < d:
        cyclic = sorted(set(range(d)) - set(order))
        raise GraphError(f"the graph has a directed cycle through nodes {cyclic}")
    return order
