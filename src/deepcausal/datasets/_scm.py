"""Simulated structural causal models with known equations: exact samples, effects and counterfactuals.

A :class:`SimulatedSCM` is a list of :class:`StructuralEquation` objects, ``x_i = f_i(pa_i, u_i)``
with independent exogenous noises ``u_i``, evaluated by the same engine as DeepSCM's queries
(:func:`deepcausal.graph.evaluate_structural`). Because the equations are known, everything on
Pearl's ladder has an exact answer: observational and interventional samples (``sample``), average
effects by Monte Carlo with common random numbers (``ate``), and unit-level counterfactuals by
abduction, action and prediction (``counterfactual``). Continuous equations are strictly monotone in their
noise, so the noise of a factual row is recovered exactly (``abduct``); the noise of a binary or
categorical node is not a function of the row, and must come from the sampler
(``sample(..., return_noise=True)``).

These are the ground truth against which deepcausal's learned models (``DeepSCM``, estimators) are
checked; the catalogue of named SCMs is in :func:`deepcausal.datasets.load_scm`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from typing import Any, Literal, overload

import numpy as np
import pandas as pd

from deepcausal.data import Schema, category_codes, continuous_values
from deepcausal.datasets._structural import StructuralEquation
from deepcausal.errors import DataError, GraphError
from deepcausal.graph import CausalGraph, evaluate_structural

__all__ = ["SimulatedSCM"]

Intervention = Any  # a number / category, an array of per-row values, or a callable old -> new

# Relative tolerance for "this noise reproduces this factual row" (abduction round trips).
_CONSISTENCY_RTOL = 1e-6


class SimulatedSCM:
    """A structural causal model with known equations: the ground truth for all three rungs.

    Args:
        name: A short identifier, e.g. ``"triangle-nonlinear"``.
        equations: One :class:`StructuralEquation` per node, parents before children or in any
            order (the graph fixes the order of evaluation). The graph must be acyclic.
        description: Where the equations come from (paper, repository).

    Attributes:
        name: The identifier.
        graph: The causal DAG implied by the equations' parents.
        schema: One :class:`~deepcausal.data.Variable` per node, in declaration order.
        equations: ``{node: StructuralEquation}``.

    Interventions (``do``) map a node to a value (applied to every row; a category for a discrete
    node), to an array of per-row values (matched to rows by position), or to a callable ``old -> new`` that receives the values
    the node would take without the intervention (NumPy array in the user's units) and returns the
    new ones: a soft or shift intervention, e.g. ``{"x1": lambda x: x + 1}``. Effects propagate to
    all descendants.

    Examples:
        >>> from deepcausal.datasets import load_scm
        >>> scm = load_scm("chain-linear")
        >>> df = scm.sample(3, random_state=0)
        >>> list(df.columns)
        ['x1', 'x2', 'x3']
        >>> scm.sample(3, do={"x1": 1.0}, random_state=0)["x1"].tolist()
        [1.0, 1.0, 1.0]
        >>> cf = scm.counterfactual(df, do={"x1": df["x1"] + 1})  # x3 moves by 10 * 0.25
        >>> (cf["x3"] - df["x3"]).round(6).tolist()
        [2.5, 2.5, 2.5]
    """

    def __init__(
        self, name: str, equations: Iterable[StructuralEquation], description: str = ""
    ) -> None:
        eqs: dict[str, StructuralEquation] = {}
        for eq in equations:
            if not isinstance(eq, StructuralEquation):
                raise TypeError(f"expected StructuralEquation objects, got {type(eq).__name__}")
            if eq.name in eqs:
                raise GraphError(f"two equations for node {eq.name!r}")
            eqs[eq.name] = eq
        for eq in eqs.values():
            unknown = [p for p in eq.parents if p not in eqs]
            if unknown:
                raise GraphError(
                    f"equation of {eq.name!r} names parent(s) {unknown} that have no equation; "
                    f"nodes: {list(eqs)}"
                )
        self.name = name
        self.description = description
        self.equations: dict[str, StructuralEquation] = eqs
        self.graph = CausalGraph(
            nodes=list(eqs), directed=[(p, eq.name) for eq in eqs.values() for p in eq.parents]
        )
        self.schema = Schema(eq.variable for eq in eqs.values())
        self._order = self.graph.topological_order()

    def __repr__(self) -> str:
        return f"SimulatedSCM({self.name!r}, nodes={list(self.equations)})"

    @property
    def nodes(self) -> tuple[str, ...]:
        """Node names in declaration order."""
        return tuple(self.equations)

    @property
    def noise_columns(self) -> tuple[str, ...]:
        """Columns of the noise DataFrame returned by ``sample(..., return_noise=True)``."""
        return tuple(c for eq in self.equations.values() for c in eq.noise_columns)

    @property
    def additive_noise(self) -> bool:
        """True when every equation is additive in its noise."""
        return all(eq.additive for eq in self.equations.values())

    def describe(self) -> str:
        """The equations, one per line, with each noise law."""
        lines = [f"{self.name}: {self.description}".rstrip(": ")]
        for eq in self.equations.values():
            tag = "" if eq.additive else "  [non-additive noise]"
            law = eq.noise if eq.noise_dim == 1 else f"{eq.noise} x {eq.noise_dim}"
            lines.append(f"  {eq.formula or eq.name}    (u ~ {law}){tag}")
        return "\n".join(lines)

    # ------------------------------------------------------------------------ rung 1 and 2

    @overload
    def sample(
        self,
        n: int,
        *,
        do: Mapping[str, Intervention] | None = ...,
        random_state: int | np.random.Generator | None = ...,
        return_noise: Literal[False] = ...,
    ) -> pd.DataFrame: ...

    @overload
    def sample(
        self,
        n: int,
        *,
        do: Mapping[str, Intervention] | None = ...,
        random_state: int | np.random.Generator | None = ...,
        return_noise: Literal[True],
    ) -> tuple[pd.DataFrame, pd.DataFrame]: ...

    def sample(
        self,
        n: int,
        *,
        do: Mapping[str, Intervention] | None = None,
        random_state: int | np.random.Generator | None = None,
        return_noise: bool = False,
    ) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
        """Draw ``n`` rows from the observational (``do=None``) or an interventional distribution.

        The noise of every node is drawn, in declaration order, whatever ``do`` is, so the same
        ``random_state`` gives the same units under different interventions (common random
        numbers): ``sample(n, do=a, random_state=s)`` and ``sample(n, do=b, random_state=s)`` are
        the two potential outcomes of the same units.

        Args:
            n: Number of rows.
            do: Interventions (see the class docstring).
            random_state: Seed or NumPy generator.
            return_noise: Also return the exogenous noise (one column per entry of
                :attr:`noise_columns`), which :meth:`counterfactual` needs for discrete nodes.

        Returns:
            The samples (float columns for continuous nodes, the categories' values for discrete
            ones, a pandas ``category`` column for categorical nodes), and the noise if asked.
        """
        n = _check_n(n)
        noise = self._draw_noise(n, random_state)
        specs = self._parse_do(do, n)
        values = self._propagate(noise, specs, n)
        frame = self._to_frame(values, pd.RangeIndex(n))
        if return_noise:
            return frame, self._noise_frame(noise, pd.RangeIndex(n))
        return frame

    def interventional_mean(
        self,
        outcome: str,
        do: Mapping[str, Intervention] | None = None,
        *,
        n: int = 100_000,
        random_state: int | np.random.Generator | None = None,
    ) -> float:
        """Monte Carlo estimate of ``E[outcome | do(...)]`` from ``n`` interventional samples."""
        (outcome,) = self.graph.check_nodes([outcome], role="outcome")
        df = self.sample(n, do=do, random_state=random_state)
        return float(np.mean(self._numeric(outcome, df[outcome].to_numpy())))

    def unit_effects(
        self,
        treatment: str,
        outcome: str,
        treated: Intervention,
        control: Intervention,
        n: int = 100_000,
        random_state: int | np.random.Generator | None = None,
    ) -> np.ndarray:
        """Per-unit effects ``Y(do(T=treated)) - Y(do(T=control))`` for ``n`` simulated units.

        Both potential outcomes of a unit share its noise (common random numbers), so the mean is
        the ATE with only the heterogeneity of the effect as Monte Carlo error.
        """
        treatment, outcome = self.graph.check_nodes([treatment, outcome], role="node")
        n = _check_n(n)
        noise = self._draw_noise(n, random_state)
        y = []
        for value in (treated, control):
            values = self._propagate(noise, self._parse_do({treatment: value}, n), n)
            user = self._to_user(outcome, values[outcome])
            y.append(self._numeric(outcome, user))
        return y[0] - y[1]

    def ate(
        self,
        treatment: str,
        outcome: str,
        treated: Intervention,
        control: Intervention,
        n: int = 100_000,
        random_state: int | np.random.Generator | None = None,
    ) -> float:
        """Average treatment effect ``E[Y | do(T=treated)] - E[Y | do(T=control)]`` by Monte Carlo.

        Uses :meth:`unit_effects` (common random numbers); the Monte Carlo standard error is
        ``unit_effects(...).std() / sqrt(n)``, zero for a linear SCM.

        Examples:
            >>> from deepcausal.datasets import load_scm
            >>> round(load_scm("triangle-linear").ate("x1", "x3", 1.0, 0.0, n=1000), 9)
            6.0
        """
        effects = self.unit_effects(
            treatment, outcome, treated, control, n=n, random_state=random_state
        )
        return float(np.mean(effects))

    # ------------------------------------------------------------------------ rung 3

    def abduct(self, factual: pd.DataFrame) -> pd.DataFrame:
        """The exact noise of each continuous node for each factual row (discrete nodes omitted).

        Raises:
            DataError: a row that the SCM cannot produce (its noise would be infinite or NaN).
        """
        self.schema.validate(factual)
        fact = self._to_internal(factual)
        cols = {
            name: self._abduct_node(name, fact, factual.index)
            for name, eq in self.equations.items()
            if eq.variable.kind == "continuous"
        }
        return pd.DataFrame(cols, index=factual.index)

    def counterfactual(
        self,
        factual: pd.DataFrame,
        do: Mapping[str, Intervention],
        noise: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Exact counterfactuals: what each factual row would have been under ``do``.

        Pearl's three steps: abduction (each node's noise from the factual row, exact for the
        continuous nodes, whose equations are invertible in their noise), action (replace the
        intervened equations), prediction (recompute the intervened nodes' descendants; all other
        nodes keep their factual values exactly).

        Args:
            factual: Rows produced by this SCM (observed values of every node).
            do: Interventions (see the class docstring); per-row arrays and callables act row by row.
            noise: The noise of these rows from ``sample(..., return_noise=True)``, indexed like
                ``factual``. Required only when a binary or categorical node must be recomputed
                (it is a descendant of an intervened node), because its noise cannot be read off
                the factual row. It is checked against the factual rows.

        Returns:
            The counterfactual rows, same index as ``factual``, one column per node.

        Raises:
            DataError: the noise of a discrete node is needed and ``noise`` is missing, or does not
                reproduce the factual rows; or a factual row is impossible under this SCM.
        """
        self.schema.validate(factual)
        if not factual.index.is_unique:
            raise DataError("factual rows must have a unique index")
        n = len(factual)
        fact = self._to_internal(factual)
        specs = self._parse_do(do, n)
        recompute = set(self.graph.descendants(list(specs), inclusive=True))
        # Nodes computed from their equation: recomputed, not set to a constant, with a changed
        # parent (a node whose parents are all unchanged keeps its factual value under a callable).
        computed = [
            v
            for v in self._order
            if v in recompute
            and not (v in specs and not callable(specs[v]))
            and any(p in recompute for p in self.equations[v].parents)
        ]
        need_given = [v for v in computed if self.equations[v].variable.kind != "continuous"]
        given = self._given_noise(noise, factual, fact, need_given)
        noises: dict[str, np.ndarray] = {}
        for v in computed:
            if self.equations[v].variable.kind == "continuous":
                noises[v] = self._abduct_node(v, fact, factual.index)
            else:
                noises[v] = given[v]
        values = self._propagate(noises, specs, n, fixed=fact, recompute=recompute)
        return self._to_frame(values, factual.index)

    def ite(
        self,
        factual: pd.DataFrame,
        treatment: str,
        outcome: str,
        treated: Intervention,
        control: Intervention,
        noise: pd.DataFrame | None = None,
    ) -> pd.Series:
        """Exact individual effects of the factual units: ``Y_cf(treated) - Y_cf(control)``."""
        treatment, outcome = self.graph.check_nodes([treatment, outcome], role="node")
        ys = []
        for value in (treated, control):
            cf = self.counterfactual(factual, {treatment: value}, noise=noise)
            ys.append(self._numeric(outcome, cf[outcome].to_numpy()))
        return pd.Series(ys[0] - ys[1], index=factual.index, name=f"ite_{outcome}")

    # ------------------------------------------------------------------------ internals

    def _draw_noise(
        self, n: int, random_state: int | np.random.Generator | None
    ) -> dict[str, np.ndarray]:
        # Every node's noise, in declaration order, whatever the intervention: common random numbers.
        rng = np.random.default_rng(random_state)
        return {name: eq.sample_noise(rng, n) for name, eq in self.equations.items()}

    def _propagate(
        self,
        noise: Mapping[str, np.ndarray],
        specs: Mapping[str, Intervention],
        n: int,
        fixed: Mapping[str, np.ndarray] | None = None,
        recompute: Set[str] = frozenset(),
    ) -> dict[str, np.ndarray]:
        def equation(v: str, values: Mapping[str, np.ndarray]) -> np.ndarray:
            eq = self.equations[v]
            with np.errstate(all="ignore"):
                natural = eq.forward({p: values[p] for p in eq.parents}, noise[v])
            return self._check_output(v, natural, n)

        def shift(v: str, func: Callable[[Any], Any], natural: np.ndarray) -> np.ndarray:
            new = func(self._to_user(v, natural))
            return self._from_user(v, new, n, what=f"the intervention on {v!r} returned")

        return evaluate_structural(
            self._order,
            specs,
            equation=equation,
            shift=shift,
            factual=fixed,
            recompute=recompute,
            keep={v for v in recompute if v not in noise},  # no parent changed: factual value
        )

    def _check_output(self, v: str, x: np.ndarray, n: int) -> np.ndarray:
        eq = self.equations[v]
        x = np.asarray(x)
        if x.shape != (n,):
            raise AssertionError(f"equation of {v!r} returned shape {x.shape}, expected ({n},)")
        if eq.variable.kind == "continuous":
            x = x.astype(np.float64, copy=False)
            if not np.all(np.isfinite(x)):
                raise DataError(
                    f"node {v!r} became infinite or NaN; an intervention is too extreme"
                )
            return x
        return x.astype(np.int64, copy=False)

    def _abduct_node(self, v: str, fact: Mapping[str, np.ndarray], index: pd.Index) -> np.ndarray:
        eq = self.equations[v]
        assert eq.inverse is not None
        with np.errstate(all="ignore"):
            u = np.asarray(eq.inverse({p: fact[p] for p in eq.parents}, fact[v]), dtype=np.float64)
        bad = ~np.isfinite(u)
        if eq.noise == "uniform":
            bad |= (u <= 0.0) | (u >= 1.0)
        if bad.any():
            rows = ", ".join(str(r) for r in index[bad][:5])
            raise DataError(
                f"node {v!r}: {int(bad.sum())} factual row(s) (e.g. {rows}) cannot be produced by "
                f"the {self.name!r} equations given their parents; counterfactuals need rows "
                "sampled from this SCM"
            )
        return u

    def _given_noise(
        self,
        noise: pd.DataFrame | None,
        factual: pd.DataFrame,
        fact: Mapping[str, np.ndarray],
        needed: Sequence[str],
    ) -> dict[str, np.ndarray]:
        if noise is None:
            if needed:
                raise DataError(
                    f"the counterfactual recomputes discrete node(s) {list(needed)}, whose noise "
                    "cannot be recovered from the factual rows; pass noise= from "
                    "sample(..., return_noise=True) for these rows"
                )
            return {}
        if not isinstance(noise, pd.DataFrame):
            raise DataError(f"noise must be a DataFrame, got {type(noise).__name__}")
        missing_rows = factual.index.difference(noise.index)
        if len(missing_rows):
            raise DataError(
                f"noise has no row for factual index label(s) {list(missing_rows[:5])}; pass the "
                "noise frame returned with these rows"
            )
        if not noise.index.is_unique:
            raise DataError("noise must have a unique index")
        rows = noise.loc[factual.index]
        out: dict[str, np.ndarray] = {}
        for v, eq in self.equations.items():
            cols = eq.noise_columns
            if not all(c in rows.columns for c in cols):
                if v in needed:
                    raise DataError(
                        f"noise lacks column(s) {list(cols)} of node {v!r}; columns: "
                        f"{list(noise.columns)}"
                    )
                continue
            u = rows[list(cols)].to_numpy(dtype=np.float64)
            u = u[:, 0] if eq.noise_dim == 1 else u
            with np.errstate(all="ignore"):
                x = eq.forward({p: fact[p] for p in eq.parents}, u)
            if eq.variable.kind == "continuous":
                ok = np.isclose(x, fact[v], rtol=_CONSISTENCY_RTOL, atol=_CONSISTENCY_RTOL)
            else:
                ok = np.asarray(x) == fact[v]
            if not np.all(ok):
                labels = list(factual.index[~ok][:5])
                raise DataError(
                    f"noise of node {v!r} does not reproduce the factual rows {labels}; pass the "
                    "noise sampled together with these rows"
                )
            out[v] = u
        return out

    def _parse_do(self, do: Mapping[str, Intervention] | None, n: int) -> dict[str, Intervention]:
        if do is None:
            return {}
        if not isinstance(do, Mapping):
            raise TypeError(f"do must be a mapping node -> value, got {type(do).__name__}")
        self.graph.check_nodes(list(do), role="intervened node")
        specs: dict[str, Intervention] = {}
        for v, spec in do.items():
            if callable(spec):
                specs[v] = spec
            else:
                specs[v] = self._from_user(v, spec, n, what="do value")
        return specs

    def _from_user(self, v: str, value: Any, n: int, what: str) -> np.ndarray:
        var = self.equations[v].variable
        if isinstance(value, pd.Series | pd.Index):
            value = value.to_numpy()
        arr = np.asarray(value, dtype=object if var.is_discrete else None)
        if arr.ndim > 1 or (arr.ndim == 1 and len(arr) != n):
            raise DataError(
                f"{what} for node {v!r} must be one value or {n} values, got shape {arr.shape}"
            )
        arr = np.broadcast_to(arr, (n,))
        if var.kind == "continuous":
            try:
                x = arr.astype(np.float64)
            except (TypeError, ValueError):
                raise DataError(f"{what} for continuous node {v!r} is not numeric") from None
            if not np.all(np.isfinite(x)):
                raise DataError(f"{what} for node {v!r} contains NaN or infinite values")
            return x
        assert var.categories is not None
        codes = pd.Index(list(var.categories), dtype=object).get_indexer(
            pd.Index(arr, dtype=object)
        )
        if np.any(codes < 0):
            bad = arr[codes < 0][0]
            raise DataError(
                f"{what} {bad!r} for node {v!r} is not one of its categories {list(var.categories)}"
            )
        return codes.astype(np.int64)

    def _to_user(self, v: str, x: np.ndarray) -> np.ndarray:
        var = self.equations[v].variable
        if var.categories is None:
            return x
        cats = np.empty(len(var.categories), dtype=object)
        cats[:] = list(var.categories)
        return pd.Series(cats[x]).infer_objects().to_numpy()

    def _numeric(self, v: str, values: np.ndarray) -> np.ndarray:
        try:
            return np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            raise DataError(
                f"node {v!r} has non-numeric values; an effect or mean needs a numeric outcome"
            ) from None

    def _to_internal(self, df: pd.DataFrame) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for v, eq in self.equations.items():
            if eq.variable.kind == "continuous":
                out[v] = continuous_values(df[v], v)
            else:
                out[v] = category_codes(eq.variable, df[v])
        return out

    def _to_frame(self, values: Mapping[str, np.ndarray], index: pd.Index) -> pd.DataFrame:
        cols: dict[str, Any] = {}
        for v, eq in self.equations.items():
            var = eq.variable
            if var.kind == "categorical":
                assert var.categories is not None
                cols[v] = pd.Categorical.from_codes(
                    values[v], dtype=pd.CategoricalDtype(list(var.categories))
                )
            elif var.kind == "binary":
                cols[v] = self._to_user(v, values[v])
            else:
                cols[v] = values[v]
        return pd.DataFrame(cols, index=index)

    def _noise_frame(self, noise: Mapping[str, np.ndarray], index: pd.Index) -> pd.DataFrame:
        cols: dict[str, np.ndarray] = {}
        for v, eq in self.equations.items():
            u = noise[v]
            if eq.noise_dim == 1:
                cols[v] = u
            else:
                for j, c in enumerate(eq.noise_columns):
                    cols[c] = u[:, j]
        return pd.DataFrame(cols, index=index)


def _check_n(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    return int(n)
