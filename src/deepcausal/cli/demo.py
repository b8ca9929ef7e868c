"""``deepcausal demo``: the main job on an embedded default."""

from __future__ import annotations

import argparse
from typing import Any

from deepcausal.cli._common import add_seed_argument, add_training_arguments


def add_parser(subparsers: Any) -> None:
    """Register the ``demo`` subcommand."""
    parser = subparsers.add_parser(
        "demo",
        help="walk through the three rungs of the ladder on embedded simulated data",
        description="Identify a query by the do-calculus and refuse a non-identifiable one; then "
        "learn the graph of simulated data, fit a deep SCM, answer one query per rung, compare each "
        "with the simulator's truth and write an HTML report.",
    )
    parser.add_argument(
        "--out",
        default=None,
        help="report directory (default deepcausal-report, or "
        "deepcausal-image-report with --images)",
    )
    parser.add_argument(
        "--images",
        action="store_true",
        help="the image demo instead: fit the Morpho-MNIST Deep SCM and report its counterfactual "
        "images and their soundness metrics (needs the Morpho-MNIST folder, see --data)",
    )
    parser.add_argument(
        "--data",
        default=None,
        help="with --images: the Morpho-MNIST folder (default $DEEPCAUSAL_DATA/morphomnist, else "
        "../shared/data/morphomnist)",
    )
    parser.add_argument("--scm", default=None, help="simulator name (see deepcausal.datasets)")
    parser.add_argument(
        "-n", type=int, default=None, help="training rows (default 4000; 8000 with --images)"
    )
    parser.add_argument(
        "--epochs", type=int, default=None, help="maximum epochs per node (150; 100 with --images)"
    )
    add_seed_argument(parser)
    parser.add_argument(
        "--discovery",
        default=None,
        help="method that learns the graph before fitting (default notears_mlp; 'none' to skip)",
    )
    add_training_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo; returns the exit code."""
    from deepcausal.nn import torch_threads

    if args.images:
        return _image_demo(args)
    from deepcausal.pipelines.identification_tour import identification_tour
    from deepcausal.pipelines.ladder_demo import DEFAULT_DISCOVERY, DEFAULT_SCM, run_ladder_demo

    identification_tour()
    print()
    with torch_threads(args.threads):
        run_ladder_demo(
            scm_name=args.scm or DEFAULT_SCM,
            n_train=args.n or 4000,
            out=args.out or "deepcausal-report",
            random_state=args.seed,
            max_epochs=args.epochs or 150,
            progress=not args.no_progress,
            discovery=None if args.discovery == "none" else args.discovery or DEFAULT_DISCOVERY,
        )
    return 0


def _image_demo(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from deepcausal.errors import DataError
    from deepcausal.nn import torch_threads
    from deepcausal.pipelines.image_demo import run_image_demo

    if args.data is not None:
        folder = Path(args.data)
    elif os.environ.get("DEEPCAUSAL_DATA"):
        folder = Path(os.environ["DEEPCAUSAL_DATA"]) / "morphomnist"
    else:
        folder = Path("..") / "shared" / "data" / "morphomnist"
    if not folder.is_dir():
        raise DataError(
            f"the image demo needs the Morpho-MNIST folder, and {folder} is not one; pass "
            "--data FOLDER (its t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz and "
            "t10k-morpho.csv)"
        )
    with torch_threads(max(args.threads, 2)):
        run_image_demo(
            folder,
            args.out or "deepcausal-image-report",
            n_train=args.n or 8000,
            epochs=args.epochs or 100,
            random_state=args.seed if args.seed is not None else 0,
            progress=not args.no_progress,
        )
    return 0
