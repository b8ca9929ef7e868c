"""Plug-in evaluation of an estimand on discrete data.

Each probability term ``P(A | C)`` becomes a dense table of empirical frequencies over the observed
values of A ∪ C (one ``numpy.bincount`` over the rows per distinct set of variables); sums, products and
fractions are numpy reductions and broadcasts over named axes. Sums bind their variables, so a name
that is fixed by the intervention outside a sum is free to vary inside it (the front-door ``Σ_{X'}``).

Zero-probability events follow the measure-theoretic convention ``0 · undefined = 0``: a conditional
that is undefined because its conditioning event never occurs does not matter where it is multiplied by
a zero probability (e.g. a covariate combination never observed). An undefined value that reaches the
result is a positivity violation and raises :class:`~deepcausal.errors.DataError` naming the term and
the event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from deepcausal.errors import DataError, SchemaError
from deepcausal.identify._expression import (
    Expression,
    Fraction,
    One,
    Probability,
    Product,
    Sum,
)

if TYPE_CHECKING:
    from deepcausal.identify._estimand import Estimand

__all__ = ["evaluate"]

_MAX_CELLS = 10_000_000


@dataclass(frozen=True)
class _Table:
    """A function of the variables ``vars``: ``values`` has one axis per variable, in that order."""

    vars: tuple[str, ...]
    values: np.ndarray


def _expand(table: _Table, order: tuple[str, ...]) -> np.ndarray:
    """``table.values`` transposed to ``order`` with length-1 axes for the variables it lacks."""
    present = [v for v in order if v in table.vars]
    arr = np.transpose(table.values, [table.vars.index(v) for v in present])
    shape = [table.values.shape[table.vars.index(v)] if v in table.vars else 1 for v in order]
    return arr.reshape(shape)


def _union(a: _Table, b: _Table) -> tuple[str, ...]:
    return a.vars + tuple(v for v in b.vars if v not in a.vars)


def _multiply(a: _Table, b: _Table) -> _Table:
    order = _union(a, b)
    x, y = _expand(a, order), _expand(b, order)
    with np.errstate(invalid="ignore", over="ignore"):
        out = np.asarray(x * y, dtype=float)
    # 0 · undefined = 0: an undefined conditional weighted by a zero probability does not count.
    zero = ((x == 0) & np.isnan(y)) | (np.isnan(x) & (y == 0))
    if zero.any():
        out = np.where(zero, 0.0, out)
    return _Table(order, out)


def _divide(a: _Table, b: _Table) -> _Table:
    order = _union(a, b)
    x, y = _expand(a, order), _expand(b, order)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(x / y, dtype=float)
    out = np.where(np.broadcast_to(y, out.shape) == 0, np.nan, out)
    return _Table(order, out)


@dataclass(frozen=True)
class _Undefined:
    """A term whose conditioning event has no rows, at the first such cell."""

    term: Probability
    event: dict[str, Any]


class _Evaluator:
    def __init__(
        self,
        codes: dict[str, np.ndarray],
        categories: dict[str, pd.Index],
        n_rows: int,
        patched: frozenset[int] = frozenset(),
    ) -> None:
        self.codes = codes
        self.categories = categories
        self.cards = {v: len(c) for v, c in categories.items()}
        self.n_rows = n_rows
        self.column_order = {v: i for i, v in enumerate(codes)}
        self.patched = patched
        self.counts_cache: dict[tuple[str, ...], np.ndarray] = {}
        self.undefined: dict[int, _Undefined] = {}

    def counts(self, variables: tuple[str, ...]) -> np.ndarray:
        """Row counts over every combination of observed values of ``variables`` (in column order)."""
        cached = self.counts_cache.get(variables)
        if cached is not None:
            return cached
        shape = tuple(self.cards[v] for v in variables)
        flat = np.zeros(self.n_rows, dtype=np.int64)
        for v, size in zip(variables, shape, strict=True):
            flat = flat * size + self.codes[v]
        size = int(np.prod(shape, dtype=np.int64))
        out = np.bincount(flat, minlength=size).reshape(shape).astype(float)
        self.counts_cache[variables] = out
        return out

    def term(self, term: Probability, fixed: Mapping[str, int]) -> _Table:
        variables = tuple(sorted({*term.variables, *term.given}, key=self.column_order.__getitem__))
        cells = int(np.prod([self.cards[v] for v in variables], dtype=np.int64))
        if cells > _MAX_CELLS:
            sizes = ", ".join(f"{v}: {self.cards[v]}" for v in variables)
            raise DataError(
                f"the term {term} needs a table of {cells:,} cells (distinct values per column: "
                f"{sizes}); plug-in evaluation is for discrete data: discretise continuous columns "
                "or use an estimator from deepcausal.estimators"
            )
        joint = self.counts(variables)
        head_axes = tuple(variables.index(v) for v in term.variables)
        cond = joint.sum(axis=head_axes, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            prob = joint / cond
        empty = np.broadcast_to(cond == 0, prob.shape)
        index = tuple(fixed[v] if v in fixed else slice(None) for v in variables)
        kept = tuple(v for v in variables if v not in fixed)
        prob, empty = prob[index], empty[index]
        if empty.any():
            if id(term) in self.patched:
                prob = np.where(empty, 0.0, prob)
            elif id(term) not in self.undefined:
                cell = np.unravel_index(int(np.argmax(empty)), empty.shape)
                event = {
                    v: self.categories[v][fixed[v] if v in fixed else int(cell[kept.index(v)])]
                    for v in variables
                    if v in term.given
                }
                self.undefined[id(term)] = _Undefined(term, event)
        return _Table(kept, np.asarray(prob, dtype=float))

    def run(self, expr: Expression, fixed: Mapping[str, int]) -> _Table:
        if isinstance(expr, Probability):
            return self.term(expr, fixed)
        if isinstance(expr, One):
            return _Table((), np.array(1.0))
        if isinstance(expr, Sum):
            inner = {k: v for k, v in fixed.items() if k not in expr.over}
            body = self.run(expr.body, inner)
            values = body.values
            axes = tuple(body.vars.index(v) for v in expr.over if v in body.vars)
            values = values.sum(axis=axes) if axes else values
            for v in expr.over:
                if v not in body.vars:  # Σ_v of a constant in v
                    values = values * self.cards[v]
            return _Table(tuple(v for v in body.vars if v not in expr.over), values)
        if isinstance(expr, Product):
            out = _Table((), np.array(1.0))
            for factor in expr.factors:
                out = _multiply(out, self.run(factor, fixed))
            return out
        if isinstance(expr, Fraction):
            return _divide(self.run(expr.numerator, fixed), self.run(expr.denominator, fixed))
        raise TypeError(f"cannot evaluate {expr!r}")  # pragma: no cover - closed hierarchy


def _encode(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (0..k-1) and the sorted observed values of a discrete column."""
    values = column.to_numpy()
    if values.dtype.kind in "biu":
        as_int = values.astype(np.int64)
        low = int(as_int.min())
        if int(as_int.max()) - low < 1_000_000:  # O(n) path for small integer ranges
            shifted = as_int - low
            present = np.bincount(shifted) > 0
            lookup = np.cumsum(present) - 1
            observed = (np.flatnonzero(present) + low).astype(values.dtype)
            return lookup[shifted], pd.Index(observed)
    cat = pd.Categorical(column).remove_unused_categories()
    return np.asarray(cat.codes, dtype=np.int64), pd.Index(cat.categories)


