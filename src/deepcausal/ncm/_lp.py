"""Bounds on an average effect by linear programming over response-function (canonical) models.

Balke & Pearl 1997 ("Bounds on treatment effects from studies with imperfect compliance", JASA)
replace the hidden confounders by the *response functions* they select: for each node, which value it
takes for each combination of its parents' values. Any distribution over the joint response types of
the confounded nodes is a structural causal model of the graph, the observed distribution is linear
in that distribution, and so is the effect; the sharp bounds are a pair of linear programs.

Nodes with no bidirected edge keep their identified mechanism ``P(v | pa)`` (a singleton c-component's
c-factor); the nodes of the confounded c-components get response functions, with one joint
distribution ``q`` over all their types. Each confounded component ``C`` contributes the constraints
``Q[C](v) = sum_q q 1[C's types map v_pa to v_C]``, where the c-factor ``Q[C]`` is identified as
``prod_i P(v_i | mb_i)`` (Tian & Pearl 2002; ``mb_i`` is ``V_i``'s Markov blanket among its
predecessors). The effect is linear in ``q`` once the known mechanisms are summed out.

Sharpness: with at most one confounded c-component (the binary instrument ``Z -> X -> Y, X <-> Y``,
the confounded pair ``X -> Y, X <-> Y`` with Manski's natural bounds, the front door, bad-M) ``q``
is exactly the canonical model and the bounds are sharp; an identified effect gets a zero-width
interval. With several, their independence is not a linear constraint and is dropped, so the bounds
are valid but may be wider than sharp (``Bounds.tight`` says which).

Finite samples may fall outside the graph's model (e.g. violate the instrumental inequality). A first
program finds the smallest weighted L1 distance (half of it: a total variation) between the
c-factors of the data and those of some model; the bounds are those of the models at that distance,
and the distance is reported.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import numpy as np
from scipy.optimize import linprog

from deepcausal.errors import DataError
from deepcausal.ncm._discrete import DiscreteData
from deepcausal.ncm._result import Bounds

__all__ = ["MAX_RESPONSE_TYPES", "lp_bounds"]

#: Joint response types beyond which the program is refused (the LP has one variable per type).
MAX_RESPONSE_TYPES = 250_000


def _response_table(card: int, n_configs: int) -> np.ndarray:
    """Every function from ``n_configs`` parent configurations to ``card`` values, one row each."""
    return np.array(list(itertools.product(range(card), repeat=n_configs)), dtype=np.int64).reshape(
        card**n_configs, n_configs
    )


class _Canonical:
    """The response-type model of a graph over discrete data, vectorised over joint types."""

    def __init__(self, data: DiscreteData) -> None:
        g = data.graph
        self.data = data
        self.card = dict(zip(data.nodes, data.cards, strict=True))
        self.components = [
            tuple(v for v in data.nodes if v in c) for c in g.c_components() if len(c) > 1
        ]
        self.confounded = tuple(v for v in data.nodes if any(v in c for c in self.components))
        self.known = tuple(v for v in data.nodes if v not in self.confounded)
        self.parents = {v: g.parents(v) for v in data.nodes}
        sizes = []
        for v in self.confounded:
            n_configs = int(np.prod([self.card[p] for p in self.parents[v]], dtype=np.int64))
            sizes.append(float(self.card[v]) ** n_configs)
        total = float(np.prod(sizes)) if sizes else 1.0
        if total > MAX_RESPONSE_TYPES:
            detail = ", ".join(
                f"{v}: {s:,.0f}" for v, s in zip(self.confounded, sizes, strict=True)
            )
            raise DataError(
                f"the response-function program needs {total:,.0f} joint response types (more "
                f"than {MAX_RESPONSE_TYPES:,}; per node: {detail}); use fewer categories, or "
                "method='neural'"
            )
        self.n_types = int(total)
        self.tables: dict[str, np.ndarray] = {}
        for v in self.confounded:
            n_configs = int(np.prod([self.card[p] for p in self.parents[v]], dtype=np.int64))
            self.tables[v] = _response_table(self.card[v], n_configs)
        shape = [len(self.tables[v]) for v in self.confounded]
        index = np.unravel_index(np.arange(self.n_types), shape) if shape else ()
        self.types = dict(zip(self.confounded, index, strict=True))

    def config(self, v: str, values: dict[str, np.ndarray]) -> np.ndarray:
        """The index of ``v``'s parent configuration (first parent most significant)."""
        out = np.zeros(self.n_types, dtype=np.int64)
        for p in self.parents[v]:
            out = out * self.card[p] + values[p]
        return out

    def respond(self, v: str, values: dict[str, np.ndarray]) -> np.ndarray:
        """``v``'s value under every joint response type, given its parents' values."""
        return self.tables[v][self.types[v], self.config(v, values)]


