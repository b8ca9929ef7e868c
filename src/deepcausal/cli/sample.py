"""``deepcausal sample``: draw observational or interventional samples from a saved DeepSCM."""

from __future__ import annotations

import argparse
from typing import Any

from deepcausal.cli._common import add_report_argument, add_seed_argument


def add_parser(subparsers: Any) -> None:
    """Register the ``sample`` subcommand."""
    parser = subparsers.add_parser(
        "sample",
        help="sample from a saved model, optionally under an intervention",
        description="Draw rows from a saved DeepSCM; --do X=1 samples from P(V | do(X=1)).",
    )
    parser.add_argument("model", help="directory written by `deepcausal fit`")
    parser.add_argument("-n", type=int, default=1000, help="number of rows (default 1000)")
    parser.add_argument(
        "--do",
        action="append",
        metavar="NODE=VALUE",
        help="an intervention: NODE=VALUE, or a shift NODE+=AMOUNT (also -=, *=, /=)",
    )
    add_seed_argument(parser)
    parser.add_argument("--out", required=True, help="CSV file to write ('-': standard output)")
    add_report_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Sample and write the CSV; returns the exit code."""
    from pathlib import Path

    from deepcausal.cli._common import (
        check_output_file,
        info_stream,
        parse_assignments,
        write_output,
    )
    from deepcausal.scm import DeepSCM

    check_output_file(args.out, inputs=[args.model])
    if args.report:
        check_output_file(Path(args.report) / "index.html", inputs=[args.model])
    scm = DeepSCM.load(args.model)
    interventions = parse_assignments(args.do)
    model = scm.do(interventions) if interventions else scm
    rows = model.sample(args.n, random_state=args.seed)
    write_output(args.out, rows.to_csv(index=False), f"wrote {len(rows)} rows to {args.out}")
    if args.report:
        from deepcausal.report import sample_report

        page = sample_report(rows, interventions, args.model, args.report, seed=args.seed)
        print(f"report: {page}", file=info_stream(args.out))
    return 0
