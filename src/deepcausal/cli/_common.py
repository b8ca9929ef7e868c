"""Helpers shared by the subcommands: reading tables, checking outputs, parsing ``X=1``."""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deepcausal.errors import DataError, NotIdentifiable, OutputError

if TYPE_CHECKING:
    import pandas as pd


def check_output_file(out: str | Path, inputs: Sequence[str | Path]) -> None:
    """Refuse an output file that is a folder, one of ``inputs``, or inside an input folder.

    Called before any work, so that a bad ``--out`` is reported at once and no input is ever
    overwritten. ``-`` (standard output) is always accepted.
    """
    if str(out) == "-":
        return  # standard output
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


def symbolic_verdict(graph: Any, treatment: Any, outcome: Any) -> str:
    """What the ID algorithm says of the effect of ``treatment`` on ``outcome`` in ``graph``, as
    the bounds report shows it: ``"identified: <estimand>"`` or ``"not identifiable (<why>)"``."""
    from deepcausal.identify import identify

    try:
        return f"identified: {identify(graph, treatment, outcome).to_text()}"
    except NotIdentifiable as exc:
        return f"not identifiable ({exc})"


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


def add_training_arguments(parser: Any, threads: bool = True) -> None:
    """``--no-progress``, and with ``threads`` the ``--threads`` option, of the subcommands that
    train neural networks."""
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    if threads:
        parser.add_argument(
            "--threads",
            type=int,
            default=1,
            help="torch threads (default 1: fastest for small networks)",
        )


def add_parallel_arguments(parser: Any) -> None:
    """``--jobs`` and ``--backend``: where the command's independent fits run
    (:mod:`deepcausal.parallel`; the results do not depend on it)."""
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="independent fits (nodes, bootstrap refits, resamples) to run at once; -1: all cores",
    )
    parser.add_argument(
        "--backend",
        choices=("loky", "ray"),
        default="loky",
        help="local worker processes (loky, default) or a running Ray cluster (ray)",
    )
    parser.add_argument(
        "--ray-address",
        default=None,
        metavar="HOST:PORT",
        help="the Ray cluster to join (default: the one `ray start` runs on this machine)",
    )


def add_report_argument(parser: Any) -> None:
    """The ``--report DIR`` option of every subcommand that writes an HTML report."""
    parser.add_argument(
        "--report", metavar="DIR", help="write an HTML report (and its plots) to this folder"
    )


def add_table_arguments(parser: Any) -> None:
    """The options of every subcommand that reads a table: ``--na``, ``--sep``, ``--no-header``,
    ``--names``."""
    parser.add_argument(
        "--na",
        action="append",
        default=[],
        metavar="TEXT",
        help="a cell text that marks a missing value, e.g. --na '?' (repeatable)",
    )
    parser.add_argument(
        "--sep",
        default=None,
        metavar="CHAR",
        help="the column separator of a text table (default: ',' for .csv, tab for .tsv/.txt; "
        "'\\t' is a tab)",
    )
    parser.add_argument(
        "--no-header",
        dest="header",
        action="store_false",
        help="the first row holds data, not column names (name them with --names)",
    )
    parser.add_argument(
        "--names",
        default=None,
        metavar="A,B,...",
        help="column names, comma separated: with --no-header they name the columns, else they "
        "replace the header",
    )


def add_image_arguments(parser: Any) -> None:
    """``--images`` and ``--image-name``: an image variable read from a file, one image per row
    of the table (:func:`deepcausal.data.read_images`)."""
    parser.add_argument(
        "--images",
        default=None,
        metavar="PATH",
        help="images, one per row of the table: a .npy or .npz array (n, H, W) or (n, C, H, W), "
        "or a folder of PNGs read in file-name order",
    )
    parser.add_argument(
        "--image-name", default="image", help="the node the images are (default 'image')"
    )


def attach_images(frame: pd.DataFrame, args: Any) -> pd.DataFrame:
    """The table with the ``--images`` as an array column named ``--image-name`` (unchanged
    without ``--images``)."""
    if getattr(args, "images", None) is None:
        return frame
    from deepcausal.data import image_table, read_images

    return image_table(frame, read_images(args.images), args.image_name)