def _cpt(joint: np.ndarray, order: list[str], v: str, given: tuple[str, ...]) -> np.ndarray:
    """Empirical ``P(v | given)`` with axes ``(*given, v)``; NaN where ``given`` never occurs."""
    keep = [*given, v]
    axes = tuple(i for i, u in enumerate(order) if u not in keep)
    marginal = joint.sum(axis=axes) if axes else joint
    kept = [u for u in order if u in keep]
    marginal = np.transpose(marginal, [kept.index(u) for u in keep])
    with np.errstate(invalid="ignore", divide="ignore"):
        return marginal / marginal.sum(axis=-1, keepdims=True)


def _effect_coefficients(
    model: _Canonical, joint: np.ndarray, do: dict[str, int], outcome: str, numbers: np.ndarray
) -> np.ndarray:
    """``E[outcome | do]`` under every joint response type, the known mechanisms summed out."""
    data = model.data
    order = list(data.nodes)
    free = [v for v in model.known if v not in do]
    cpts = {v: _cpt(joint, order, v, model.parents[v]) for v in free}
    out = np.zeros(model.n_types)
    for assignment in itertools.product(*[range(model.card[v]) for v in free]):
        chosen = dict(zip(free, assignment, strict=True))
        values: dict[str, np.ndarray] = {}
        weight = np.ones(model.n_types)
        for v in data.nodes:
            if v in do:
                values[v] = np.full(model.n_types, do[v], dtype=np.int64)
            elif v in chosen:
                values[v] = np.full(model.n_types, chosen[v], dtype=np.int64)
                index = (*(values[p] for p in model.parents[v]), values[v])
                weight = weight * cpts[v][index]
            else:
                values[v] = model.respond(v, values)
        if np.isnan(weight).any():
            raise DataError(
                f"under do({', '.join(f'{k}={data.categories[k][c]!r}' for k, c in do.items())}) "
                "the effect needs a mechanism at parent values never observed (positivity fails); "
                "bounds cannot be computed from these data"
            )
        out += weight * numbers[values[outcome]]
    return out


