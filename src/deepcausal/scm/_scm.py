"""Deep structural causal models: one neural mechanism per node, answering all three rungs.

Implements the Deep SCM of Pawlowski, Castro & Glocker (2020, "Deep Structural Causal Models for
Tractable Counterfactual Inference"): each node ``x_i = f_i(pa_i, u_i)`` is a conditional generative
model (a normalising flow, an additive-noise network or a Gumbel-max categorical model), fitted by
maximum likelihood. Observational samples are drawn ancestrally; an intervention ``do(X = x)``
replaces X's mechanism by a constant (or a function of its old value); a counterfactual follows
Pearl's three steps — abduction of each unit's noise, action, prediction. A model that matches the
observational distribution and respects the graph answers every identifiable query (Xia et al. 2021,
"The Causal-Neural Connection").
"""

from __future__ import annotations

import copy
import logging
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from deepcausal._effect import check_level, normal_effect
from deepcausal.data import ParquetSource, Schema, TabularEncoder, flatten_arrays
from deepcausal.errors import (
    DataError,
    GraphError,
    NotFittedError,
    SchemaError,
)
from deepcausal.graph import CausalGraph, as_graph
from deepcausal.mechanisms import (
    Mechanism,
)
from deepcausal.nn import DeviceLike, TrainConfig, TrainResult
from deepcausal.scm._counterfactual import counterfactual_frame
from deepcausal.scm._families import (
    MechanismSpec,
    build_mechanism,
    candidates,
    check_abduction,
    check_families,
)
from deepcausal.scm._features import feature_dim, features
from deepcausal.scm._fit import AUTO_CONTINUOUS, AUTO_HYPER
from deepcausal.scm._input import checked_schema, numeric_values
from deepcausal.scm._io import load_scm, save_scm
from deepcausal.scm._latent import (
    CONFOUNDED_FAMILY,
    LATENT_DIM,
    EffectPush,
    check_identified,
    confounded_components,
    latent_cliques,
    latent_key,
    refuse_counterfactual,
)
from deepcausal.scm._modular import fit_modular
from deepcausal.scm._propagate import decode, encode_value, is_per_row, propagate
from deepcausal.scm._stream import fit_streamed

if TYPE_CHECKING:
    from deepcausal.estimators import Effect

logger = logging.getLogger(__name__)

#: An intervention value: a constant in the user's units/categories, or a callable mapping the
#: node's would-be values (a NumPy array in the user's units) to new values (soft / shift
#: interventions, e.g. ``lambda x: x + 1``).
InterventionValue = Any
Interventions = Mapping[str, InterventionValue]


