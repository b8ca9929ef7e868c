"""A neural causal model over discrete variables (Xia, Lee, Bengio & Bareinboim 2021).

Every maximal clique of bidirected edges gets one latent ``U_Q`` shared by its members, and a node in
no bidirected edge its own (Xia et al.'s C^2-components: one latent per c-component would also
confound members that share no bidirected edge, as the two ends of the M graph ``X <-> M <-> Y``);
each node ``V`` is a categorical distribution whose logits are an MLP of its parents (one-hot) and
of its latents. The latents carry the response functions, so counterfactuals are not tied to one
coupling of the worlds (a single uniform per node would force monotone responses). The node's own randomness is the categorical draw, so a
node outside any confounded component is a conditional probability table learned by an MLP.

Each ``U_Q`` is categorical with ``K`` learned state probabilities. For discrete SCMs this loses nothing:
a finite number of exogenous states (the canonical response types) realises every SCM of the graph
(Zhang, Tian & Bareinboim 2022, "Partial counterfactual identification from observational and
experimental data"), and ``K`` defaults to the number of joint response types of the component's
nodes, capped. It makes every probability an exact, differentiable sum, with no Monte Carlo: by
the c-component factorisation (Tian & Pearl 2002), with ``u`` the joint state of a component's latents,

* ``P(v) = prod_C sum_u pi(u) prod_{V in C} p_V(v_V | v_pa, u)``;
* ``P(v | do(x))``: the same product over the nodes not intervened on, with ``X`` fixed to ``x``;
* counterfactual joints of two worlds that share latents and each node's uniform noise
  (``V = F^{-1}(noise)``, the inverse CDF of its categorical), as in GAN-NCM (Xia, Pan &
  Bareinboim 2023): per node, the overlap of the two worlds' CDF intervals.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import networkx as nx
import numpy as np
import torch
from torch import Tensor, nn

from deepcausal.errors import DataError
from deepcausal.graph import CausalGraph
from deepcausal.nn import MLP

__all__ = ["MAX_CONFIGS", "MAX_STATES", "DiscreteNCM"]

#: Joint configurations beyond which exact enumeration is refused.
MAX_CONFIGS = 4096
#: Largest number of states per latent.
MAX_STATES = 32
#: Softness of the gradient of a counterfactual pair's overlap (the value stays exact).
OVERLAP_TEMPERATURE = 0.05
#: Largest number of joint latent states of one c-component.
MAX_JOINT_STATES = 4096


class DiscreteNCM(nn.Module):
    """The NCM of ``graph`` over nodes with ``cards`` categories each (codes ``0..card-1``).

    Args:
        graph: the ADMG.
        nodes: the nodes in topological order.
        cards: categories per node.
        states: states per latent (default: the number of joint response types of the nodes it
            confounds, at most :data:`MAX_STATES`).
        hidden: hidden widths of every node's MLP.
    """

    configs: Tensor

    def __init__(
        self,
        graph: CausalGraph,
        nodes: Sequence[str],
        cards: Sequence[int],
        states: int | None = None,
        hidden: Sequence[int] = (32, 32),
    ) -> None:
        super().__init__()
        self.nodes = tuple(nodes)
        self.cards = tuple(int(c) for c in cards)
        n_configs = int(np.prod(self.cards, dtype=np.float64))
        if n_configs > MAX_CONFIGS:
            sizes = ", ".join(f"{v}: {c}" for v, c in zip(self.nodes, self.cards, strict=True))
            raise DataError(
                f"the neural causal model enumerates every joint configuration and would need "
                f"{n_configs:,} (more than {MAX_CONFIGS:,}; categories per node: {sizes}); drop "
                "nodes that do not matter for the query or merge categories"
            )
        self.index = {v: j for j, v in enumerate(self.nodes)}
        self.parents = {v: tuple(graph.parents(v)) for v in self.nodes}
        card = dict(zip(self.nodes, self.cards, strict=True))
        self.components = [
            tuple(sorted(c, key=self.index.__getitem__)) for c in graph.c_components()
        ]
        self.component = {v: i for i, c in enumerate(self.components) for v in c}
        # One latent per maximal clique of bidirected edges (Xia et al.'s C^2-components): one per
        # c-component would also confound the members that share no bidirected edge.
        bidirected = nx.Graph(list(graph.bidirected_edges))
        bidirected.add_nodes_from(self.nodes)  # a node in no bidirected edge: its own latent
        cliques = sorted(
            (tuple(sorted(q, key=self.index.__getitem__)) for q in nx.find_cliques(bidirected)),
            key=lambda q: [self.index[v] for v in q],
        )
        self.cliques = cliques
        self.n_states = []
        for q in cliques:
            types = 1.0
            for v in q:
                types *= float(card[v]) ** float(np.prod([card[p] for p in self.parents[v]]))
            self.n_states.append(int(states or min(types, MAX_STATES)))
        self.state_logits = nn.ParameterList(
            [nn.Parameter(0.1 * torch.randn(k)) for k in self.n_states]
        )
        # Per c-component: its cliques and the grid of their joint states.
        self.comp_cliques = [
            [i for i, q in enumerate(cliques) if q[0] in members] for members in self.components
        ]
        for c, members in enumerate(self.components):
            size = int(np.prod([self.n_states[i] for i in self.comp_cliques[c]], dtype=np.float64))
            if size > MAX_JOINT_STATES:
                raise DataError(
                    f"the c-component {{{', '.join(members)}}} would need {size:,} joint latent "
                    f"states (more than {MAX_JOINT_STATES:,}); pass fewer states per latent"
                )
            grid = np.array(
                list(itertools.product(*[range(self.n_states[i]) for i in self.comp_cliques[c]])),
                dtype=np.int64,
            ).reshape(size, len(self.comp_cliques[c]))
            self.register_buffer(f"grid_{c}", torch.as_tensor(grid))
        self.nets = nn.ModuleDict()
        for v in self.nodes:
            width = 1 + sum(card[p] for p in self.parents[v])
            width += sum(k for q, k in zip(cliques, self.n_states, strict=True) if v in q)
            self.nets[v] = MLP(width, card[v], hidden=hidden)
        #: Mean squared (centred) logit of the last evaluation: a penalty against saturation.
        self.energy: Tensor = torch.zeros(())
        grid = np.array(list(itertools.product(*[range(c) for c in self.cards])), dtype=np.int64)
        self.register_buffer("configs", torch.as_tensor(grid.reshape(-1, len(self.nodes))))

    @property
    def n_configs(self) -> int:
        return int(self.configs.shape[0])

    def _parent_index(self, v: str, configs: Tensor) -> Tensor:
        """The row of each configuration's parent values in :meth:`node_log_probs`' table."""
        out = torch.zeros(configs.shape[0], dtype=torch.long, device=configs.device)
        for p in self.parents[v]:
            out = out * self.cards[self.index[p]] + configs[:, self.index[p]]
        return out

    def node_log_probs(self, v: str) -> Tensor:
        """``log p_V(value | parent config, state)`` as ``(K, n_parent_configs, card_V)``."""
        device = self.configs.device
        # One row per parent configuration, first parent most significant (as in _parent_index):
        # a constant 1, then each parent's one-hot.
        parents = torch.ones(1, 1, device=device)
        for p in self.parents[v]:
            card = self.cards[self.index[p]]
            rows = parents.shape[0]
            eye = torch.eye(card, device=device)
            parents = torch.cat(
                [parents.repeat_interleave(card, dim=0), eye.repeat(rows, 1)], dim=1
            )
        n_pa = parents.shape[0]
        c = self.component[v]
        grid: Tensor = getattr(self, f"grid_{c}")
        blocks = [parents.unsqueeze(0).expand(grid.shape[0], -1, -1)]
        for col, i in enumerate(self.comp_cliques[c]):
            if v in self.cliques[i]:
                onehot = torch.eye(self.n_states[i], device=device)[grid[:, col]]
                blocks.append(onehot.unsqueeze(1).expand(-1, n_pa, -1))
        x = torch.cat(blocks, dim=2)
        logits = self.nets[v](x)
        logits = logits - logits.mean(dim=-1, keepdim=True)
        self.energy = self.energy + (logits**2).mean()
        return torch.log_softmax(logits, dim=-1)

    def log_factors(self, configs: Tensor, skip: Sequence[str] = ()) -> Tensor:
        """``log prod_C sum_k pi_C(k) prod_{V in C, V not in skip} p_V(config)``: ``(n_configs,)``."""
        self.energy = torch.zeros((), device=configs.device)
        total = torch.zeros(configs.shape[0], device=configs.device)
        for c, members in enumerate(self.components):
            grid: Tensor = getattr(self, f"grid_{c}")
            inner = torch.zeros(grid.shape[0], device=configs.device)
            for col, i in enumerate(self.comp_cliques[c]):
                inner = inner + torch.log_softmax(self.state_logits[i], dim=0)[grid[:, col]]
            inner = inner.unsqueeze(1).expand(-1, configs.shape[0])
            used = [v for v in members if v not in skip]
            if not used:
                continue
            for v in used:
                table = self.node_log_probs(v)
                inner = inner + table[:, self._parent_index(v, configs), configs[:, self.index[v]]]
            total = total + torch.logsumexp(inner, dim=0)
        return total

    def log_prob(self) -> Tensor:
        """``log P(v)`` of every configuration (rows of :attr:`configs`): ``(n_configs,)``."""
        return self.log_factors(self.configs)

    def interventional(self, do: dict[str, int]) -> tuple[Tensor, Tensor]:
        """``P(v | do)`` over the configurations consistent with ``do``: ``(probs, configs)``."""
        mask = torch.ones(self.n_configs, dtype=torch.bool, device=self.configs.device)
        for v, code in do.items():
            mask &= self.configs[:, self.index[v]] == code
        configs = self.configs[mask]
        return torch.exp(self.log_factors(configs, skip=tuple(do))), configs

    def expectation(self, do: dict[str, int], node: str, values: Tensor) -> Tensor:
        """``E[node | do]`` where ``values[k]`` is the number of the ``k``-th category."""
        probs, configs = self.interventional(do)
        return (probs * values[configs[:, self.index[node]]]).sum()

    def counterfactual_pairs(self, do: dict[str, int]) -> tuple[Tensor, Tensor, Tensor]:
        """``P(factual = f, counterfactual under do = c)`` for every pair of configurations.

        The two worlds share every latent and every node's uniform noise (each node's value is the
        inverse CDF of its categorical at that noise), so per node and latent state the pair's
        probability is the overlap of the two worlds' CDF intervals; a node set by ``do`` in the
        counterfactual world contributes its factual probability only.

        Returns:
            ``(probs, factual, counterfactual)``: ``probs`` over the pairs, and the pairs'
            configurations as two ``(n_pairs, n_nodes)`` code tensors.
        """
        mask = torch.ones(self.n_configs, dtype=torch.bool, device=self.configs.device)
        for v, code in do.items():
            mask &= self.configs[:, self.index[v]] == code
        cf_configs = self.configs[mask]
        factual = self.configs.repeat_interleave(cf_configs.shape[0], dim=0)
        counterfactual = cf_configs.repeat(self.n_configs, 1)
        self.energy = torch.zeros((), device=self.configs.device)
        total = torch.ones(factual.shape[0], device=self.configs.device)
        for c, members in enumerate(self.components):
            grid: Tensor = getattr(self, f"grid_{c}")
            log_w = torch.zeros(grid.shape[0], device=self.configs.device)
            for col, i in enumerate(self.comp_cliques[c]):
                log_w = log_w + torch.log_softmax(self.state_logits[i], dim=0)[grid[:, col]]
            acc = torch.exp(log_w).unsqueeze(1).expand(-1, factual.shape[0])
            for v in members:
                probs = torch.exp(self.node_log_probs(v))
                upper = torch.cumsum(probs, dim=-1)
                lower = upper - probs
                pa_f, val_f = self._parent_index(v, factual), factual[:, self.index[v]]
                lo_f, hi_f = lower[:, pa_f, val_f], upper[:, pa_f, val_f]
                if v in do:
                    acc = acc * (hi_f - lo_f)
                    continue
                pa_c, val_c = (
                    self._parent_index(v, counterfactual),
                    counterfactual[:, self.index[v]],
                )
                lo_c, hi_c = lower[:, pa_c, val_c], upper[:, pa_c, val_c]
                overlap = torch.minimum(hi_f, hi_c) - torch.maximum(lo_f, lo_c)
                exact = torch.clamp(overlap, min=0.0)
                # The exact value, with the gradient of a softplus: where the intervals miss each
                # other the clamp has no gradient, and a min/max search could never move them.
                smooth = OVERLAP_TEMPERATURE * nn.functional.softplus(overlap / OVERLAP_TEMPERATURE)
                acc = acc * (exact + smooth - smooth.detach())
            total = total * acc.sum(dim=0)
        return total, factual, counterfactual
