"""Array-valued variables (images, vectors) in a table, and reading images from files.

A table holds an image variable in one of two forms, and every reader turns the first into the
second, the form :class:`~deepcausal.data.TabularEncoder` reads:

* an *array column*: one cell per row, each an array of the same shape, e.g. ``(1, 28, 28)``;
* *flat columns* ``name[0] ... name[dim-1]``: the C-order entries of each row's array (see
  :attr:`Variable.columns`).

:func:`read_images` reads a ``.npy`` / ``.npz`` array or a folder of PNGs; :func:`image_table`
joins images to a table of the other variables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from deepcausal.errors import DataError

__all__ = [
    "array_columns",
    "check_images",
    "flatten_arrays",
    "image_table",
    "read_images",
    "stack_columns",
]


def array_columns(frame: pd.DataFrame) -> list[str]:
    """The columns of ``frame`` whose cells are arrays (or nested lists), not scalars."""
    out = []
    for col in frame.columns:
        if frame[col].dtype == object and len(frame) > 0:
            first = frame[col].iloc[0]
            if isinstance(first, np.ndarray | list | tuple):
                out.append(str(col))
    return out


def flatten_arrays(
    frame: pd.DataFrame, shapes: Mapping[str, tuple[int, ...]] | None = None
) -> tuple[pd.DataFrame, dict[str, tuple[int, ...]]]:
    """Replace each array column by its flat columns ``name[j]``.

    Args:
        frame: the table.
        shapes: expected shapes by column (e.g. a fitted model's); others are read off the data.

    Returns:
        The table with flat columns in place of the array columns, and each array column's shape.

    Raises:
        DataError: a cell whose shape differs from the column's (naming the row and both shapes),
            non-numeric or non-finite entries.
    """
    found = array_columns(frame)
    if not found:
        return frame, {}
    shapes = dict(shapes or {})
    out: dict[str, tuple[int, ...]] = {}
    pieces: list[pd.DataFrame | pd.Series] = []
    for col in frame.columns:
        if str(col) not in found:
            pieces.append(frame[col])
            continue
        cells = frame[col].to_list()
        expected = shapes.get(str(col), np.shape(cells[0]))
        for row, cell in enumerate(cells):
            if np.shape(cell) != tuple(expected):
                raise DataError(
                    f"column {col!r}, row {frame.index[row]}: an array of shape "
                    f"{np.shape(cell)}, but the column's arrays have shape {tuple(expected)}"
                )
        try:
            stacked = np.asarray(cells, dtype=np.float64)
        except (TypeError, ValueError):
            kinds = sorted({np.asarray(c).dtype.name for c in cells})
            raise DataError(f"column {col!r} holds arrays of non-numeric dtype {kinds}") from None
        flat = stacked.reshape(len(frame), -1)
        bad = ~np.isfinite(flat).all(axis=1)
        if bad.any():
            raise DataError(
                f"column {col!r} holds NaN or infinite values in {int(bad.sum())} row(s), first "
                f"row {frame.index[int(np.argmax(bad))]}"
            )
        names = [f"{col}[{j}]" for j in range(flat.shape[1])]
        pieces.append(pd.DataFrame(flat, index=frame.index, columns=names))
        out[str(col)] = tuple(int(s) for s in expected)
    return pd.concat(pieces, axis=1), out


def stack_columns(frame: pd.DataFrame, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """The arrays of variable ``name`` (shape ``shape``) as one array ``(n, *shape)``, from its
    flat columns ``name[j]`` (e.g. a ``DeepSCM.sample`` or ``counterfactual`` frame) or from an
    array column ``name``.

    Raises:
        DataError: a flat column is missing, or an array cell has another shape.
    """
    if name in frame.columns and str(name) in array_columns(frame):
        flat, _ = flatten_arrays(frame[[name]], {name: tuple(shape)})
        return flat.to_numpy(dtype=np.float64).reshape(len(frame), *shape)
    columns = [f"{name}[{j}]" for j in range(int(np.prod(shape)))]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"the frame lacks {len(missing)} column(s) of {name!r} {tuple(shape)}, e.g. {missing[0]!r}"
        )
    return frame[columns].to_numpy(dtype=np.float64).reshape(len(frame), *shape)


def read_images(path: str | os.PathLike[str], key: str | None = None) -> np.ndarray:
    """Images as a float array ``(n, C, H, W)``.

    Args:
        path: a ``.npy`` file, a ``.npz`` file (its array ``key``, or its only one), or a folder of
            ``.png`` files (read in sorted file-name order; grey or colour, all one size).
        key: the array of a ``.npz`` holding several.

    Raises:
        DataError: a missing or unreadable file, a ``.npz`` without ``key``, images of different
            sizes, or an array that is not ``(n, H, W)`` or ``(n, C, H, W)``.
    """
    source = Path(path)
    if source.is_dir():
        return _read_pngs(source)
    if not source.is_file():
        raise DataError(f"no image file or folder at {source}")
    try:
        if source.suffix == ".npz":
            with np.load(source, allow_pickle=False) as archive:
                names = list(archive.files)
                if key is None and len(names) != 1:
                    raise DataError(f"{source} holds arrays {names}: name one with key=")
                name = key if key is not None else names[0]
                if name not in names:
                    raise DataError(f"{source} has no array {name!r}; it holds {names}")
                arr = archive[name]
        else:
            arr = np.load(source, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read {source} as a NumPy array: {exc}") from None
    return check_images(arr, str(source))


def _read_pngs(folder: Path) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".png")
    if not files:
        raise DataError(f"{folder} holds no .png files")
    arrays: list[np.ndarray] = []
    for file in files:
        try:
            with Image.open(file) as img:
                arr = np.asarray(img, dtype=np.float32)
        except (OSError, UnidentifiedImageError) as exc:
            raise DataError(f"cannot read {file} as an image: {exc}") from None
        arr = arr[None] if arr.ndim == 2 else np.moveaxis(arr, -1, 0)
        if arrays and arr.shape != arrays[0].shape:
            raise DataError(
                f"{file.name} is {arr.shape} (C, H, W) but {files[0].name} is {arrays[0].shape}: "
                "the images of a variable must share one size"
            )
        arrays.append(arr)
    return np.stack(arrays)


def check_images(arr: np.ndarray, where: str = "images") -> np.ndarray:
    """Images as float32 ``(n, C, H, W)`` (a grey ``(n, H, W)`` gets its channel axis).

    Raises:
        DataError: a non-numeric dtype, another number of axes, or NaN / infinite values.
    """
    arr = np.asarray(arr)
    if arr.dtype.kind not in "biuf":
        raise DataError(f"{where}: images must be numeric, got dtype {arr.dtype}")
    if arr.ndim == 3:
        arr = arr[:, None]
    if arr.ndim != 4:
        raise DataError(f"{where}: images must be (n, H, W) or (n, C, H, W), got shape {arr.shape}")
    out = np.asarray(arr, dtype=np.float32)
    if not np.isfinite(out).all():
        raise DataError(f"{where}: the images hold NaN or infinite values")
    return out


def image_table(table: pd.DataFrame, images: np.ndarray, name: str = "image") -> pd.DataFrame:
    """``table`` with one more column, ``name``, whose cells are ``images`` (``(n, C, H, W)``),
    one per row: the array-column form that ``DeepSCM.fit`` and ``counterfactual`` read.

    Raises:
        DataError: the counts differ, or ``name`` is already a column.
    """
    arr = check_images(np.asarray(images), name)
    if len(arr) != len(table):
        raise DataError(f"{len(arr)} images for a table of {len(table)} rows")
    if name in table.columns:
        raise DataError(f"the table already has a column {name!r}")
    column = pd.Series(list(arr), index=table.index, dtype=object)
    return table.assign(**{name: column})
