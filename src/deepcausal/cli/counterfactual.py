"""``deepcausal counterfactual``: counterfactual rows from a saved DeepSCM."""

from __future__ import annotations

import argparse
from typing import Any

from deepcausal.cli._common import add_na_argument, add_seed_argument


def add_parser(subparsers: Any) -> None:
    """Register the ``counterfactual`` subcommand."""
    parser = subparsers.add_parser(
        "counterfactual",
        help="what each row would have been under an intervention",
        description="Abduction, action, prediction: counterfactual rows for the factual rows given.",
    )
    parser.add_argument("model", help="directory written by `deepcausal fit`")
    parser.add_argument("--data", required=True, help="CSV file of factual rows")
    add_na_argument(parser)
    parser.add_argument("--do", action="append", required=True, metavar="NODE=VALUE")
    parser.add_argument("--samples", type=int, default=1, help="draws per row (default 1)")
    add_seed_argument(parser)
    parser.add_argument("--out", required=True, help="CSV file to write")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Compute and write the counterfactual rows; returns the exit code."""
    from deepcausal._atomic import atomic_write_text
    from deepcausal.cli._common import check_output_file, parse_assignments, read_table
    from deepcausal.scm import DeepSCM

    check_output_file(args.out, inputs=[args.model, args.data])
    scm = DeepSCM.load(args.model)
    factual = read_table(args.data, args.na)
    rows = scm.counterfactual(
        factual, do=parse_assignments(args.do), n_samples=args.samples, random_state=args.seed
    )
    atomic_write_text(args.out, rows.to_csv())
    print(f"wrote {len(rows)} counterfactual rows to {args.out}")
    rests_on = ", ".join(f"{node}: {how}" for node, how in rows.attrs["abduction"].items())
    print(f"abduction per node: {rests_on}")
    return 0
