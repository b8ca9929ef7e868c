"""``deepcausal fit``: fit a DeepSCM to a table and save it."""

from __future__ import annotations

import argparse
from typing import Any

from deepcausal.cli._common import (
    GRAPH_HELP,
    add_image_arguments,
    add_parallel_arguments,
    add_report_argument,
    add_seed_argument,
    add_table_arguments,
    add_training_arguments,
)


def add_parser(subparsers: Any) -> None:
    """Register the ``fit`` subcommand."""
    parser = subparsers.add_parser(
        "fit",
        help="fit a deep structural causal model to a CSV file",
        description="Fit one neural mechanism per node of a causal DAG and save the model.",
    )
    parser.add_argument("data", help="CSV file with one column per node")
    add_table_arguments(parser)
    parser.add_argument(
        "--stream",
        action="store_true",
        help="read DATA (a Parquet file or a directory of them) in row groups instead of into "
        "memory: for tables larger than memory",
    )
    add_image_arguments(parser)
    parser.add_argument("--graph", required=True, help=GRAPH_HELP)
    parser.add_argument(
        "--out", required=True, help="new or empty folder to save the model to (see --overwrite)"
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the model saved in --out (only the model's own files are replaced)",
    )
    parser.add_argument(
        "--mechanisms",
        default="auto",
        metavar="FAMILY",
        help="auto (default), a family for every node (flow, additive, location_scale, "
        "diffusion, vae, gan), or families to choose among, joined by '+' (flow+diffusion)",
    )
    parser.add_argument(
        "--mechanism",
        action="append",
        default=[],
        metavar="NODE=FAMILY",
        help="the family of one node, e.g. --mechanism B=vae (repeat for several nodes; "
        "B=flow+diffusion chooses between the two)",
    )
    parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="maximum epochs per node (default: each family's own setting)",
    )
    add_seed_argument(parser)
    add_parallel_arguments(parser)
    add_training_arguments(parser)
    add_report_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Fit and save; returns the exit code."""
    from dataclasses import replace
    from pathlib import Path

    from deepcausal._modelfolder import check_destination
    from deepcausal.cli._common import attach_images, check_output_file, read_table_args
    from deepcausal.nn import torch_threads
    from deepcausal.scm import DEFAULT_TRAINING, DeepSCM

    # every check that needs no training first: the model's settings, the destination, the data
    scm = DeepSCM(
        args.graph,
        mechanisms=mechanism_spec(args.mechanisms, args.mechanism),
        training=None if args.epochs is None else replace(DEFAULT_TRAINING, max_epochs=args.epochs),
        random_state=args.seed,
        progress=not args.no_progress,
    )
    check_destination(args.out, "DeepSCM", overwrite=args.overwrite)
    if args.report:
        check_output_file(Path(args.report) / "index.html", inputs=[args.data, args.out])
    if args.stream:
        _check_streamable(args)
        with torch_threads(args.threads):
            scm.fit(args.data)
            scm.save(args.out, overwrite=args.overwrite)
        rows = scm.training_info_["streamed_rows"]
    else:
        data = attach_images(read_table_args(args.data, args), args)
        with torch_threads(args.threads):
            scm.fit(data)
            scm.save(args.out, overwrite=args.overwrite)
        rows = len(data)
    print(f"fitted {len(scm.graph)} mechanisms on {rows} rows; saved to {args.out}")
    chosen = scm.selection_[scm.selection_["chosen"]].reset_index()
    for row in chosen.to_dict("records"):
        abduction = scm.mechanisms_[row["node"]].abduction
        print(
            f"  {row['node']:<12} {row['family']:<14} held-out {row['metric']} "
            f"{row['score']:.4f}  abduction {abduction:<11} {row['seconds']:.1f}s"
        )
    if args.report:
        from deepcausal.report import fit_report

        print(f"report: {fit_report(scm, data, args.report, seed=args.seed)}")
    return 0


def _check_streamable(args: argparse.Namespace) -> None:
    """``--stream`` reads Parquet only, and the options that need the table in memory are refused."""
    from pathlib import Path

    from deepcausal.errors import DataError

    path = Path(args.data)
    if path.is_file() and path.suffix.lower() not in (".parquet", ".pq"):
        raise DataError(
            f"--stream reads Parquet (a .parquet file or a directory of them), not {args.data!r}; "
            "convert it, or drop --stream to read it into memory"
        )
    blocked = [
        name for name, value in (("--report", args.report), ("--images", args.images)) if value
    ]
    if blocked:
        raise DataError(f"{' and '.join(blocked)} need the table in memory; drop --stream")


def _families(text: str) -> str | list[str]:
    names = [name.strip() for name in text.split("+") if name.strip()]
    return names[0] if len(names) == 1 else names


def mechanism_spec(default: str, per_node: list[str]) -> str | list[str] | dict[str, Any]:
    """The ``mechanisms=`` argument from ``--mechanisms`` and the ``--mechanism NODE=FAMILY`` items.

    >>> mechanism_spec("auto", ["B=vae", "C=flow+diffusion"])
    {'B': 'vae', 'C': ['flow', 'diffusion']}
    >>> mechanism_spec("flow+gan", [])
    ['flow', 'gan']
    """
    from deepcausal.errors import DataError

    if not per_node:
        return _families(default)
    spec: dict[str, Any] = {}
    for item in per_node:
        node, sep, family = item.partition("=")
        if not sep or not node.strip() or not family.strip():
            raise DataError(
                f"cannot read --mechanism {item!r}: write it as NODE=FAMILY, e.g. B=vae"
            )
        spec[node.strip()] = _families(family)
    if default != "auto":
        raise DataError(
            "give either --mechanisms for every node or --mechanism NODE=FAMILY per node, not "
            "both: nodes without --mechanism get 'auto'"
        )
    return spec
