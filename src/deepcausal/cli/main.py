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
    "bounds",
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
    for sub in subparsers.choices.values():
        loudness = sub.add_mutually_exclusive_group()
        loudness.add_argument(
            "-q", "--quiet", action="store_true", help="results and errors only: no bars, no logs"
        )
        loudness.add_argument(
            "-v", "--verbose", action="store_true", help="also log every inner fit and iteration"
        )
    return parser


EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_IDENTIFIABLE = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``deepcausal`` console script; returns the exit code."""
    from deepcausal._invocation import set_arguments

    parser = build_parser()
    args = parser.parse_args(argv)
    set_arguments(sys.argv[1:] if argv is None else argv)
    if args.command is None:
        parser.print_help()
        return 0
    return run_command(args)


def run_command(args: argparse.Namespace) -> int:
    """Run a parsed subcommand, turning any error into one message and an exit code.

    Progress follows one policy (:mod:`deepcausal._progress`): bars only on a terminal, one log
    line per fit on standard error (none under ``--quiet``, inner fits too under ``--verbose``),
    and warnings as one ``warning:`` line each."""
    import logging
    import warnings
    from contextlib import ExitStack

    from deepcausal._progress import silenced

    quiet, verbose = getattr(args, "quiet", False), getattr(args, "verbose", False)
    log = logging.getLogger("deepcausal")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    previous_level = log.level
    log.addHandler(handler)
    log.setLevel(logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO)
    try:
        with ExitStack() as stack:
            stack.enter_context(warnings.catch_warnings())
            warnings.showwarning = _show_warning
            if quiet:
                stack.enter_context(silenced())
            if getattr(args, "jobs", 1) != 1:
                from deepcausal.parallel import parallel

                stack.enter_context(parallel(args.jobs, args.backend, args.ray_address))
            return _run(args)
    finally:
        log.removeHandler(handler)
        log.setLevel(previous_level)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: object = None,
    line: str | None = None,
) -> None:
    print(f"warning: {message}", file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
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
