"""One policy for progress output, shared by every progress bar in the library.

- A bar is drawn only where it was asked for and standard error is a terminal (tqdm's
  ``disable=None``); piped or logged output gets no redraws.
- Every fit and discovery run logs one summary line at INFO under the ``deepcausal`` logger (what,
  epochs or iterations, final loss, why it stopped, time); the command line shows those lines.
- :func:`silenced` turns every bar off (the command line's ``--quiet``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["silenced", "tqdm_disable"]

_silenced = 0


def tqdm_disable(enabled: bool) -> bool | None:
    """The ``disable=`` argument of a tqdm bar: ``True`` when bars are off (not asked for, or
    silenced); in a notebook ``False`` (its output is no terminal, yet it draws widgets); else
    ``None``, which tqdm reads as "off unless standard error is a terminal"."""
    if not enabled or _silenced:
        return True
    return False if "ipykernel" in sys.modules else None


@contextmanager
def silenced() -> Iterator[None]:
    """Within this block no progress bar is drawn."""
    global _silenced
    _silenced += 1
    try:
        yield
    finally:
        _silenced -= 1
