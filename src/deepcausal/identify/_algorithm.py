"""The ID and IDC algorithms: identification of P(y | do(x)) and P(y | do(x), z) in ADMGs.

ID is Shpitser & Pearl (2006), "Identification of joint interventional distributions in recursive
semi-Markovian causal models" (AAAI), built on the c-component factorisation of Tian & Pearl
(2002), "A general identification condition for causal effects" (AAAI). IDC is Shpitser & Pearl (2006),
"Identification of conditional interventional distributions" (UAI). Both are complete: when
they fail, the query is not identifiable, and the failure exhibits a hedge (two C-forests) that proves
it.
"""

from __future__ import annotations

from collections.abc import Iterable

from deepcausal.errors import GraphError, NotIdentifiable
from deepcausal.graph import CausalGraph
from deepcausal.identify._estimand import Estimand, format_query
from deepcausal.identify._expression import (
    Expression,
    Fraction,
    Probability,
    Product,
    Sum,
)
from deepcausal.identify._simplify import simplify

__all__ = ["identify"]

Names = str | Iterable[str]


class _Hedge(Exception):  # internal control flow, caught in identify()
    """Line 5 of ID failed: ``forest`` (the current graph) and ``district`` form a hedge."""

    def __init__(self, forest: frozenset[str], district: frozenset[str]) -> None:
        super().__init__()
        self.forest = forest
        self.district = district


class _ID:
    """One run of ID on a fixed original graph (used for ordering and d-separation pruning)."""

    def __init__(self, graph: CausalGraph, first: Iterable[str] = ()) -> None:
        self.graph = graph
        # Printing order: the treatment first (as in P(Y | X, Z)), then topological order.
        lead = list(first)
        self.topo = graph.topological_order()
        self.order = (*lead, *(v for v in self.topo if v not in lead))

    def simplify(self, expr: Expression) -> Expression:
        return simplify(expr, self.order, self.topo)

    def marginal(self, p: Expression, domain: frozenset[str], keep: frozenset[str]) -> Expression:
        """``Σ_{domain \\ keep} P``."""
        return self.simplify(Sum(sorted(domain - keep), p)) if domain - keep else p

    def conditional(
        self, p: Expression, domain: frozenset[str], target: str, cond: frozenset[str]
    ) -> Expression:
        """``P(target | cond)`` of the distribution ``p`` over ``domain``.

        For the observational joint this is a plain term; for a product of factors (after line 7) it
        is the ratio of two marginals, ``Σ_{rest} P / Σ_{rest, target} P``, which simplification
        usually collapses to one of the factors.
        """
        if isinstance(p, Probability) and set(p.variables) == domain:
            return _prune(Probability([target], [*cond, *p.given]), self.graph)
        num = self.marginal(p, domain, cond | {target})
        den = self.marginal(p, domain, cond)
        return self.simplify(Fraction(num, den))

    def chain(self, p: Expression, graph: CausalGraph, members: frozenset[str]) -> list[Expression]:
        """``Π_{V_i ∈ members} P(v_i | v_π^{(i-1)})`` over a topological order π of ``graph``."""
        domain = frozenset(graph.nodes)
        order = graph.topological_order()
        factors = []
        for i, v in enumerate(order):
            if v in members:
                factors.append(self.conditional(p, domain, v, frozenset(order[:i])))
        return factors

    def run(
        self, y: frozenset[str], x: frozenset[str], p: Expression, graph: CausalGraph
    ) -> Expression:
        v = frozenset(graph.nodes)
        # line 1: no intervention left
        if not x:
            return self.marginal(p, v, y)
        # line 2: drop everything that is not an ancestor of Y
        an_y = graph.ancestors(y, inclusive=True)
        if an_y != v:
            return self.run(y, x & an_y, self.marginal(p, v, an_y), graph.subgraph(an_y))
        # line 3: also intervene on nodes that cannot affect Y once X is fixed
        w = (v - x) - graph.do(x).ancestors(y, inclusive=True)
        if w:
            return self.run(y, x | w, p, graph)
        # line 4: factorise over the districts of G \ X
        districts = graph.subgraph(v - x).c_components()
        if len(districts) > 1:
            factors = [self.run(s, v - s, p, graph) for s in districts]
            return self.marginal(self.simplify(Product(factors)), v - x, y)
        (s,) = districts
        components = graph.c_components()
        # line 5: G is a single district: hedge
        if len(components) == 1:
            raise _Hedge(v, s)
        # line 6: S is a district of G: its c-factor is a product of conditionals
        if s in components:
            return self.marginal(self.simplify(Product(self.chain(p, graph, s))), s, y)
        # line 7: S sits inside a larger district S' of G: recurse on S' with its c-factor
        s_prime = next(c for c in components if s < c)
        q = self.simplify(Product(self.chain(p, graph, s_prime)))
        return self.run(y, x & s_prime, q, graph.subgraph(s_prime))


def _prune(term: Probability, graph: CausalGraph) -> Probability:
    """Drop conditioning variables that are m-separated from the term's variables by the others.

    A term is a conditional of the observational distribution, which is Markov to ``graph``, so
    ``P(A | C) = P(A | C \\ {c})`` whenever A and c are m-separated given C \\ {c}. This removes
    variables that ID's line 3 adds but the answer does not depend on (Tikka & Karvanen 2017).
    Terms are pruned where ID creates them, before they are combined: the fractions and sums built
    from them then stay exact identities of the empirical distribution too, so plug-in estimates
    sum to one.
    """
    given = list(term.given)
    for c in reversed(term.given):
        rest = [g for g in given if g != c]
        if graph.d_separated(term.variables, [c], rest):
            given = rest
    return Probability(term.variables, given)


