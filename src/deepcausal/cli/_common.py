"""Helpers shared by the subcommands: reading tables, checking outputs, parsing ``X=1``."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deepcausal.errors import DataError, OutputError

if TYPE_CHECKING:
    import pandas as pd


def check_output_file(out: str | Path, inputs: Sequence[str | Path]) -> None:
    """Refuse an output file that is a folder, one of ``inputs``, or inside an input folder.

    Called before any work, so that a bad ``--out`` is reported at once and no input is ever
    overwritten.
    """
    target = Path(out)
    if target.is_dir():
        raise OutputError(f"--out {out} is a folder; give a file name, e.g. {target / 'out.csv'}")
    resolved = target.resolve()
    for item in inputs:
        source = Path(item)
        if not source.exists():
            continue
        if source.is_dir():
            if resolved.is_relative_to(source.resolve()):
                raise OutputError(
                    f"--out {out} lies inside the input folder {item}; write it elsewhere"
                )
        elif target.exists() and os.path.samefile(target, source):
            raise OutputError(
                f"--out {out} is the input {item}; choose another file (inputs are never overwritten)"
            )
    parent = resolved.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write --out {out}: {parent} is not writable")


#: Help text of every ``--graph`` option.
GRAPH_HELP = (
    'the graph: text such as "Z -> X; X -> Y; X <-> Y", or a file (.dot, .gml, .json, .csv edge '
    "list, .txt), or the folder `deepcausal discover --out` wrote"
)


#: The seed every subcommand uses unless ``--seed`` says otherwise.
DEFAULT_SEED = 0


def add_seed_argument(parser: Any) -> None:
    """The ``--seed`` option, with the same default in every subcommand."""
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
    )


def add_na_argument(parser: Any) -> None:
    """The ``--na`` option of every subcommand that reads a table."""
    parser.add_argument(
        "--na",
        action="append",
        default=[],
        metavar="TEXT",
        help="a cell text that marks a missing value, e.g. --na '?' (repeatable)",
    )


def read_table(path: str, na_values: Sequence[str] = ()) -> pd.DataFrame:
    """Read a CSV (or TSV by extension) file into a DataFrame, with a clear error when it cannot.

    Cells equal to one of ``na_values`` (besides pandas' defaults: empty, ``NA``, ``NaN``, ...)
    are missing values."""
    import pandas as pd

    file = Path(path)
    if not file.is_file():
        raise DataError(f"no such data file: {file}")
    sep = "\t" if file.suffix.lower() in (".tsv", ".txt") else ","
    try:
        return pd.read_csv(file, sep=sep, na_values=list(na_values) or None)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"cannot read {file} as a table: {exc}") from None


def parse_assignments(items: list[str] | None) -> dict[str, Any]:
    """Parse ``["X=1", "Z=a"]`` (or ``"X=1,Z=a"``) into ``{"X": 1.0, "Z": "a"}``.

    Values that read as numbers become floats (or ints when integral); others stay strings.

    >>> parse_assignments(["X=1", "Z=a,W=0.5"])
    {'X': 1, 'Z': 'a', 'W': 0.5}
    """
    result: dict[str, Any] = {}
    for item in items or []:
        for part in item.split(","):
            part = part.strip()
            if not part:
                continue
            name, sep, raw = part.partition("=")
            if not sep or not name.strip() or not raw.strip():
                raise DataError(
                    f"cannot read intervention {part!r}: write it as NODE=VALUE, e.g. X=1"
                )
            result[name.strip()] = _number(raw.strip())
    return result


def _number(raw: str) -> Any:
    try:
        value = float(raw)
    except ValueError:
        return raw
    return int(value) if value.is_integer() and "." not in raw and "e" not in raw.lower() else value
