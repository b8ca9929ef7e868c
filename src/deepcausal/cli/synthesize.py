"""``deepcausal synthesize``: a synthetic table with a fairness criterion's biased edges removed."""

from __future__ import annotations

import argparse
from typing import Any

from deepcausal.cli._common import (
    GRAPH_HELP,
    add_report_argument,
    add_seed_argument,
    add_table_arguments,
    add_training_arguments,
)


def add_parser(subparsers: Any) -> None:
    """Register the ``synthesize`` subcommand."""
    parser = subparsers.add_parser(
        "synthesize",
        help="generate a (fair) synthetic table: one conditional GAN per column on a causal graph",
        description=(
            "Fit one conditional generator per column on a causal graph (given, or learned with "
            "the protected attributes in the first tier) and generate rows; with --fairness, the "
            "edges that carry the protected attribute's unfair influence are removed (DECAF)."
        ),
    )
    parser.add_argument("data", help="CSV file of the real table")
    add_table_arguments(parser)
    parser.add_argument("--graph", help=GRAPH_HELP + " (learned when omitted)")
    parser.add_argument(
        "--protected", required=True, help="protected attribute(s), comma-separated"
    )
    parser.add_argument("--target", required=True, help="the column a model will predict")
    parser.add_argument("--fairness", choices=("ftu", "cf", "dp"), help="criterion (default: none)")
    parser.add_argument("-n", type=int, default=None, help="rows to generate (default: as many)")
    parser.add_argument(
        "--first",
        default="",
        help="exogenous demographics that are roots with the protected attributes, e.g. age,race",
    )
    parser.add_argument(
        "--missing", choices=("drop", "level", "error"), default="drop",
        help="rows with a missing value: drop them (default), a level of their own, or refuse",
    )  # fmt: skip
    parser.add_argument("--mechanisms", default="gan", help="generator family (default: gan)")
    parser.add_argument("--epochs", type=int, default=None, help="maximum epochs per column")
    add_seed_argument(parser)
    add_training_arguments(parser, threads=False)
    parser.add_argument(
        "--out",
        required=True,
        help="CSV file to write the synthetic table to ('-': standard output)",
    )
    add_report_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Fit, generate and write; returns the exit code."""
    import warnings
    from dataclasses import replace

    from deepcausal.cli._common import (
        check_output_file,
        info_stream,
        read_table_args,
        write_output,
    )
    from deepcausal.errors import DataWarning
    from deepcausal.synthetic import SYNTHESIS_TRAINING, FairSynthesizer

    check_output_file(args.out, [args.data])
    real = read_table_args(args.data, args)
    synth = FairSynthesizer(
        args.graph,
        protected=[p.strip() for p in args.protected.split(",") if p.strip()],
        target=args.target,
        mechanisms=args.mechanisms,
        training=None
        if args.epochs is None
        else replace(SYNTHESIS_TRAINING, max_epochs=args.epochs),
        first=[c.strip() for c in args.first.split(",") if c.strip()],
        missing=args.missing,
        random_state=args.seed,
        progress=not args.no_progress,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        synth.fit(real)
        table = synth.generate(args.n or len(real), fairness=args.fairness, random_state=args.seed)
    stream = info_stream(args.out)
    for w in caught:
        print(f"note: {w.message}", file=stream)
    write_output(
        args.out, table.to_csv(index=False), f"wrote {len(table)} synthetic rows to {args.out}"
    )
    removed = ", ".join(f"{a} -> {b}" for a, b in table.attrs["removed_edges"]) or "none"
    print(f"graph: {synth.graph_.to_string()}", file=stream)
    print(f"removed edges: {removed}", file=stream)
    if args.report:
        from deepcausal.report import synthesis_report

        report = synthesis_report(synth, real, table, args.report, seed=args.seed)
        print(f"report: {report}", file=stream)
    return 0