def _check_frame(data: Any, needed: list[str]) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise SchemaError(
            f"data has no column {', '.join(map(repr, missing))}, needed by the estimand; "
            f"columns present: {', '.join(map(str, data.columns))}"
        )
    if len(data) == 0:
        raise DataError("data has no rows")
    for c in needed:
        n_nan = int(data[c].isna().sum())
        if n_nan:
            raise DataError(
                f"column {c!r} has {n_nan} missing value(s) (NaN); drop or impute them first"
            )
    return data


def _code_of(var: str, value: Any, categories: pd.Index, role: str, expr: Expression) -> int:
    try:
        position = int(categories.get_indexer(pd.Index([value]))[0])
    except (TypeError, ValueError) as err:
        raise SchemaError(f"{role} value {var}={value!r} is not a valid value: {err}") from None
    if position < 0:
        users = [str(t) for t in expr.terms() if var in t.given or var in t.variables]
        where = f"; the term {users[0]} would condition on an event with no rows" if users else ""
        shown = ", ".join(map(_show, categories[:20])) + (", ..." if len(categories) > 20 else "")
        raise SchemaError(
            f"{role} value {var}={_show(value)} was never observed in column {var!r} (observed values: "
            f"{shown}){where}; a plug-in estimate needs data at that value"
        )
    return position


def _check_values(
    values: Mapping[str, Any] | None,
    required: tuple[str, ...],
    optional: tuple[str, ...],
    role: str,
) -> dict[str, Any]:
    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        raise DataError(f"{role} must be a mapping of variable names to values, got {values!r}")
    missing = [v for v in required if v not in values]
    if missing:
        raise DataError(f"{role} must give a value for {', '.join(map(repr, missing))}")
    unknown = [k for k in values if k not in required and k not in optional]
    if unknown:
        allowed = ", ".join(map(repr, (*required, *optional))) or "nothing"
        raise DataError(f"{role} names {', '.join(map(repr, unknown))}; expected {allowed}")
    return dict(values)


