"""``deepcausal sample``: draw observational or interventional samples from a saved DeepSCM."""

from __future__ import annotations

import argparse
from typing import Any

from deepcausal.cli._common import add_seed_argument


def add_parser(subparsers: Any) -> None:
    """Register the ``sample`` subcommand."""
    parser = subparsers.add_parser(
        "sample",
        help="sample from a saved model, optionally under an intervention",
        description="Draw rows from a saved DeepSCM; --do X=1 samples from P(V | do(X=1)).",
    )
    parser.add_argument("model", help="directory written by `deepcausal fit`")
    parser.add_argument("-n", type=int, default=1000, help="number of rows (default 1000)")
    parser.add_argument("--do", action="append", metavar="NODE=VALUE", help="an intervention")
    add_seed_argument(parser)
    parser.add_argument("--out", required=True, help="CSV file to write")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Sample and write the CSV; returns the exit code."""
    from deepcausal._atomic import atomic_write_text
    from deepcausal.cli._common import check_output_file, parse_assignments
    from deepcausal.scm import DeepSCM

    check_output_file(args.out, inputs=[args.model])
    scm = DeepSCM.load(args.model)
    interventions = parse_assignments(args.do)
    model = scm.do(interventions) if interventions else scm
    rows = model.sample(args.n, random_state=args.seed)
    atomic_write_text(args.out, rows.to_csv(index=False))
    print(f"wrote {len(rows)} rows to {args.out}")
    return 0
