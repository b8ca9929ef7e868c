"""Tables too large for memory: a Parquet file or directory read in row groups with pyarrow.

:class:`ParquetSource` is what ``DeepSCM.fit`` streams. It never holds more than one row group of
the table at a time, and gives the three things a streamed fit needs from whole-table passes:

* a schema, inferred from a first pass (:meth:`ParquetSource.infer_schema`): distinct values are
  counted over every row, so a category that first appears in the last row group is still found;
* the encoder's scaling statistics (:meth:`ParquetSource.fit_encoder`), merged over row groups
  with Chan, Golub & LeVeque's pairwise update of the mean and the sum of squared deviations;
* a deterministic row split (:func:`held_out`): a row is held out by a hash of its position in the
  table and a seed, so the split is the same whatever the row groups or the reading order.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from deepcausal.data._encoder import TabularEncoder
from deepcausal.data._schema import Schema
from deepcausal.data._variable import Kind
from deepcausal.errors import DataError, SchemaError

__all__ = ["ParquetSource", "RunningMoments", "held_out"]

#: Distinct values tracked per column in the schema pass; a column with more is not discrete.
_MAX_TRACKED = 64


def held_out(rows: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Whether each row (its 0-based position in the table) is held out: a SplitMix64 hash of
    ``(row, seed)`` mapped to [0, 1) and compared with ``fraction``.

    >>> mask = held_out(np.arange(100_000), 0.2, seed=0)
    >>> round(float(mask.mean()), 2), bool((mask == held_out(np.arange(100_000), 0.2, 0)).all())
    (0.2, True)
    """
    with np.errstate(over="ignore"):
        z = np.asarray(rows, dtype=np.uint64) + np.uint64((seed * 0x9E3779B97F4A7C15) % 2**64)
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    uniform = (z >> np.uint64(11)).astype(np.float64) / float(2**53)
    return uniform < fraction


@dataclass(frozen=True)
class _Piece:
    """One row group: where its rows start in the table and how to read it."""

    start: int
    rows: int
    fragment: Any