def write_images(
    factual: pd.DataFrame, rows: pd.DataFrame, node: str, shape: tuple[int, ...], folder: Path
) -> Path:
    """Each row's image of ``node`` as ``<node>_<row>.png`` in ``folder``, and a contact sheet
    (factual above counterfactual, the first 16 rows); returns the sheet's path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from PIL import Image

    from deepcausal._atomic import atomic_write_bytes
    from deepcausal.data import stack_columns

    after = stack_columns(rows, node, shape)
    before = stack_columns(factual, node, shape)
    if len(after) > len(before) and len(after) % len(before) == 0:  # several draws per unit
        before = np.repeat(before, len(after) // len(before), axis=0)
    top = 255.0 if max(float(before.max()), float(after.max())) > 1.5 else 1.0  # 0-255 or 0-1

    def png(image: np.ndarray) -> bytes:
        grey = np.clip(image / top * 255.0, 0, 255).astype(np.uint8)
        pixels = grey[0] if grey.shape[0] == 1 else np.moveaxis(grey[:3], 0, -1)
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, format="PNG")
        return buffer.getvalue()

    for label, image in zip(rows.index, after, strict=True):
        name = "_".join(str(x) for x in label) if isinstance(label, tuple) else str(label)
        atomic_write_bytes(folder / f"{node}_{name}.png", png(image))
    k = min(16, len(before))
    fig, axes = plt.subplots(2, k, figsize=(1.1 * k, 2.4), squeeze=False)
    for j in range(k):
        for i, (title, images) in enumerate((("factual", before), ("counterfactual", after))):
            axes[i, j].imshow(np.moveaxis(images[j], 0, -1).squeeze() / top, cmap="gray",
                              vmin=0, vmax=1)  # fmt: skip
            axes[i, j].set_xticks([])
            axes[i, j].set_yticks([])
            if j == 0:
                axes[i, j].set_ylabel(title, fontsize=7)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    sheet = folder / f"{node}_contact_sheet.png"
    atomic_write_bytes(sheet, buffer.getvalue())
    return sheet


def read_table_args(path: str, args: Any) -> pd.DataFrame:
    """:func:`read_table` with the options :func:`add_table_arguments` registered."""
    names = getattr(args, "names", None)
    return read_table(
        path,
        getattr(args, "na", ()),
        sep=getattr(args, "sep", None),
        header=getattr(args, "header", True),
        names=[n.strip() for n in names.split(",")] if names else None,
    )


#: Table formats :func:`read_table` reads, by extension (anything else is read as CSV).
BINARY_TABLES = (".parquet", ".pq", ".feather", ".arrow")


def read_table(
    path: str,
    na_values: Sequence[str] = (),
    *,
    sep: str | None = None,
    header: bool = True,
    names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Read a table into a DataFrame, with a clear error when it cannot.

    Parquet and Feather files are read by extension (with pyarrow); anything else is text:
    comma-separated, or tab-separated for ``.tsv`` / ``.txt``, unless ``sep`` says otherwise.
    Cells equal to one of ``na_values`` (besides pandas' defaults: empty, ``NA``, ``NaN``, ...)
    are missing values. ``header=False`` reads the first row as data; ``names`` names the
    columns (or renames them when there is a header)."""
    import pandas as pd

    file = Path(path)
    if not file.is_file():
        raise DataError(f"no such data file: {file}")
    suffix = file.suffix.lower()
    if suffix in BINARY_TABLES:
        frame = _read_binary(file, suffix)
        for value in na_values:
            frame = frame.replace(value, float("nan"))
        return _rename(frame, names, file)
    if sep is None:
        sep = "\t" if suffix in (".tsv", ".txt") else ","
    sep = {"\\t": "\t", "tab": "\t"}.get(sep, sep)
    if len(sep) != 1:
        raise DataError(f"--sep must be one character (or '\\t'), got {sep!r}")
    try:
        frame = pd.read_csv(
            file,
            sep=sep,
            na_values=list(na_values) or None,
            header=0 if header else None,
        )
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"cannot read {file} as a table: {exc}") from None
    if not header and names is None:
        frame.columns = [f"x{k}" for k in range(frame.shape[1])]
    return _rename(frame, names, file)


