"""Random discrete SCMs of an ADMG, with every layer of the causal hierarchy computed exactly.

Each maximal clique of bidirected edges gets a hidden categorical confounder ``U_Q`` (a clique, not
a whole c-component, so that ``X <-> M <-> Y`` does not also confound ``X`` and ``Y``), and a node in
no bidirected edge a private hidden state, so that its responses to its parents need not be
monotone; each node is a conditional probability table given its parents and its hidden states,
drawn from a Dirichlet.
A node's own randomness is the inverse CDF of one uniform noise ``e_V``, shared by all worlds of a
counterfactual. The ground truth (interventional and counterfactual probabilities) is exact: a sum
over the hidden states and, per node, the overlap of the uniform intervals two worlds map to each
value.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from deepcausal.graph import CausalGraph, as_graph

__all__ = ["DiscreteSCM", "random_discrete_scm"]


@dataclass(frozen=True)
class DiscreteSCM:
    """A discrete SCM with hidden confounders (see the module docstring).

    Attributes:
        graph: the ADMG.
        nodes: topological order.
        cards: categories per node (values ``0..card-1``).
        latent_probs: per hidden confounder (a maximal clique of bidirected edges), the
            distribution of its state.
        confounders: node -> indices of the hidden confounders it depends on.
        cpts: node -> table ``P(V | parents, U...)`` of shape ``(*parent cards, *[K...], card)``.
    """

    graph: CausalGraph
    nodes: tuple[str, ...]
    cards: dict[str, int]
    latent_probs: tuple[np.ndarray, ...]
    confounders: dict[str, tuple[int, ...]]
    cpts: dict[str, np.ndarray]

    def _probs(self, v: str, values: Mapping[str, np.ndarray], u: np.ndarray) -> np.ndarray:
        index = tuple(values[p] for p in self.graph.parents(v))
        index = (*index, *(u[:, q] for q in self.confounders[v]))
        return (
            self.cpts[v][index] if index else np.broadcast_to(self.cpts[v], (len(u), self.cards[v]))
        )

    def sample(
        self, n: int, random_state: int | None = None, do: Mapping[str, int] | None = None
    ) -> pd.DataFrame:
        """``n`` rows of the observed nodes (under ``do`` if given)."""
        rng = np.random.default_rng(random_state)
        do = dict(do or {})
        u = (
            np.stack([rng.choice(len(p), size=n, p=p) for p in self.latent_probs], axis=1)
            if self.latent_probs
            else np.zeros((n, 0), dtype=int)
        )
        values: dict[str, np.ndarray] = {}
        for v in self.nodes:
            if v in do:
                values[v] = np.full(n, do[v], dtype=np.int64)
                continue
            cdf = np.cumsum(self._probs(v, values, u), axis=1)
            e = rng.random(n)
            values[v] = np.minimum((e[:, None] >= cdf).sum(axis=1), self.cards[v] - 1)
        return pd.DataFrame(values)

    def _latent_states(self) -> tuple[np.ndarray, np.ndarray]:
        """Every joint hidden state (rows) and its probability."""
        if not self.latent_probs:
            return np.zeros((1, 0), dtype=np.int64), np.ones(1)
        grid = np.array(list(itertools.product(*[range(len(p)) for p in self.latent_probs])))
        weight = np.prod([self.latent_probs[c][grid[:, c]] for c in range(grid.shape[1])], axis=0)
        return grid, weight

    def _configs(self) -> np.ndarray:
        return np.array(list(itertools.product(*[range(self.cards[v]) for v in self.nodes])))

    def distribution(self, do: Mapping[str, int] | None = None) -> np.ndarray:
        """Exact ``P(v | do)`` as a table with one axis per node (``do`` nodes held at their values)."""
        do = dict(do or {})
        configs = self._configs()
        states, weight = self._latent_states()
        total = np.zeros(len(configs))
        for s, w in zip(states, weight, strict=True):
            u = np.broadcast_to(s, (len(configs), len(s)))
            values = {v: configs[:, j] for j, v in enumerate(self.nodes)}
            p = np.ones(len(configs))
            for j, v in enumerate(self.nodes):
                if v in do:
                    p = p * (configs[:, j] == do[v])
                    continue
                p = p * self._probs(v, values, u)[np.arange(len(configs)), configs[:, j]]
            total += w * p
        return total.reshape([self.cards[v] for v in self.nodes])

    def mean(self, node: str, do: Mapping[str, int] | None = None) -> float:
        """Exact ``E[node | do]``."""
        table = self.distribution(do)
        axis = self.nodes.index(node)
        marginal = table.sum(axis=tuple(i for i in range(len(self.nodes)) if i != axis))
        return float(marginal @ np.arange(self.cards[node]))

    def ate(self, treatment: str, outcome: str, treated: int = 1, control: int = 0) -> float:
        """Exact ``E[Y | do(T=treated)] - E[Y | do(T=control)]``."""
        return self.mean(outcome, {treatment: treated}) - self.mean(outcome, {treatment: control})

    def counterfactual(
        self, outcome: str, do: Mapping[str, int], given: Mapping[str, int]
    ) -> np.ndarray:
        """Exact ``P(Y_do = y | given)`` for each value ``y``: the factual world is observed at
        ``given``, the counterfactual one sets ``do``; both share the hidden states and every
        node's uniform noise."""
        states, weight = self._latent_states()
        configs = self._configs()
        # Pairs of (factual, counterfactual) configurations.
        pairs = np.array(list(itertools.product(range(len(configs)), repeat=2)))
        fact, cf = configs[pairs[:, 0]], configs[pairs[:, 1]]
        keep = np.ones(len(pairs), dtype=bool)
        for v, val in given.items():
            keep &= fact[:, self.nodes.index(v)] == val
        for v, val in do.items():
            keep &= cf[:, self.nodes.index(v)] == val
        fact, cf = fact[keep], cf[keep]
        joint = np.zeros(len(fact))
        for s, w in zip(states, weight, strict=True):
            u = np.broadcast_to(s, (len(fact), len(s)))
            fv = {v: fact[:, j] for j, v in enumerate(self.nodes)}
            cv = {v: cf[:, j] for j, v in enumerate(self.nodes)}
            p = np.ones(len(fact))
            for j, v in enumerate(self.nodes):
                a = self._probs(v, fv, u)
                rows = np.arange(len(fact))
                lo_f = np.cumsum(a, axis=1)[rows, fact[:, j]] - a[rows, fact[:, j]]
                hi_f = lo_f + a[rows, fact[:, j]]
                if v in do:
                    p = p * (hi_f - lo_f)
                    continue
                b = self._probs(v, cv, u)
                lo_c = np.cumsum(b, axis=1)[rows, cf[:, j]] - b[rows, cf[:, j]]
                hi_c = lo_c + b[rows, cf[:, j]]
                p = p * np.clip(np.minimum(hi_f, hi_c) - np.maximum(lo_f, lo_c), 0.0, None)
            joint += w * p
        axis = self.nodes.index(outcome)
        out = np.bincount(cf[:, axis], weights=joint, minlength=self.cards[outcome])
        return out / out.sum()


