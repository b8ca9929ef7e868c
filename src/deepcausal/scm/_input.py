"""The table a DeepSCM is fitted to, checked at the boundary: its type, its columns against the
graph's nodes, its values against the schema, its size; and a column read back as numbers."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from deepcausal.data import Schema, Variable, flatten_arrays
from deepcausal.errors import DataError, DataWarning, SchemaError

__all__ = ["checked_schema", "numeric_values"]


def checked_schema(
    data: object, nodes: Sequence[str], schema: Schema | None
) -> tuple[Schema, pd.DataFrame]:
    """The schema of the ``nodes`` (``schema``, or inferred from ``data``), after checking
    ``data``, and the table with each array column (an image or vector per cell) as its flat
    columns ``name[j]``.

    Columns that are not nodes are left out, with a :class:`DataWarning` that names them.

    Raises:
        DataError: ``data`` is not a DataFrame, or has fewer than 2 rows; arrays of mixed shapes.
        SchemaError: a node without a column, NaN or infinite values, values of the wrong type.
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"DeepSCM.fit needs a pandas DataFrame, got {type(data).__name__}")
    declared = {} if schema is None else {k: v.shape for k, v in schema.items() if v.shape}
    data, shapes = flatten_arrays(data, declared)
    shapes = {**{k: v for k, v in declared.items() if k in nodes}, **shapes}
    owned = {c: n for n, sh in shapes.items() for c in Variable(n, "continuous", shape=sh).columns}
    missing = [n for n in nodes if n not in data.columns and n not in shapes]
    if missing and schema is None:
        raise SchemaError(
            f"graph node(s) {missing} have no column in the data; columns: {list(data.columns)}"
        )
    extra = [str(c) for c in data.columns if c not in set(nodes) and c not in owned]
    if extra and len(extra) > 12:
        extra = [*extra[:12], f"... ({len(extra) - 12} more)"]
    if extra:
        warnings.warn(
            f"column(s) {extra} are not nodes of the graph and are left out of the model; add "
            "them to the graph, or drop them from the data to silence this",
            DataWarning,
            stacklevel=3,
        )
    if schema is None:
        scalars = [n for n in nodes if n not in shapes]
        inferred = Schema.infer(data[scalars])
        schema = Schema([
            Variable(n, "continuous", shape=shapes[n]) if n in shapes else inferred[n]
            for n in nodes
        ])  # fmt: skip
    schema.check_graph(nodes)
    schema.validate(data, nodes)
    if len(data) < 2:
        raise DataError(f"DeepSCM.fit needs at least 2 rows, got {len(data)}")
    return schema, data


def numeric_values(column: pd.Series, var: Variable) -> np.ndarray:
    """A column as numbers: a binary one as 0/1 (1 for its second category)."""
    if var.kind == "binary":
        assert var.categories is not None
        return np.asarray(column == var.categories[1], dtype=float)
    return np.asarray(pd.to_numeric(column), dtype=float)
