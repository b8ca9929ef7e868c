"""``deepcausal counterfactual``: counterfactual rows from a saved DeepSCM."""

from __future__ import annotations

import argparse
from typing import Any

from deepcausal.cli._common import add_report_argument, add_seed_argument, add_table_arguments


def add_parser(subparsers: Any) -> None:
    """Register the ``counterfactual`` subcommand."""
    parser = subparsers.add_parser(
        "counterfactual",
        help="what each row would have been under an intervention",
        description="Abduction, action, prediction: counterfactual rows for the factual rows given.",
    )
    parser.add_argument("model", help="directory written by `deepcausal fit`")
    parser.add_argument("--data", required=True, help="CSV file of factual rows")
    add_table_arguments(parser)
    parser.add_argument(
        "--do",
        action="append",
        required=True,
        metavar="NODE=VALUE",
        help="the intervention: NODE=VALUE, or a shift NODE+=AMOUNT (also -=, *=, /=)",
    )
    parser.add_argument("--samples", type=int, default=1, help="draws per row (default 1)")
    add_seed_argument(parser)
    parser.add_argument("--out", required=True, help="CSV file to write ('-': standard output)")
    add_report_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Compute and write the counterfactual rows; returns the exit code."""
    from pathlib import Path

    from deepcausal.cli._common import (
        check_output_file,
        info_stream,
        parse_assignments,
        read_table_args,
        write_output,
    )
    from deepcausal.scm import DeepSCM

    check_output_file(args.out, inputs=[args.model, args.data])
    if args.report:
        check_output_file(Path(args.report) / "index.html", inputs=[args.model, args.data])
    scm = DeepSCM.load(args.model)
    factual = read_table_args(args.data, args)
    interventions = parse_assignments(args.do)
    rows = scm.counterfactual(
        factual, do=interventions, n_samples=args.samples, random_state=args.seed
    )
    write_output(args.out, rows.to_csv(), f"wrote {len(rows)} counterfactual rows to {args.out}")
    rests_on = ", ".join(f"{node}: {how}" for node, how in rows.attrs["abduction"].items())
    print(f"abduction per node: {rests_on}", file=info_stream(args.out))
    if args.report:
        from deepcausal.report import counterfactual_report

        page = counterfactual_report(
            factual, rows, interventions, rows.attrs["abduction"], args.report, seed=args.seed
        )
        print(f"report: {page}", file=info_stream(args.out))
    return 0
