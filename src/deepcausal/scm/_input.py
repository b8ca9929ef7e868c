"""The table a DeepSCM is fitted to, checked at the boundary: its type, its columns against the
graph's nodes, its values against the schema, its size; and a column read back as numbers."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from deepcausal.data import Schema, Variable
from deepcausal.errors import DataError, DataWarning, SchemaError

__all__ = ["checked_schema", "numeric_values"]


def checked_schema(data: object, nodes: Sequence[str], schema: Schema | None) -> Schema:
    """The schema of the ``nodes`` (``schema``, or inferred from ``data``), after checking ``data``.

    Columns that are not nodes are left out, with a :class:`DataWarning` that names them.

    Raises:
        DataError: ``data`` is not a DataFrame, or has fewer than 2 rows.
        SchemaError: a node without a column, NaN or infinite values, values of the wrong type.
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"DeepSCM.fit needs a pandas DataFrame, got {type(data).__name__}")
    missing = [n for n in nodes if n not in data.columns]
    if missing and schema is None:
        raise SchemaError(
            f"graph node(s) {missing} have no column in the data; columns: {list(data.columns)}"
        )
    extra = [str(c) for c in data.columns if c not in set(nodes)]
    if extra:
        warnings.warn(
            f"column(s) {extra} are not nodes of the graph and are left out of the model; add "
            "them to the graph, or drop them from the data to silence this",
            DataWarning,
            stacklevel=3,
        )
    schema = schema if schema is not None else Schema.infer(data[list(nodes)])
    schema.check_graph(nodes)
    schema.validate(data, nodes)
    if len(data) < 2:
        raise DataError(f"DeepSCM.fit needs at least 2 rows, got {len(data)}")
    return schema


def numeric_values(column: pd.Series, var: Variable) -> np.ndarray:
    """A column as numbers: a binary one as 0/1 (1 for its second category)."""
    if var.kind == "binary":
        assert var.categories is not None
        return np.asarray(column == var.categories[1], dtype=float)
    return np.asarray(pd.to_numeric(column), dtype=float)
