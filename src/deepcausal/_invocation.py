"""The command line that is running, for the provenance of reports and result files."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence

__all__ = ["command_line", "set_arguments"]

_arguments: list[str] | None = None


def set_arguments(argv: Sequence[str]) -> None:
    """Record the arguments of the ``deepcausal`` command now running."""
    global _arguments
    _arguments = list(argv)


def command_line() -> str:
    """``deepcausal`` and its arguments, quoted as a shell would need them (the interpreter's own
    arguments when no command recorded any)."""
    arguments = _arguments if _arguments is not None else sys.argv[1:]
    return "deepcausal " + " ".join(shlex.quote(a) for a in arguments)
