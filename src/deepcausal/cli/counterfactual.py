"""``deepcausal counterfactual``: counterfactual rows from a saved DeepSCM."""

from __future__ import annotations

import argparse
from typing import Any

from deepcausal.cli._common import (
    add_image_arguments,
    add_report_argument,
    add_seed_argument,
    add_table_arguments,
)


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
    add_image_arguments(parser)
    parser.add_argument(
        "--images-out",
        default=None,
        metavar="DIR",
        help="with image nodes: the folder for the counterfactual images (one PNG per row and a "
        "contact sheet; default: the --out file's name with '-images')",
    )
    parser.add_argument(
        "--do",
        action="append",
        required=True,
        metavar="NODE=VALUE",
        help="the intervention: NODE=VALUE, or a shift NODE+=AMOUNT (also -=, *=, /=)",
    )
    parser.add_argument("--samples", type=int, default=1, help="draws per row (default 1)")
    parser.add_argument(
        "--average",
        action="store_true",
        help="one row per factual row: the mean of its --samples draws (the most frequent value "
        "of a discrete node), as Deep SCM averages its posterior particles",
    )
    add_seed_argument(parser)
    parser.add_argument("--out", required=True, help="CSV file to write ('-': standard output)")
    add_report_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Compute and write the counterfactual rows; returns the exit code."""
    from pathlib import Path

    from deepcausal.cli._common import (
        attach_images,
        check_output_file,
        info_stream,
        parse_assignments,
        read_table_args,
        write_images,
        write_output,
    )
    from deepcausal.errors import OutputError
    from deepcausal.scm import DeepSCM

    check_output_file(args.out, inputs=[args.model, args.data])
    if args.report:
        check_output_file(Path(args.report) / "index.html", inputs=[args.model, args.data])
    scm = DeepSCM.load(args.model)
    images = {n: v.shape for n, v in scm.schema_.items() if len(v.shape) == 3}
    if images and args.out == "-" and args.images_out is None:
        raise OutputError("the model has image nodes: name a folder for them with --images-out")
    factual = attach_images(read_table_args(args.data, args), args)
    interventions = parse_assignments(args.do)
    rows = scm.counterfactual(
        factual,
        do=interventions,
        n_samples=args.samples,
        random_state=args.seed,
        average=args.average,
    )
    if images:  # images go to PNG files, the other columns to the table
        from deepcausal.data import flatten_arrays

        folder = Path(args.images_out or Path(args.out).with_suffix("").as_posix() + "-images")
        flat = flatten_arrays(factual, images)[0]
        for node, shape in images.items():
            sheet = write_images(flat, rows, node, shape, folder)
            print(f"wrote {len(rows)} images of {node!r} to {folder} (contact sheet {sheet.name})",
                  file=info_stream(args.out))  # fmt: skip
        flat_columns = [c for c in rows.columns if str(c).split("[")[0] in images]
        rows = rows.drop(columns=flat_columns)
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