def _read_binary(file: Path, suffix: str) -> pd.DataFrame:
    import pandas as pd

    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(file)
        return pd.read_feather(file)
    except ImportError:
        raise DataError(
            f"reading {file} needs pyarrow: pip install pyarrow (or save the table as CSV)"
        ) from None
    except Exception as exc:  # pyarrow raises its own error types for corrupt files
        raise DataError(f"cannot read {file} as a {suffix[1:]} table: {exc}") from None


def _rename(frame: pd.DataFrame, names: Sequence[str] | None, file: Path) -> pd.DataFrame:
    if names is None:
        return frame
    if len(names) != frame.shape[1] or any(not n for n in names):
        raise DataError(
            f"--names gives {len(names)} name(s) for the {frame.shape[1]} column(s) of {file}"
        )
    if len(set(names)) != len(names):
        raise DataError(f"--names repeats a name: {list(names)}")
    frame.columns = list(names)
    return frame


def write_output(out: str, text: str, message: str, stream: Any = None) -> None:
    """Write ``text`` atomically to the file ``out``, or to standard output when ``out`` is ``-``;
    the ``message`` goes to ``stream`` (default: standard error when ``out`` is ``-``, so that the
    output stays clean for a pipe, else standard output)."""
    import sys

    from deepcausal._atomic import atomic_write_text

    if out == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        atomic_write_text(out, text)
    print(message, file=stream or info_stream(out))


def info_stream(out: str) -> Any:
    """Where a command's own lines go: standard error when its result goes to standard output."""
    import sys

    return sys.stderr if out == "-" else sys.stdout


@dataclass(frozen=True)
class Shift:
    """A shift intervention ``do(X := X + 1)`` (or ``-``, ``*``, ``/``): a function of the value
    the node would have taken, written ``X+=1`` on the command line."""

    op: str
    amount: float

    def __call__(self, x: Any) -> Any:
        if self.op == "+":
            return x + self.amount
        if self.op == "-":
            return x - self.amount
        if self.op == "*":
            return x * self.amount
        return x / self.amount

    def __str__(self) -> str:
        return f"{self.op}={self.amount:g}"


def parse_assignments(items: list[str] | None) -> dict[str, Any]:
    """Parse ``["X=1", "Z=a"]`` (or ``"X=1,Z=a"``) into ``{"X": 1.0, "Z": "a"}``.

    Values that read as numbers become floats (or ints when integral); others stay strings.
    ``X+=1``, ``X-=1``, ``X*=2`` and ``X/=2`` are shift interventions (:class:`Shift`).

    >>> parse_assignments(["X=1", "Z=a,W=0.5"])
    {'X': 1, 'Z': 'a', 'W': 0.5}
    >>> str(parse_assignments(["X+=1.5"])["X"])
    '+=1.5'
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
                    f"cannot read intervention {part!r}: write it as NODE=VALUE (X=1) or as a "
                    "shift NODE+=AMOUNT (X+=1; also -=, *=, /=)"
                )
            name = name.strip()
            if name[-1] in "+-*/":
                op, name = name[-1], name[:-1].strip()
                amount = _number(raw.strip())
                if not name or not isinstance(amount, int | float):
                    raise DataError(
                        f"cannot read shift {part!r}: write it as NODE{op}=NUMBER, e.g. X{op}=1"
                    )
                if op == "/" and amount == 0:
                    raise DataError(f"shift {part!r} divides by zero")
                result[name] = Shift(op, float(amount))
            else:
                result[name] = _number(raw.strip())
    return result


def _number(raw: str) -> Any:
    try:
        value = float(raw)
    except ValueError:
        return raw
    return int(value) if value.is_integer() and "." not in raw and "e" not in raw.lower() else value
