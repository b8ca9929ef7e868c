"""The ``deepcausal`` command: one subcommand per module in this package.

Each subcommand module defines ``add_parser(subparsers)`` (which registers the parser and sets
``func``) and ``run(args) -> int``; heavy imports happen inside ``run`` so that ``--help`` is fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from deepcausal._version import __version__

# Subcommands, in the order ``--help`` lists them.
COMMANDS: tuple[str, ...] = (
    "demo",
    "identify",
    "discover",
    "effect",
    "fit",
    "sample",
    "counterfactual",
)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="deepcausal",
        description="Causal inference with deep learning: graphs, identification, discovery, "
        "effect estimation and deep structural causal models.",
    )
    parser.add_argument("--version", action="version", version=f"deepcausal {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"deepcausal.cli.{name}").add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``deepcausal`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
