"""Drawing causal graphs with edge marks: arrowheads, circles (PAGs) and tails.

Works for any list of :class:`~deepcausal.discovery.Edge` (DAG, CPDAG or PAG), a
:class:`~deepcausal.discovery.DiscoveryResult` and a :class:`~deepcausal.graph.CausalGraph` (whose
bidirected edges are drawn dashed with two arrowheads). Uses matplotlib's object API only, so it never
touches pyplot's global state or the backend.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from deepcausal.discovery import Edge

__all__ = ["graph_edges", "graph_png", "plot_graph"]

_NODE_RADIUS = 0.13
_CIRCLE_RADIUS = 0.035


def graph_edges(graph: Any, nodes: Sequence[str] | None = None) -> tuple[list[str], list[Edge]]:
    """Node names and marked edges of a CausalGraph, DiscoveryResult or list of Edge.

    Returns:
        ``(nodes, edges)``; ``nodes`` keeps the graph's order (or the order of first mention).
    """
    from deepcausal.discovery import DiscoveryResult, Edge
    from deepcausal.graph import CausalGraph

    if isinstance(graph, CausalGraph):
        edges = [Edge(a, b, "tail", "arrow") for a, b in graph.directed_edges]
        edges += [Edge(a, b, "arrow", "arrow") for a, b in graph.bidirected_edges]
        names = list(graph.nodes)
    elif isinstance(graph, DiscoveryResult):
        edges, names = list(graph.edges), list(graph.nodes)
    else:
        edges = list(graph)
        for edge in edges:
            if not isinstance(edge, Edge):
                raise TypeError(f"expected a CausalGraph, a DiscoveryResult or Edges, got {edge!r}")
        names = list(dict.fromkeys(n for e in edges for n in e.nodes))
    if nodes is not None:
        missing = sorted({n for e in edges for n in e.nodes} - set(nodes))
        if missing:
            raise ValueError(f"edges name node(s) {missing} that are not in nodes")
        names = list(nodes)
    return names, edges


def _layout(names: list[str]) -> dict[str, tuple[float, float]]:
    """Nodes evenly on a circle, the first at the top, clockwise."""
    n = len(names)
    if n == 1:
        return {names[0]: (0.0, 0.0)}
    return {
        name: (math.sin(2 * math.pi * k / n), math.cos(2 * math.pi * k / n))
        for k, name in enumerate(names)
    }


def plot_graph(
    graph: Any,
    *,
    nodes: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Draw a graph with its edge marks: ``-`` tail, ``>`` arrowhead, ``o`` circle.

    Args:
        graph: A CausalGraph, a DiscoveryResult or a list of Edge.
        nodes: Node order (and nodes without edges) to draw; default: the graph's.
        ax: Axes to draw on; a new figure is made when omitted.
        title: Optional title.

    Returns:
        The figure.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle, FancyArrowPatch

    names, edges = graph_edges(graph, nodes)
    if ax is None:
        size = max(4.0, 1.1 * math.sqrt(max(len(names), 1)) * 1.6)
        fig = Figure(figsize=(size, size))
        ax = fig.subplots()
    else:
        fig = ax.figure  # type: ignore[assignment]
    pos = _layout(names)
    dashed = {(e.a, e.b) for e in edges if e.is_bidirected} if _is_graph(graph) else set()
    for edge in edges:
        (xa, ya), (xb, yb) = pos[edge.a], pos[edge.b]
        length = math.hypot(xb - xa, yb - ya) or 1.0
        ux, uy = (xb - xa) / length, (yb - ya) / length
        start = [xa + _NODE_RADIUS * ux, ya + _NODE_RADIUS * uy]
        end = [xb - _NODE_RADIUS * ux, yb - _NODE_RADIUS * uy]
        for mark, point, sign in ((edge.mark_a, start, 1.0), (edge.mark_b, end, -1.0)):
            if mark == "circle":
                cx, cy = (
                    point[0] + sign * _CIRCLE_RADIUS * ux,
                    point[1] + sign * _CIRCLE_RADIUS * uy,
                )
                ax.add_patch(
                    Circle(
                        (cx, cy),
                        _CIRCLE_RADIUS,
                        facecolor="white",
                        edgecolor="black",
                        lw=1.0,
                        zorder=3,
                    )
                )
                point[0] += sign * 2 * _CIRCLE_RADIUS * ux
                point[1] += sign * 2 * _CIRCLE_RADIUS * uy
        style = (
            ("<|" if edge.mark_a == "arrow" else "")
            + "-"
            + ("|>" if edge.mark_b == "arrow" else "")
        )
        ax.add_patch(
            FancyArrowPatch(
                (start[0], start[1]),
                (end[0], end[1]),
                arrowstyle=style,
                mutation_scale=14,
                lw=1.2,
                color="black",
                shrinkA=0,
                shrinkB=0,
                zorder=2,
                linestyle="--" if (edge.a, edge.b) in dashed else "-",
            )
        )
    for name, (x, y) in pos.items():
        ax.add_patch(
            Circle((x, y), _NODE_RADIUS, facecolor="#dde8f5", edgecolor="#2b4a6f", zorder=4)
        )
        ax.text(x, y, name, ha="center", va="center", fontsize=9, zorder=5)
    ax.set_xlim(-1.3, 1.3)
    ax.set_ylim(-1.3, 1.3)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return fig


def _is_graph(graph: Any) -> bool:
    from deepcausal.graph import CausalGraph

    return isinstance(graph, CausalGraph)


def graph_png(graph: Any, *, nodes: Sequence[str] | None = None, title: str | None = None) -> bytes:
    """The drawing of :func:`plot_graph` as PNG bytes."""
    fig = plot_graph(graph, nodes=nodes, title=title)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
    return buffer.getvalue()
