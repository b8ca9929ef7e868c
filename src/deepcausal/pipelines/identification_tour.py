"""A walk-through of graphs and identification: the first part of ``deepcausal demo``."""

from __future__ import annotations

from collections.abc import Callable

from deepcausal.errors import NotIdentifiable
from deepcausal.graph import CausalGraph
from deepcausal.identify import identify

#: The graph of the tour: a front-door structure with an extra observed confounder of M and Y.
TOUR_GRAPH = "Z -> X; X -> M; M -> Y; Z -> Y; X <-> Y"


def identification_tour(echo: Callable[[str], None] = print) -> None:
    """Print a graph, its c-components, an identified estimand (text and LaTeX) and a refused query."""
    graph = CausalGraph(TOUR_GRAPH)
    echo("== Rung 2 without experiments: identification by the do-calculus ==")
    echo(f"graph: {graph.to_string()}   (X <-> Y: a latent common cause of X and Y)")
    echo(f"topological order: {', '.join(graph.topological_order())}")
    districts = ["{" + ", ".join(sorted(c)) + "}" for c in graph.c_components()]
    echo(f"c-components: {' '.join(districts)}")
    estimand = identify(graph, "X", "Y")
    echo("P(Y | do(X)) is identifiable:")
    echo(f"  {estimand}")
    echo(f"  LaTeX: {estimand.to_latex()}")
    bow = CausalGraph("Z -> X; X -> Y; X <-> Y")
    echo(f"graph: {bow.to_string()}")
    try:
        identify(bow, "X", "Y")
    except NotIdentifiable as refusal:
        echo("P(Y | do(X)) is refused:")
        for line in str(refusal).splitlines():
            echo(f"  {line}")
    else:  # pragma: no cover - the bow graph is the textbook non-identifiable case
        raise AssertionError("the bow graph must not be identifiable")
