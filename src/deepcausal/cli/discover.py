"""``deepcausal discover``: learn a causal graph (DAG, CPDAG or PAG) from a table."""

from __future__ import annotations

import argparse
from typing import Any

from deepcausal.cli._common import (
    add_parallel_arguments,
    add_report_argument,
    add_seed_argument,
    add_table_arguments,
)
from deepcausal.discovery import available_methods


def add_parser(subparsers: Any) -> None:
    """Register the ``discover`` subcommand."""
    parser = subparsers.add_parser(
        "discover",
        help="learn a causal graph from data (PC, FCI, NOTEARS, DAGMA, ...)",
        description=(
            "Causal discovery from a CSV table. Writes edges.csv (a, b, mark_a, mark_b, weight), "
            "graph.dot and graph.png into --out and prints a summary. Marks are tail, arrow or "
            "circle: PC gives a CPDAG, FCI a PAG, the continuous methods a DAG."
        ),
    )
    parser.add_argument("data", help="CSV file, one column per variable")
    add_table_arguments(parser)
    parser.add_argument(
        "--method",
        default="pc",
        choices=available_methods(),
        help="discovery method: %(choices)s (default: pc)",
    )
    parser.add_argument(
        "--alpha", type=float, default=None, help="significance level of the CI tests (pc, fci)"
    )
    parser.add_argument(
        "--max-cond-size", type=int, default=None, help="largest conditioning set (pc, fci)"
    )
    parser.add_argument(
        "--ci-test", default=None, help="fisherz, gsq, chisq or gcm (pc, fci; default fisherz)"
    )
    parser.add_argument(
        "--standardize",
        action="store_true",
        help="rescale every column to unit variance first (changes the answer of the continuous "
        "methods, which on raw scales can follow the variances; PC and FCI are unaffected)",
    )
    parser.add_argument(
        "--forbid",
        action="append",
        default=[],
        metavar='"A -> B"',
        help="forbidden directed edge(s), comma separated; repeatable",
    )
    parser.add_argument(
        "--require",
        action="append",
        default=[],
        metavar='"A -> B"',
        help="required directed edge(s), comma separated; repeatable",
    )
    parser.add_argument(
        "--tiers",
        default=None,
        metavar='"A,B | C,D"',
        help="ordered tiers separated by |: later tiers cannot cause earlier ones",
    )
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="any other option of the method, e.g. --option lambda1=0.05 or --option refine=true; "
        "repeatable",
    )
    add_seed_argument(parser)
    add_parallel_arguments(parser)
    parser.add_argument("--out", default="graph", help="output directory (default: graph/)")
    add_report_argument(parser)
    parser.add_argument(
        "--stability",
        type=int,
        default=0,
        metavar="N",
        help="rerun on N bootstrap resamples and report how often each edge is found",
    )
    parser.set_defaults(func=run)


#: The files ``discover`` writes into its output folder (nothing else there is touched).
OUTPUT_FILES = ("edges.csv", "graph.dot", "graph.png")


def _edges(items: list[str]) -> list[str]:
    return [part.strip() for item in items for part in item.split(",") if part.strip()]


def _tiers(text: str | None) -> list[list[str]]:
    if not text:
        return []
    return [[n.strip() for n in tier.split(",") if n.strip()] for tier in text.split("|")]


def run(args: argparse.Namespace) -> int:
    """Run the discovery and write its files; returns the exit code."""
    from pathlib import Path

    from deepcausal._atomic import atomic_write_bytes, atomic_write_text
    from deepcausal.cli._common import check_output_file, parse_assignments, read_table_args
    from deepcausal.discovery import Knowledge, discover
    from deepcausal.errors import DataError, OutputError
    from deepcausal.report import graph_png

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise OutputError(
            f"--out {out} is a file; give a folder for edges.csv, graph.dot, graph.png"
        )
    for name in OUTPUT_FILES:
        check_output_file(out / name, inputs=[args.data])
    if args.report:
        check_output_file(Path(args.report) / "index.html", inputs=[args.data])
    if args.stability < 0:
        raise DataError(f"--stability must be 0 or a number of resamples, got {args.stability}")
    data = read_table_args(args.data, args)
    knowledge = Knowledge(
        required=_edges(args.require), forbidden=_edges(args.forbid), tiers=_tiers(args.tiers)
    )
    options = {
        key: {"true": True, "false": False}.get(value.lower(), value)
        if isinstance(value, str)
        else value
        for key, value in parse_assignments(args.option).items()
    }  # --option refine=true: a boolean option
    for key, value in (
        ("alpha", args.alpha),
        ("max_cond_size", args.max_cond_size),
        ("ci_test", args.ci_test),
    ):
        if value is not None:
            options[key] = value
    result = discover(
        data,
        method=args.method,
        knowledge=knowledge,
        random_state=args.seed,
        standardize=args.standardize,
        **options,
    )
    rows = ["a,b,mark_a,mark_b,weight"]
    adjacency = result.adjacency.to_numpy(dtype=float)
    position = {name: k for k, name in enumerate(result.nodes)}
    for edge in result.edges:
        # a bidirected PAG edge has no directed entry in the adjacency: its weight is 1
        i, j = position[edge.a], position[edge.b]
        forward, backward = adjacency[i, j], adjacency[j, i]
        weight = float(forward) if forward else float(backward) if backward else 1.0
        rows.append(
            ",".join([_csv(edge.a), _csv(edge.b), edge.mark_a, edge.mark_b, f"{weight:.6g}"])
        )
    atomic_write_text(out / "edges.csv", "\n".join(rows) + "\n")
    atomic_write_text(out / "graph.dot", result.to_dot())
    atomic_write_bytes(
        out / "graph.png",
        graph_png(result, title=f"{result.method} ({len(result.edges)} edges)"),
    )
    print(result.summary())
    for edge in result.edges:
        print(f"  {edge}")
    print(f"wrote {out / 'edges.csv'}, {out / 'graph.dot'}, {out / 'graph.png'}")
    if args.report:
        from deepcausal.report import discovery_report, edge_stability

        stability = None
        if args.stability > 0:
            stability = edge_stability(
                data,
                args.stability,
                args.seed,
                method=args.method,
                knowledge=knowledge,
                random_state=args.seed,
                standardize=args.standardize,
                **options,
            )
        page = discovery_report(
            result,
            data,
            args.report,
            knowledge=knowledge,
            standardize=args.standardize,
            stability=stability,
            n_resamples=args.stability,
            seed=args.seed,
        )
        print(f"report: {page}")
    return 0


def _csv(text: str) -> str:
    if any(ch in text for ch in ',"\n'):
        return '"' + text.replace('"', '""') + '"'
    return text
