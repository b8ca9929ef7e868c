"""The one structural-equation engine: a DAG's nodes evaluated in topological order under interventions."""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Mapping
from typing import Any, TypeVar

__all__ = ["evaluate_structural"]

V = TypeVar("V")


def _as_is(node: str, value: Any) -> Any:
    return value


def _call(node: str, func: Callable[[Any], Any], natural: Any) -> Any:
    return func(natural)


def evaluate_structural(
    order: Iterable[str],
    interventions: Mapping[str, Any],
    *,
    equation: Callable[[str, Mapping[str, V]], V],
    set_value: Callable[[str, Any], V] = _as_is,
    shift: Callable[[str, Callable[[Any], Any], V], V] = _call,
    factual: Mapping[str, V] | None = None,
    recompute: Container[str] = frozenset(),
    keep: Container[str] = frozenset(),
    initial: Mapping[str, V] | None = None,
) -> dict[str, V]:
    """Every node's value, node by node in ``order``, under ``interventions`` (Pearl's ``do``).

    Used by the simulators (:class:`deepcausal.datasets.SimulatedSCM`, NumPy arrays) and by
    ``DeepSCM`` (torch tensors) alike: the values ``V`` are whatever the callbacks produce. For each
    node, in this order of precedence:

    1. in a counterfactual (``factual`` given), a node outside ``recompute`` keeps its factual value;
    2. a node intervened with a constant (anything not callable) takes ``set_value(node, spec)``;
    3. otherwise its natural value is ``equation(node, values)`` (``values``: the nodes evaluated so
       far), or, in a counterfactual, its factual value when it is in ``keep``;
    4. a node intervened with a callable (a soft or shift intervention) takes
       ``shift(node, func, natural)``.

    Args:
        order: The nodes, parents before children.
        interventions: ``{node: constant or callable}``.
        equation: The node's structural equation, evaluated from the values so far (its parents').
        set_value: Turns a constant intervention into a value (default: the constant itself).
        shift: Applies a callable intervention to the natural value (default: ``func(natural)``).
        factual: The factual values of every node; given, this is a counterfactual.
        recompute: In a counterfactual, the nodes to recompute (the intervened nodes and their
            descendants); the others keep their factual values.
        keep: In a counterfactual, the recomputed nodes whose natural value is their factual one
            (e.g. no parent changed and their noise is not known).
        initial: Values present before the first node (e.g. hidden confounders' latents).

    Returns:
        ``initial`` and every node's value.

    Examples:
        >>> eqs = {"x": lambda v: 1, "y": lambda v: 10 * v["x"]}
        >>> def run(do, **kw):
        ...     return evaluate_structural(["x", "y"], do, equation=lambda n, v: eqs[n](v), **kw)
        >>> run({}), run({"x": 2}), run({"y": lambda y: y + 1})
        ({'x': 1, 'y': 10}, {'x': 2, 'y': 20}, {'x': 1, 'y': 11})
        >>> run({"x": lambda x: x + 1}, factual={"x": 3, "y": 30}, recompute={"x", "y"}, keep={"x"})
        {'x': 4, 'y': 40}
    """
    values: dict[str, V] = dict(initial or {})
    for node in order:
        if factual is not None and node not in recompute:
            values[node] = factual[node]  # not reached by any intervention
            continue
        intervened = node in interventions
        spec = interventions[node] if intervened else None
        if intervened and not callable(spec):
            values[node] = set_value(node, spec)
            continue
        natural = factual[node] if factual is not None and node in keep else equation(node, values)
        values[node] = shift(node, spec, natural) if callable(spec) else natural
    return values