def _component_rows(
    model: _Canonical, joint: np.ndarray, component: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The constraints ``Q[C](a) = sum_q q 1[...]`` of one confounded component: ``(A, b, w)``."""
    data = model.data
    g = data.graph
    order = list(data.nodes)
    outside = sorted(
        {p for v in component for p in model.parents[v]} - set(component), key=order.index
    )
    scope = [u for u in order if u in component or u in outside]
    factors = []
    for v in component:
        before = order[: order.index(v) + 1]
        district = g.subgraph(before).district(v)
        blanket = (set(district) | {p for d in district for p in model.parents[d]}) - {v}
        given = tuple(u for u in order if u in blanket)
        factors.append((v, given, _cpt(joint, order, v, given)))
    marg_axes = tuple(i for i, u in enumerate(order) if u not in outside)
    weights_outside = joint.sum(axis=marg_axes) if outside else np.array(1.0)
    rows, targets, weights = [], [], []
    for assignment in itertools.product(*[range(model.card[u]) for u in scope]):
        a = dict(zip(scope, assignment, strict=True))
        target = 1.0
        for v, given, table in factors:  # in topological order
            if target == 0.0:
                break  # 0 · undefined = 0: a factor after a zero needs no data
            target *= float(table[(*(a[u] for u in given), a[v])])
        if np.isnan(target):
            continue  # a conditioning event with no rows and a positive weight: no constraint
        values = {u: np.full(model.n_types, a[u], dtype=np.int64) for u in outside}
        match = np.ones(model.n_types, dtype=bool)
        for v in component:
            values[v] = np.full(model.n_types, a[v], dtype=np.int64)
            match &= model.respond(v, values) == a[v]
        rows.append(match.astype(float))
        targets.append(target)
        w = float(weights_outside[tuple(a[u] for u in outside)]) if outside else 1.0
        weights.append(w / 2.0)
    return np.array(rows), np.array(targets), np.array(weights)


def lp_bounds(
    data: DiscreteData, treatment: str, outcome: str, treated: Any, control: Any
) -> Bounds:
    """Sharp (or valid) bounds on ``E[Y | do(T=treated)] - E[Y | do(T=control)]``; see the module."""
    start = time.perf_counter()
    model = _Canonical(data)
    t_code = data.code(treatment, treated, "treated")
    c_code = data.code(treatment, control, "control")
    numbers = data.numeric(outcome)
    joint = data.joint()
    objective = _effect_coefficients(model, joint, {treatment: t_code}, outcome, numbers)
    objective -= _effect_coefficients(model, joint, {treatment: c_code}, outcome, numbers)
    Q = model.n_types
    parts = [_component_rows(model, joint, c) for c in model.components]
    if parts:
        A = np.vstack([p[0] for p in parts])
        b = np.concatenate([p[1] for p in parts])
        w = np.concatenate([p[2] for p in parts])
    else:
        A, b, w = np.zeros((0, Q)), np.zeros(0), np.zeros(0)
    m = A.shape[0]
    # Variables: q (Q), s_plus (m), s_minus (m). A q + s_plus - s_minus = b; sum q = 1.
    A_eq = np.vstack(
        [
            np.hstack([A, np.eye(m), -np.eye(m)]),
            np.concatenate([np.ones(Q), np.zeros(2 * m)])[None, :],
        ]
    )
    b_eq = np.concatenate([b, [1.0]])
    slack_cost = np.concatenate([np.zeros(Q), w, w])
    first = linprog(slack_cost, A_eq=A_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    if first.status != 0:  # pragma: no cover - always feasible with slacks
        raise DataError(f"the response-function program failed: {first.message}")
    violation = max(float(first.fun), 0.0)
    budget = violation + 1e-9
    cost = np.concatenate([objective, np.zeros(2 * m)])
    ends = []
    for sign in (1.0, -1.0):
        res = linprog(
            sign * cost,
            A_ub=slack_cost[None, :],
            b_ub=[budget],
            A_eq=A_eq,
            b_eq=b_eq,
            bounds=(0, None),
            method="highs",
        )
        if res.status != 0:  # pragma: no cover - the first program's solution is feasible
            raise DataError(f"the response-function program failed: {res.message}")
        ends.append(sign * float(res.fun))
    lower, upper = ends
    tight = len(model.components) <= 1
    notes = (
        f"linear program over {Q:,} joint response types of "
        f"{', '.join(model.confounded) or 'no confounded node'}; "
        f"{time.perf_counter() - start:.2f} s"
    )
    if not tight:
        notes += (
            "; the graph has several confounded c-components, whose independence the program "
            "drops: the interval is valid but may be wider than sharp"
        )
    return Bounds(
        lower=lower,
        upper=upper,
        method="lp",
        treatment=treatment,
        outcome=outcome,
        treated=treated,
        control=control,
        tight=tight,
        violation=violation,
        n=data.n,
        notes=notes,
    )