def _names(graph: CausalGraph, names: Names | None, role: str) -> tuple[str, ...]:
    if names is None:
        return ()
    if isinstance(names, str):
        names = (
            [s.strip() for s in names.split(",")]
            if "," in names and names not in graph
            else [names]
        )
    listed = graph.check_nodes(list(names), role)
    dupes = sorted({n for n in listed if listed.count(n) > 1})
    if dupes:
        raise GraphError(f"{role} lists {dupes} more than once")
    return listed


def _hedge_message(query: str, hedge: _Hedge, graph: CausalGraph) -> str:
    def fmt(nodes: Iterable[str]) -> str:
        chosen = set(nodes)
        return "{" + ", ".join(n for n in graph.topological_order() if n in chosen) + "}"

    sub = graph.subgraph(hedge.district)
    roots = [n for n in hedge.district if not sub.children(n)]
    in_forest = hedge.forest - hedge.district  # the intervened nodes of F
    return (
        f"{query} is not identifiable: hedge formed by the C-forests F = {fmt(hedge.forest)} and "
        f"F' = {fmt(hedge.district)} (common root set {fmt(roots)}). F is a single district (its "
        f"nodes are linked by bidirected paths, i.e. latent confounders) that contains the "
        f"intervened node(s) {fmt(in_forest)}; F' is F without them and is still a single "
        f"district with the same roots. Observational data cannot tell the effect of "
        f"{fmt(in_forest)} on the district {fmt(hedge.district)} apart from the latent "
        f"confounding they share (the hedge criterion of Shpitser & Pearl 2006)."
    )


def identify(
    graph: CausalGraph,
    treatment: Names,
    outcome: Names,
    given: Names | None = None,
) -> Estimand:
    """Identify ``P(outcome | do(treatment))`` or ``P(outcome | do(treatment), given)``.

    Runs the complete ID algorithm (Shpitser & Pearl 2006, AAAI; with Tian & Pearl 2002's c-component
    factorisation) and, with ``given``, IDC (Shpitser & Pearl 2006, UAI): a conditioning variable Z
    that is m-separated from the outcome given X and the other conditioning variables, once the
    edges into X and out of Z are cut, becomes an intervention (rule 2 of the do-calculus); the rest
    are handled as ``P(y | do(x), z) = P(y, z | do(x)) / Σ_y P(y, z | do(x))``.

    Terms are simplified with the identities of :func:`simplify`, and conditioning variables that
    the graph makes irrelevant (m-separation) are dropped. Variables that ID's line 3 adds to the
    intervention and that survive this pruning are reported in :attr:`Estimand.auxiliary`: the
    formula holds for any of their values (e.g. ``R`` in the napkin graph).

    Args:
        graph: the causal graph (a DAG, or an ADMG whose bidirected edges are latent confounders).
        treatment: the intervened node(s): a name, a list of names or a comma-separated string.
        outcome: the outcome node(s).
        given: optional conditioning node(s) observed after the intervention.

    Returns:
        The estimand, an expression over observational probabilities.

    Raises:
        GraphError: an unknown node, an empty treatment or outcome, or overlapping roles.
        NotIdentifiable: the query is not identifiable; the message names the hedge (the two
            C-forests F and F') that proves it.

    Examples:
        >>> g = CausalGraph("Z -> X; X -> Y; Z -> Y")
        >>> print(identify(g, "X", "Y"))
        Σ_{Z} P(Y | X, Z) P(Z)
        >>> print(identify(CausalGraph("X -> M; M -> Y; X <-> Y"), "X", "Y"))
        Σ_{M} P(M | X) Σ_{X'} P(Y | X', M) P(X')
    """
    if not isinstance(graph, CausalGraph):
        raise GraphError(f"identify needs a CausalGraph, got {type(graph).__name__}")
    x_names = _names(graph, treatment, "treatment")
    y_names = _names(graph, outcome, "outcome")
    z_names = _names(graph, given, "conditioning variable")
    if not x_names:
        raise GraphError("treatment must name at least one node")
    if not y_names:
        raise GraphError("outcome must name at least one node")
    x, y, z = frozenset(x_names), frozenset(y_names), frozenset(z_names)
    for (a, sa), (b, sb) in (
        (("treatment", x), ("outcome", y)),
        (("treatment", x), ("conditioning set", z)),
        (("outcome", y), ("conditioning set", z)),
    ):
        if sa & sb:
            raise GraphError(f"{a} and {b} overlap: {sorted(sa & sb)}; they must be disjoint")
    query = format_query(y_names, x_names, z_names)

    algo = _ID(graph, x_names)
    # IDC line 1: move conditioning variables that rule 2 allows into the intervention.
    x_eff, z_eff = set(x), list(z_names)
    moved = True
    while moved:
        moved = False
        for zi in z_eff:
            rest = [c for c in z_eff if c != zi]
            mutilated = graph.do(sorted(x_eff)).cut_outgoing([zi])
            if mutilated.d_separated(sorted(y), [zi], sorted(x_eff | set(rest))):
                x_eff.add(zi)
                z_eff = rest
                moved = True
                break
    joint = Probability(algo.topo)
    try:
        expr = algo.run(y | set(z_eff), frozenset(x_eff), joint, graph)
    except _Hedge as hedge:
        message = _hedge_message(query, hedge, graph)
        if z_eff:
            rank = algo.order.index
            reduced = format_query(sorted(y | set(z_eff), key=rank), sorted(x_eff, key=rank))
            message += f" IDC reduced the query to {reduced}, which this hedge rules out."
        raise NotIdentifiable(message) from None
    if z_eff:
        expr = algo.simplify(Fraction(expr, Sum(sorted(y), expr)))
    return Estimand(expr, treatment=x_names, outcome=y_names, given=z_names, order=algo.topo)
