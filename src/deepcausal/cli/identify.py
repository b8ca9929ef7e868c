"""``deepcausal identify``: print the estimand of a causal query, or why it is not identifiable.

Example::

    deepcausal identify --graph "Z -> X; X -> Y; Z -> Y" --treatment X --outcome Y
    Σ_{Z} P(Y | X, Z) P(Z)
"""

from __future__ import annotations

import argparse
from typing import Any

from deepcausal.cli._common import GRAPH_HELP

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    """Register the ``identify`` subcommand on an ``argparse`` subparsers object."""
    parser = subparsers.add_parser(
        "identify",
        help="identify P(outcome | do(treatment)[, given]) from a causal graph (ID / IDC)",
        description=(
            "Run the complete ID / IDC algorithm (Shpitser & Pearl 2006) on a causal graph and "
            "print the estimand, or the hedge that makes the query not identifiable (exit code 2)."
        ),
    )
    parser.add_argument("--graph", required=True, help=GRAPH_HELP)
    names = "node name(s); repeat the option or separate names with commas"
    parser.add_argument("--treatment", action="append", required=True, help=f"intervened {names}")
    parser.add_argument("--outcome", action="append", required=True, help=f"outcome {names}")
    parser.add_argument("--given", action="append", default=None, help=f"conditioning {names}")
    parser.add_argument("--latex", action="store_true", help="print the estimand as LaTeX")
    parser.set_defaults(func=run)


def _split(values: list[str] | None) -> list[str]:
    if not values:
        return []
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def run(args: argparse.Namespace) -> int:
    """Run ``deepcausal identify``; returns 0 (a bad graph and a query that is not identifiable
    raise, and :func:`deepcausal.cli.main.run_command` reports them with exit codes 1 and 2)."""
    from deepcausal.graph import as_graph
    from deepcausal.identify import identify

    graph = as_graph(args.graph)
    estimand = identify(
        graph,
        _split(args.treatment),
        _split(args.outcome),
        _split(getattr(args, "given", None)) or None,
    )
    print(estimand.to_latex() if args.latex else estimand.to_text())
    return 0