class DeepSCM:
    """A structural causal model with a neural mechanism per node of a causal DAG.

    Args:
        graph: the causal DAG (a :class:`CausalGraph`, its string form, or a graph file; see
            :func:`~deepcausal.graph.read_graph`). Bidirected edges are refused: latent confounders
            need joint training of a c-component, which this class does not do.
        schema: the variables' kinds and categories; inferred from the training data when ``None``.
        mechanisms: ``"auto"``, one family name for every node, or a mapping node -> family name
            (nodes it leaves out get ``"auto"``). ``"auto"`` gives a Gumbel-max model to binary and
            categorical nodes and an additive noise model to continuous ones (for a root, its mean
            plus a learned noise density); for a node with parents, White's test finds its residuals'
            spread depends on the parents (p < 0.01): then a conditional flow of the residual of
            that regression (``mean="regression"``) is fitted too and kept where its held-out
            likelihood is higher by more than two standard errors (``selection_`` records the
            held-out negative log-likelihoods per node).
        mechanism_kwargs: hyper-parameters, keyed by node name or by family name (a node's own entry
            wins), e.g. ``{"flow": {"transforms": 3}, "Y": {"hidden_features": (32, 32)}}``.
        training: optimisation settings for every node (see :class:`deepcausal.nn.TrainConfig`;
            default :data:`DEFAULT_TRAINING`).
        random_state: seed for training and for sampling calls that do not give their own.
        device: ``"auto"`` (CUDA when present), ``"cpu"`` or ``"cuda[:i]"``.
        progress: show progress bars while fitting.
        n_jobs, backend: the nodes outside confounded c-components are fitted independently; fit
            ``n_jobs`` at once (``-1``: every core) on ``"loky"`` worker processes or a ``"ray"``
            cluster (:mod:`deepcausal.parallel`; ``None``: the enclosing ``parallel()`` block's
            setting, else one at a time). The fitted model is the same either way.

    Examples:
        >>> from deepcausal.datasets import load_scm
        >>> sim = load_scm("chain-linear")
        >>> df = sim.sample(500, random_state=0)
        >>> scm = DeepSCM(sim.graph, mechanisms="additive", random_state=0, progress=False,
        ...               training=TrainConfig(max_epochs=3)).fit(df)
        >>> scm.do({"x1": 1.0}).sample(4, random_state=0).shape
        (4, 3)
    """

    # set by fit (deepcausal.scm._modular.fit_modular) and by load
    schema_: Schema
    encoder_: TabularEncoder
    device_: torch.device
    push_: EffectPush | None
    mechanisms_: dict[str, Mechanism]
    history_: dict[str, TrainResult]
    selection_: pd.DataFrame
    training_info_: dict[str, Any]
    _sampling_seed: np.random.SeedSequence

    def __init__(
        self,
        graph: CausalGraph | str | os.PathLike[str],
        schema: Schema | None = None,
        mechanisms: MechanismSpec = "auto",
        mechanism_kwargs: Mapping[str, Mapping[str, Any]] | None = None,
        training: TrainConfig | None = None,
        random_state: int | None = None,
        device: DeviceLike = "auto",
        progress: bool = True,
        n_jobs: int | None = None,
        backend: str | None = None,
    ) -> None:
        self.graph = as_graph(graph)
        if not self.graph.nodes:
            raise GraphError("DeepSCM needs a graph with at least one node; the graph is empty")
        # Hidden confounders (bidirected edges): one latent per clique, fitted per c-component.
        self._cliques = latent_cliques(self.graph)
        self._components = confounded_components(self.graph)
        if schema is not None and not isinstance(schema, Schema):
            raise SchemaError(
                f"schema must be a deepcausal.data.Schema, got {type(schema).__name__}"
            )
        self.schema = schema
        self.mechanisms = mechanisms
        self.mechanism_kwargs = mechanism_kwargs
        self.training = training
        self.random_state = random_state
        self.device = device
        self.progress = progress
        self.n_jobs = n_jobs
        self.backend = backend
        self._interventions: dict[str, InterventionValue] = {}
        self.stream_history_: TrainResult | None = None
        self._cut: tuple[tuple[str, str], ...] = ()
        self._check_mechanism_spec()

    # ------------------------------------------------------------------------------------ fitting
    def fit(
        self, data: pd.DataFrame | str | os.PathLike[str] | ParquetSource, *,
        push: EffectPush | None = None,
    ) -> DeepSCM:  # fmt: skip
        """Fit every node's mechanism by maximum likelihood, one node at a time.

        The likelihood of a Markovian model factorises over nodes, so each mechanism is trained
        independently on (its column, its parents' columns) through :func:`deepcausal.nn.train`.

        Args:
            data: one row per unit and a column per node (other columns are left out, with a
                :class:`~deepcausal.errors.DataWarning` that names them); or a Parquet file or
                directory (a path or a :class:`~deepcausal.data.ParquetSource`) too large for
                memory, streamed in row groups (:func:`deepcausal.scm.fit_streamed`).
            push: on an ADMG, push an average effect up or down while the treatment's confounded
                c-component fits (:class:`EffectPush`; what neural bounds do).

        Returns:
            ``self``, with ``schema_``, ``encoder_``, ``mechanisms_``, ``history_`` and
            ``selection_`` set.

        Raises:
            SchemaError: a node without a column, NaN or infinite values, values of the wrong type.
        """
        if isinstance(data, str | os.PathLike | ParquetSource):
            return fit_streamed(self, data)
        nodes = self.graph.nodes
        schema, data = checked_schema(data, nodes, self.schema)
        encoder = TabularEncoder(schema.subset(nodes)).fit(data)
        values = {k: torch.as_tensor(v) for k, v in encoder.encode(data, nodes).items()}
        return fit_modular(self, schema, encoder, values, len(data), push)

    # --------------------------------------------------------------------------- rung 1 and 2
    def sample(self, n: int, random_state: int | None = None) -> pd.DataFrame:
        """Draw ``n`` units from the model (under this model's interventions, if any).

        Args:
            n: number of rows.
            random_state: seed of this draw; the model's own stream when ``None``.

        Returns:
            A DataFrame with one column per node, in the user's units and categories.
        """
        self._check_fitted()
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise DataError(f"n must be a positive integer, got {n!r}")
        gen = self._generator(random_state)
        with torch.no_grad():
            noise = {
                node: self.mechanisms_[node].noise(int(n), generator=gen) for node in self._order()
            }
            values = propagate(
                self, noise, self._interventions, factual=None, n=int(n), generator=gen
            )
        return decode(self, values, pd.RangeIndex(int(n)), self._interventions)

    def without_edges(self, edges: Iterable[tuple[str, str] | str]) -> DeepSCM:
        """The model with ``edges`` cut at generation: each child receives, for a cut parent, the
        value of an independent unit (the parent's values permuted across the sample), so no
        influence flows along the edge while every marginal stays as fitted.

        This is how DECAF removes biased edges when it generates data (van Breugel et al. 2021,
        "DECAF: Generating Fair Synthetic Data Using Causally-Aware Generative Networks"): a path-
        specific intervention that :meth:`sample` honours (``counterfactual`` refuses it). Cuts
        compose with interventions and with each other.

        Args:
            edges: ``("A", "Y")`` pairs or ``"A -> Y"`` strings, each an edge of the graph.

        Examples:
            >>> from deepcausal.datasets import load_scm
            >>> sim = load_scm("chain-linear")
            >>> scm = DeepSCM(sim.graph, mechanisms="additive", progress=False, random_state=0,
            ...               training=TrainConfig(max_epochs=2)).fit(sim.sample(300, random_state=0))
            >>> scm.without_edges(["x1 -> x2"]).cut_edges
            (('x1', 'x2'),)
        """
        parsed = []
        for edge in edges:
            if isinstance(edge, str):
                a, arrow, b = edge.partition("->")
                if not arrow:
                    raise GraphError(f"cannot read edge {edge!r}: write it as 'A -> B'")
                edge = (a.strip(), b.strip())
            a, b = edge
            self.graph.check_nodes([a, b], "node of an edge to cut")
            if a not in self.graph.parents(b):
                raise GraphError(f"{a} -> {b} is not an edge of the graph; it cannot be cut")
            parsed.append((a, b))
        cut = copy.copy(self)
        cut._cut = tuple(dict.fromkeys([*self._cut, *parsed]))
        return cut

    @property
    def cut_edges(self) -> tuple[tuple[str, str], ...]:
        """The edges cut at generation (see :meth:`without_edges`)."""
        return self._cut

    def do(self, interventions: Interventions | None = None, **named: InterventionValue) -> DeepSCM:
        """The model under an intervention: ``scm.do({"X": 1.0})`` or ``scm.do(X=1.0)``.

        A value is a constant in the user's units (a category for discrete nodes) or a callable
        mapping the node's would-be values to new ones (a soft or shift intervention:
        ``scm.do(X=lambda x: x + 1)``). Interventions compose: ``scm.do(X=1).do(Z=0)``. The
        returned model shares the fitted mechanisms; ``sample`` and ``counterfactual`` honour it.
        """
        merged = dict(interventions or {})
        overlap = set(merged) & set(named)
        if overlap:
            raise GraphError(f"node(s) {sorted(overlap)} intervened on twice in one call")
        merged.update(named)
        if not merged:
            raise GraphError("do() needs at least one intervention, e.g. scm.do(X=1.0)")
        self.graph.check_nodes(list(merged), "intervened node")
        if self.graph.bidirected_edges and getattr(self, "push_", None) is None:
            # (a model fitted with a push is one end of a bound: it answers by design)
            targets = {**self._interventions, **merged}
            affected = self.graph.descendants(list(targets)) - set(targets)
            check_identified(self.graph, sorted(targets), sorted(affected))
        intervened = copy.copy(self)
        intervened._interventions = {**self._interventions, **merged}
        if hasattr(self, "mechanisms_"):
            for node, value in merged.items():
                if not callable(value):  # validate now, not at sampling time
                    rows = len(np.asarray(value)) if is_per_row(value) else 1
                    encode_value(intervened, node, value, rows)
        return intervened

    @property
    def interventions(self) -> dict[str, InterventionValue]:
        """The interventions applied to this model (empty for the observational model)."""
        return dict(self._interventions)

    def ate(
        self,
        treatment: str,
        outcome: str,
        treated: Any = 1,
        control: Any = 0,
        n: int = 20_000,
        random_state: int | None = None,
        level: float = 0.95,
    ) -> Effect:
        """``E[Y | do(T = treated)] - E[Y | do(T = control)]`` by Monte Carlo with common noise.

        The outcome must be continuous or binary (a binary outcome's mean is the probability of its
        second category).

        Returns:
            An :class:`~deepcausal.estimators.Effect`, as every estimator returns. Its interval is
            the Monte Carlo error of the ``n`` draws: it shrinks with ``n`` and says nothing about
            how well the fitted model matches the data (refit on bootstrap samples for that).
        """
        self._check_fitted()
        level = check_level(level)
        (t,) = self.graph.check_nodes(treatment, "treatment")
        (y,) = self.graph.check_nodes(outcome, "outcome")
        var = self.schema_[y]
        if var.kind == "categorical":
            raise SchemaError(f"outcome {y!r} is categorical: an average effect needs a number")
        seed = self._draw_seed(random_state)
        means, variances = [], []
        for value in (treated, control):
            sample = self.do({t: value}).sample(n, random_state=seed)
            values = numeric_values(sample[y], var)
            means.append(float(values.mean()))
            variances.append(float(values.var(ddof=1)) if n > 1 else math.nan)
        std_error = math.sqrt((variances[0] + variances[1]) / n)
        effect = normal_effect(
            means[0] - means[1],
            std_error,
            level=level,
            method=f"DeepSCM, {n} Monte Carlo draws (interval: simulation error only)",
            estimand="ATE",
        )
        return replace(effect, contrast=f"do({t}={treated}) vs do({t}={control})", n=n)

    # ------------------------------------------------------------------------------- rung 3
    def counterfactual(
        self,
        factual: pd.DataFrame,
        do: Interventions | None = None,
        n_samples: int = 1,
        random_state: int | None = None,
        average: bool = False,
    ) -> pd.DataFrame:
        """What each factual row would have been under ``do`` (abduction, action, prediction).

        1. Abduction: the noise of every node that must be recomputed (the descendants of the
           intervened nodes, and nodes under a callable intervention) is recovered from the row,
           as its mechanism declares: exactly (flows, noise models), as a posterior draw
           (Gumbel-max, VAE), or approximately (DDIM encoding of a diffusion model).
        2. Action: the intervened nodes are set (a constant, or a function of their factual value).
        3. Prediction: those nodes are recomputed from their abducted noise; every other node keeps
           its factual value.

        The result records what it rests on: ``frame.attrs["abduction"]`` maps each node to the
        abduction kind used for it (``"exact"``, ``"posterior"``, ``"approximate"``), or to
        ``"intervened"`` (set to a constant) or ``"factual"`` (kept as observed).

        Args:
            factual: observed rows with a column per node.
            do: the counterfactual intervention (combined with this model's own interventions).
            n_samples: counterfactual draws per row; useful when abduction is stochastic.
            random_state: seed of the posterior draws.
            average: reduce each row's ``n_samples`` draws to one, as Deep SCM's code does with
                its posterior particles (Pawlowski, Castro & Glocker 2020): the mean of a
                continuous node, the most frequent value of a discrete one. Where abduction is a
                posterior draw, this estimates the counterfactual's posterior mean, which is closer
                to the unit's own counterfactual (in squared error) than a single draw is.
                ``frame.attrs["draws_averaged"]`` records ``n_samples``.

        Returns:
            A DataFrame with the factual index (with ``n_samples > 1`` and no ``average``, a
            MultiIndex whose last level, ``"sample"``, numbers the draws of each row).

        Raises:
            AbductionError: a node that must be recomputed has a mechanism that cannot abduct
                (a GAN); the message names the node and the families that can.
            CapabilityError: the graph has hidden confounders (bidirected edges).
        """
        self._check_fitted()
        refuse_counterfactual(self.graph)
        if self._cut:
            raise GraphError(
                "counterfactual() is not defined for a model with cut edges "
                f"({', '.join(f'{a} -> {b}' for a, b in self._cut)}); cut edges apply to sample()"
            )
        interventions = {**self._interventions, **dict(do or {})}
        if not interventions:
            raise GraphError("counterfactual() needs an intervention: pass do={'X': value}")
        self.graph.check_nodes(list(interventions), "intervened node")
        recomputed = self._recomputed(interventions)
        check_abduction(self.mechanisms_, self.schema_, recomputed)
        if not isinstance(factual, pd.DataFrame):
            raise DataError(
                f"factual rows must be a pandas DataFrame, got {type(factual).__name__}"
            )
        if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 1:
            raise DataError(f"n_samples must be a positive integer, got {n_samples!r}")
        if not isinstance(average, bool):
            raise DataError(f"average must be True or False, got {average!r}")
        if len(factual) == 0:
            raise DataError("no factual rows given")
        nodes = list(self.graph.nodes)
        shapes = {k: v.shape for k, v in self.schema_.items() if v.shape}
        factual = flatten_arrays(factual, shapes)[0]  # image cells -> flat columns
        self.schema_.validate(factual, nodes)
        gen = self._generator(random_state)
        frame = counterfactual_frame(
            self, factual, interventions, recomputed, n_samples, gen, average
        )
        if average and n_samples > 1:
            frame.attrs["draws_averaged"] = n_samples
        frame.attrs["abduction"] = {
            node: self.mechanisms_[node].abduction
            if node in recomputed
            else "intervened"
            if node in interventions
            else "factual"
            for node in nodes
        }
        return frame

    def _recomputed(self, interventions: Interventions) -> list[str]:
        """The nodes a counterfactual recomputes from abducted noise, in topological order."""
        changed = self.graph.descendants(list(interventions), inclusive=True)
        return [
            v
            for v in self._order()
            if v in changed and (v not in interventions or callable(interventions[v]))
        ]

    # ---------------------------------------------------------------------------- persistence
    def save(self, directory: str | Path, overwrite: bool = False) -> None:
        """Save to the model folder ``directory``: safetensors weights and JSON (never pickle).

        ``directory`` must be new, empty, or hold a saved DeepSCM; replacing one needs
        ``overwrite=True`` and replaces only the model's own files. One ``manifest.json`` records the
        SHA-256 of every file, and a crash at any point leaves the previous model or the new one
        loadable (see :mod:`deepcausal._modelfolder`).

        Raises:
            ModelFileError: the folder holds other files, or a model and ``overwrite`` is false.
        """
        self._check_fitted()
        save_scm(self, directory, overwrite=overwrite)

    @classmethod
    def load(cls, directory: str | Path, device: DeviceLike = "auto") -> DeepSCM:
        """Load a model written by :meth:`save`; a corrupt, truncated or edited file raises
        :class:`deepcausal.errors.ModelFileError`. Loading never executes code from the files."""
        return load_scm(cls, directory, device)

    # -------------------------------------------------------------------------------- helpers
    def __repr__(self) -> str:
        state = "fitted" if hasattr(self, "mechanisms_") else "not fitted"
        extra = f", do={self._interventions!r}" if self._interventions else ""
        return (
            f"DeepSCM({self.graph.to_string()!r}, mechanisms={self.mechanisms!r}{extra}; {state})"
        )

    def _order(self) -> tuple[str, ...]:
        return self.graph.topological_order()

    def _check_fitted(self) -> None:
        if not hasattr(self, "mechanisms_"):
            raise NotFittedError("this DeepSCM is not fitted yet: call fit(data) first")

    def _check_mechanism_spec(self) -> None:
        spec = self.mechanisms
        if isinstance(spec, Mapping):
            self.graph.check_nodes(list(spec), "node in mechanisms")
            for node, value in spec.items():
                check_families(value, f"mechanisms[{node!r}]")
        else:
            check_families(spec, "mechanisms")

    def _family_spec(self, node: str) -> str | tuple[str, ...]:
        spec = self.mechanisms
        value = spec.get(node, "auto") if isinstance(spec, Mapping) else spec
        return value if isinstance(value, str) else tuple(value)

    def _candidates(self, node: str) -> tuple[str, ...]:
        """The families fitted for ``node`` (see :func:`deepcausal.scm._fit.candidates`)."""
        if self._latents_of(node):
            return (CONFOUNDED_FAMILY,)
        var = self.schema_[node]
        return candidates(
            node, self._family_spec(node), var.kind, self._parent_dim(node) > 0, var.shape
        )

    def _build_mechanism(self, node: str, family: str) -> Mechanism:
        auto = self._family_spec(node) == "auto" and family in AUTO_CONTINUOUS
        return build_mechanism(
            node,
            self.schema_[node],
            family,
            self._parent_dim(node),
            self.mechanism_kwargs,
            AUTO_HYPER.get(family) if auto else None,
        )

    def _draw_latents(self, n: int, generator: torch.Generator | None) -> dict[str, Tensor]:
        """Fresh draws of every hidden confounder's latent (none on a DAG)."""
        return {
            latent_key(i): torch.randn(n, LATENT_DIM, generator=generator).to(self.device_)
            for i in range(len(getattr(self, "_cliques", [])))
        }

    def _latents_of(self, node: str) -> list[int]:
        return [i for i, q in enumerate(getattr(self, "_cliques", [])) if node in q]

    def _parent_dim(self, node: str) -> int:
        observed = sum(feature_dim(self.schema_[p]) for p in self.graph.parents(node))
        return observed + LATENT_DIM * len(self._latents_of(node))

    def _parent_features(self, node: str, values: Mapping[str, Tensor], n: int) -> Tensor:
        blocks = [features(self.schema_[p], values[p]) for p in self.graph.parents(node)]
        blocks += [values[latent_key(i)] for i in self._latents_of(node)]
        if not blocks:
            return torch.zeros(n, 0)
        return torch.cat(blocks, dim=1)

    def _draw_seed(self, random_state: int | None) -> int:
        if random_state is not None:
            return int(random_state)
        (child,) = self._sampling_seed.spawn(1)
        return int(child.generate_state(1)[0])

    def _generator(self, random_state: int | None) -> torch.Generator:
        gen = torch.Generator(device="cpu")
        gen.manual_seed(self._draw_seed(random_state))
        return gen