def random_discrete_scm(
    graph: CausalGraph | str,
    random_state: int | None = None,
    *,
    cards: int | Mapping[str, int] = 2,
    latent_states: int = 4,
    concentration: float = 1.0,
    floor: float = 0.05,
) -> DiscreteSCM:
    """A random :class:`DiscreteSCM` of ``graph``: Dirichlet(``concentration``) tables, a hidden
    state with ``latent_states`` values per hidden confounder and per node in no bidirected edge.

    ``floor`` keeps every conditional probability at least that large (positivity: each table is
    mixed with the uniform one), so that the identified effects are also estimable from samples.

    >>> scm = random_discrete_scm("X -> Y; X <-> Y", random_state=0)
    >>> df = scm.sample(1000, random_state=0)
    >>> sorted(df.columns), -1 <= scm.ate("X", "Y") <= 1
    (['X', 'Y'], True)
    """
    g = as_graph(graph)
    rng = np.random.default_rng(random_state)
    nodes = g.topological_order()
    card = {v: (cards if isinstance(cards, int) else int(cards[v])) for v in nodes}
    bidirected = nx.Graph(list(g.bidirected_edges))
    bidirected.add_nodes_from(nodes)  # a node in no bidirected edge gets a private state
    cliques = sorted(sorted(q) for q in nx.find_cliques(bidirected))
    confounders = {v: tuple(i for i, q in enumerate(cliques) if v in q) for v in nodes}
    latent = tuple(rng.dirichlet(np.ones(latent_states)) for _ in cliques)
    cpts: dict[str, np.ndarray] = {}
    for v in nodes:
        shape = [card[p] for p in g.parents(v)]
        shape.extend([latent_states] * len(confounders[v]))
        if not 0 <= floor * card[v] < 1:
            raise ValueError(f"floor must be in [0, 1/{card[v]}), got {floor}")
        table = rng.dirichlet(np.full(card[v], concentration), size=tuple(shape) or None)
        cpts[v] = (1 - floor * card[v]) * table + floor
    return DiscreteSCM(g, nodes, card, latent, confounders, cpts)