class ParquetSource:
    """A Parquet file, or a directory of them, read one row group at a time (Apache Arrow's
    dataset API).

    Args:
        path: a ``.parquet`` file or a directory of Parquet files (read in sorted order).

    Raises:
        DataError: the path does not exist, is not Parquet, or pyarrow is not installed.

    Examples:
        >>> import tempfile, os
        >>> folder = tempfile.mkdtemp()
        >>> df = pd.DataFrame({"x": np.arange(6.0), "t": [0, 1] * 3})
        >>> df.to_parquet(os.path.join(folder, "rows.parquet"), row_group_size=4)
        >>> source = ParquetSource(folder)
        >>> source.n_rows, source.columns, [len(f) for _, f in source.frames()]
        (6, ('x', 't'), [4, 2])
        >>> source.infer_schema()["t"].kind
        'binary'
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        try:
            import pyarrow.dataset as pads
        except ImportError as exc:  # pragma: no cover - pyarrow ships with the parquet extra
            raise DataError(
                "reading Parquet needs pyarrow; install it with pip install 'deepcausal[parquet]'"
            ) from exc
        self.path = Path(path)
        if not self.path.exists():
            raise DataError(f"no Parquet file or directory at {str(self.path)!r}")
        try:
            if self.path.is_dir():
                files = sorted(str(p) for p in self.path.rglob("*") if p.is_file())
                files = [f for f in files if not Path(f).name.startswith((".", "_"))]
                if not files:
                    raise DataError(f"the directory {str(self.path)!r} holds no Parquet files")
                dataset = pads.dataset(files, format="parquet")
            else:
                dataset = pads.dataset(str(self.path), format="parquet")
            pieces: list[_Piece] = []
            start = 0
            for fragment in dataset.get_fragments():
                for group in fragment.split_by_row_group():
                    rows = sum(int(g.num_rows) for g in group.row_groups)
                    if rows:
                        pieces.append(_Piece(start, rows, group))
                        start += rows
        except DataError:
            raise
        except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ... on a bad file
            raise DataError(f"cannot read {str(self.path)!r} as Parquet: {exc}") from exc
        self._dataset = dataset
        self._pieces = pieces
        self.columns: tuple[str, ...] = tuple(dataset.schema.names)
        self.n_rows = start
        if self.n_rows < 2:
            raise DataError(
                f"{str(self.path)!r} holds {self.n_rows} row(s); a fit needs at least 2"
            )

    def __repr__(self) -> str:
        return (
            f"ParquetSource({str(self.path)!r}, rows={self.n_rows}, "
            f"row_groups={len(self._pieces)}, columns={list(self.columns)})"
        )

    @property
    def n_row_groups(self) -> int:
        """How many row groups the table has (the units it is read and shuffled in)."""
        return len(self._pieces)

    def check_columns(self, needed: Iterable[str], what: str = "the graph") -> None:
        """Raise :class:`SchemaError` naming the columns of ``needed`` that the files lack."""
        missing = [c for c in needed if c not in self.columns]
        if missing:
            raise SchemaError(
                f"the Parquet data at {str(self.path)!r} has no column(s) {missing} needed by "
                f"{what}; its columns: {list(self.columns)}"
            )

    def frames(
        self, columns: Sequence[str] | None = None, order: Sequence[int] | None = None
    ) -> Iterator[tuple[int, pd.DataFrame]]:
        """Yield ``(first_row, frame)`` per row group: the table position of the group's first row
        and its rows as a DataFrame (indexed by table position), in ``order`` (row-group numbers;
        the file order by default)."""
        cols = list(self.columns if columns is None else columns)
        self.check_columns(cols, "this read")
        for k in range(len(self._pieces)) if order is None else order:
            piece = self._pieces[int(k)]
            try:
                frame = piece.fragment.to_table(columns=cols).to_pandas()
            except Exception as exc:
                raise DataError(
                    f"cannot read the row group at rows {piece.start}.."
                    f"{piece.start + piece.rows - 1} of {str(self.path)!r}: {exc}"
                ) from exc
            frame.index = pd.RangeIndex(piece.start, piece.start + len(frame))
            yield piece.start, frame

    def held_out_share(self, fraction: float, max_rows: int) -> float:
        """The share of rows to hold out: ``fraction``, shrunk so that about ``max_rows`` rows
        (few enough for memory) are held out."""
        return min(fraction, max_rows / self.n_rows)

    def split_frames(
        self,
        columns: Sequence[str],
        fraction: float,
        seed: int,
        order: Sequence[int] | None = None,
    ) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
        """:meth:`frames`, each with the mask of its held-out rows (:func:`held_out`)."""
        for first, frame in self.frames(columns, order):
            yield frame, held_out(np.arange(first, first + len(frame)), fraction, seed)

    def infer_schema(
        self,
        columns: Sequence[str] | None = None,
        kinds: dict[str, Kind] | None = None,
        max_categories: int = 20,
    ) -> Schema:
        """The schema :meth:`Schema.infer` would give for the whole table, from one pass.

        Each column's distinct values are tracked over every row group (up to 64); a column with
        more is read from its first row group, where only its dtype and values matter.
        """
        cols = list(self.columns if columns is None else columns)
        distinct: dict[str, pd.Series | None] = {}
        first: dict[str, pd.Series] = {}
        for _, frame in self.frames(cols):
            for col in cols:
                series = frame[col]
                first.setdefault(col, series)
                seen = distinct.get(col, series.iloc[:0])
                if seen is None:
                    continue
                merged = pd.concat([seen, series.drop_duplicates()], ignore_index=True)
                merged = merged.drop_duplicates()
                distinct[col] = merged if len(merged) <= _MAX_TRACKED else None
        variables = []
        for col in cols:
            few = distinct[col]
            values = first[col] if few is None else few
            one = Schema.infer(
                pd.DataFrame({col: values.reset_index(drop=True)}),
                kinds={col: kinds[col]} if kinds and col in kinds else None,
                max_categories=max_categories,
            )
            variables.append(one[col])
        return Schema(variables)

    def fit_encoder(self, schema: Schema) -> TabularEncoder:
        """A :class:`TabularEncoder` for ``schema`` fitted over every row group, each validated
        against the schema on the way (a bad row group raises :class:`SchemaError` naming the
        column and the table rows)."""
        moments: dict[str, RunningMoments] = {}
        cols = list(schema.columns)
        for _, frame in self.frames(cols):
            schema.validate(frame)
            for var in schema.values():
                if var.kind == "continuous":
                    block = frame[list(var.columns)].to_numpy(dtype=np.float64)
                    moments.setdefault(var.name, RunningMoments(var.dim)).add(block)
        mean = {k: m.mean for k, m in moments.items()}
        std = {k: m.std(pooled=len(schema[k].shape) == 3) for k, m in moments.items()}
        for name in mean:
            if len(schema[name].shape) == 3:  # an image: one mean for all its pixels
                mean[name] = np.full(schema[name].dim, float(mean[name].mean()))
        return TabularEncoder.from_statistics(schema, mean, std)


class RunningMoments:
    """Running count, mean and sum of squared deviations of ``(n, dim)`` blocks, merged block by
    block (Chan, Golub & LeVeque 1979), so a pass over a table gives its exact moments.

    >>> m = RunningMoments(1)
    >>> for block in (np.array([[1.0], [2.0]]), np.array([[3.0], [4.0], [5.0]])):
    ...     m.add(block)
    >>> m.n, float(m.mean[0]), round(float(m.std()[0]), 6), round(float(np.std([1, 2, 3, 4, 5])), 6)
    (5, 3.0, 1.414214, 1.414214)
    """

    def __init__(self, dim: int) -> None:
        self.n = 0
        self.mean = np.zeros(dim)
        self.m2 = np.zeros(dim)

    def add(self, block: np.ndarray) -> None:
        n_b = block.shape[0]
        if n_b == 0:
            return
        mean_b = block.mean(axis=0)
        m2_b = ((block - mean_b) ** 2).sum(axis=0)
        total = self.n + n_b
        delta = mean_b - self.mean
        self.mean = self.mean + delta * (n_b / total)
        self.m2 = self.m2 + m2_b + delta**2 * (self.n * n_b / total)
        self.n = total

    def std(self, pooled: bool = False) -> np.ndarray:
        if pooled:  # one scale for all entries: the variance of the pooled values
            var = (self.m2 / self.n + (self.mean - self.mean.mean()) ** 2).mean()
            pooled_sd = float(np.sqrt(var))
            return np.full(self.mean.shape, pooled_sd if pooled_sd > 0 else 1.0)
        sd = np.sqrt(self.m2 / self.n)
        tiny = 10 * np.finfo(np.float64).eps * np.maximum(np.abs(self.mean), 1.0)
        out: np.ndarray = np.where(sd < tiny, 1.0, sd)
        return out