def evaluate(
    estimand: Estimand,
    data: pd.DataFrame,
    intervention: Mapping[str, Any],
    given_values: Mapping[str, Any] | None = None,
) -> pd.Series:
    """Plug-in value of ``estimand`` on ``data``; see :meth:`Estimand.evaluate`."""
    expr = estimand.expression
    aux = estimand.auxiliary
    inter = _check_values(intervention, estimand.treatment, aux, "intervention")
    given = _check_values(given_values, estimand.given, (), "given_values")
    missing_outcome = [y for y in estimand.outcome if y not in expr.free_variables]
    if missing_outcome:
        raise ValueError(f"the estimand's formula does not depend on outcome {missing_outcome}")

    needed: dict[str, None] = {}
    for v in (*estimand.treatment, *estimand.given, *estimand.outcome, *estimand.free_variables):
        needed.setdefault(v, None)
    for v in sorted(expr.all_variables):
        needed.setdefault(v, None)
    frame = _check_frame(data, list(needed))

    codes: dict[str, np.ndarray] = {}
    categories: dict[str, pd.Index] = {}
    for v in needed:
        codes[v], categories[v] = _encode(frame[v])

    fixed: dict[str, int] = {}
    for v, value in inter.items():
        fixed[v] = _code_of(v, value, categories[v], "intervention", expr)
    for v, value in given.items():
        fixed[v] = _code_of(v, value, categories[v], "conditioning", expr)
    free_aux = tuple(v for v in aux if v not in fixed)

    def compute(patched: frozenset[int]) -> tuple[np.ndarray, _Evaluator]:
        ev = _Evaluator(codes, categories, len(frame), patched)
        table = ev.run(expr, fixed)
        order = (*estimand.outcome, *free_aux)
        values = np.broadcast_to(
            _expand(table, order), tuple(len(categories[v]) for v in order)
        ).astype(float)
        if free_aux:
            # The value does not depend on the auxiliary variables (ID line 3): average over their
            # empirical distribution, at the values where the formula is defined.
            aux_order = tuple(sorted(free_aux, key=ev.column_order.__getitem__))
            weights = _expand(_Table(aux_order, ev.counts(aux_order)), free_aux).reshape(-1)
            n_out = len(estimand.outcome)
            flat = values.reshape((*values.shape[:n_out], -1))
            ok = ~np.isnan(flat).any(axis=tuple(range(n_out)))
            if ok.any():
                weights = np.where(ok, weights, 0.0)
                flat = np.where(ok, flat, 0.0)
                values = np.tensordot(flat, weights / weights.sum(), axes=([-1], [0]))
            else:
                values = np.full(values.shape[:n_out], np.nan)
        return values, ev

    values, ev = compute(frozenset())
    if np.isnan(values).any():
        raise DataError(_positivity_message(estimand, inter, given, ev, compute))

    names = list(estimand.outcome)
    if len(names) == 1:
        index: pd.Index = pd.Index(categories[names[0]], name=names[0])
    else:
        index = pd.MultiIndex.from_product([categories[v] for v in names], names=names)
    label = _label(estimand, inter, given)
    return pd.Series(values.reshape(-1), index=index, name=label)


def _show(value: Any) -> str:
    """A value as users wrote it: ``1`` rather than ``np.int64(1)``, ``'a'`` for strings."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value) if isinstance(value, str) else str(value)


def _label(estimand: Estimand, inter: Mapping[str, Any], given: Mapping[str, Any]) -> str:
    do = ", ".join(f"{v}={_show(inter[v])}" for v in estimand.treatment)
    cond = "".join(f", {v}={_show(given[v])}" for v in estimand.given)
    return f"P({', '.join(estimand.outcome)} | do({do}){cond})"


def _positivity_message(
    estimand: Estimand,
    inter: Mapping[str, Any],
    given: Mapping[str, Any],
    ev: _Evaluator,
    compute: Any,
) -> str:
    label = _label(estimand, inter, given)
    candidates = list(ev.undefined.items())
    culprit: _Undefined | None = None
    for key, info in candidates:
        others = frozenset(k for k, _ in candidates if k != key)
        values, _ = compute(others)
        if np.isnan(values).any():
            culprit = info
            break
    if culprit is None and candidates:
        culprit = candidates[0][1]
    if culprit is None:
        return f"cannot compute {label}: the formula is undefined (a zero denominator)"
    event = ", ".join(f"{k}={_show(v)}" for k, v in culprit.event.items())
    return (
        f"cannot compute {label}: the term {culprit.term} conditions on {event}, an event with no "
        "rows in the data (zero probability). The plug-in estimate needs every such event to be "
        "observed (positivity); collect more data, merge rare values, or choose other values."
    )
