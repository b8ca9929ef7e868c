"""The ``deepcausal`` command: one subcommand per module in this package.

Each subcommand module defines ``add_parser(subparsers)`` (which registers the parser and sets
``func``) and ``run(args) -> int``; heavy imports happen inside ``run`` so that ``--help`` is fast.
Errors are caught once, here, at the boundary: one line on standard error and an exit code — 2 for
bad usage (argparse) and for a query that is not identifiable, 1 for any other failure — with the
traceback only under ``--debug``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
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
    "synthesize",
)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="deepcausal",
        description="Causal inference with deep learning: graphs, identification, discovery, "
        "effect estimation and deep structural causal models.",
    )
    parser.add_argument("--version", action="version", version=f"deepcausal {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show the full traceback when a command fails"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"deepcausal.cli.{name}").add_parser(subparsers)
    return parser


EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_IDENTIFIABLE = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``deepcausal`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return run_command(args)


def run_command(args: argparse.Namespace) -> int:
    """Run a parsed subcommand, turning any error into one message and an exit code."""
    from deepcausal.errors import DeepCausalError, NotIdentifiable

    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except NotIdentifiable as exc:
        if args.debug:
            traceback.print_exc()
        print(f"not identifiable: {exc}", file=sys.stderr)
        return EXIT_NOT_IDENTIFIABLE
    except (DeepCausalError, ValueError, OSError) as exc:
        if args.debug:
            traceback.print_exc()
        print(f"error: {_describe(exc)}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:
        if args.debug:
            traceback.print_exc()
        print(
            f"error: an unexpected {type(exc).__name__}: {exc} (this is a bug in deepcausal; rerun "
            "with --debug for the traceback and report it)",
            file=sys.stderr,
        )
        return EXIT_ERROR
    return code


def _describe(exc: BaseException) -> str:
    """An error as one sentence: OSErrors as ``<file>: <reason>``."""
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    return str(exc)


if __name__ == "__main__":
    sys.exit(main())
