"""Variables and schemas: what each column of the user's table is, checked at the boundary.

A :class:`Variable` says what one node of a causal model is (continuous, binary or categorical, and
its shape); a :class:`Schema` is the ordered collection of a data set's variables. Everything that
reads a user's table (fitting, querying, encoding) validates it through :meth:`Schema.validate`, so
a bad value is reported once, in one way, naming the column, the rows and what was expected.

Vector and image nodes. A variable has a ``shape``: ``()`` for a scalar (the only case the
simulators and the tabular pipeline use today), ``(d,)`` for a vector, ``(C, H, W)`` for an image.
A non-scalar variable is always ``continuous``. In a DataFrame its values live in ``dim`` columns
named ``name[0] ... name[dim-1]`` (the flat, C-order index into ``shape``; see
:attr:`Variable.columns`), and :class:`~deepcausal.data.TabularEncoder` turns them into one
``(n, dim)`` array that a mechanism reshapes to ``(n, *shape)``. Image data too large for a table
will enter through an array-based loader that produces the same ``name -> (n, dim)`` encoding, so
mechanisms never depend on the DataFrame form.

:class:`Variable` lives in ``_variable.py``; reading and coding a column's values, and inferring a
variable from it, in ``_values.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import pandas as pd

from deepcausal.data._values import (
    _check_frame,
    _infer_variable,
    category_codes,
    continuous_values,
)
from deepcausal.data._variable import (
    _KINDS,
    _SCHEMA_FORMAT,
    Kind,
    Variable,
)
from deepcausal.errors import SchemaError

__all__ = ["Schema"]


class Schema(Mapping[str, Variable]):
    """An ordered mapping ``name -> Variable``: the variables of a data set, validated at the boundary.

    Args:
        variables: The variables, in order. Names must be unique.

    Examples:
        >>> df = pd.DataFrame({"x": [0.1, 2.0, 3.5], "t": [0, 1, 1], "c": ["a", "b", "c"]})
        >>> schema = Schema.infer(df)
        >>> [(v.name, v.kind) for v in schema.values()]
        [('x', 'continuous'), ('t', 'binary'), ('c', 'categorical')]
        >>> schema.validate(df.assign(c=["a", "b", "z"]))
        Traceback (most recent call last):
        ...
        deepcausal.errors.SchemaError: column 'c' has a category not seen before: 'z' (row 2); known categories: ['a', 'b', 'c']
    """

    def __init__(self, variables: Iterable[Variable]) -> None:
        vars_: dict[str, Variable] = {}
        for v in variables:
            if not isinstance(v, Variable):
                raise SchemaError(f"Schema expects Variable objects, got {type(v).__name__}")
            if v.name in vars_:
                raise SchemaError(f"duplicate variable name {v.name!r} in schema")
            vars_[v.name] = v
        owners: dict[str, str] = {}
        for v in vars_.values():
            for col in v.columns:
                if col in owners:
                    raise SchemaError(
                        f"column {col!r} is claimed by both {owners[col]!r} and {v.name!r}"
                    )
                owners[col] = v.name
        self._vars = vars_

    # Mapping protocol ----------------------------------------------------------------------

    def __getitem__(self, name: str) -> Variable:
        try:
            return self._vars[name]
        except KeyError:
            raise KeyError(
                f"no variable {name!r} in schema; variables: {list(self._vars)}"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._vars)

    def __len__(self) -> int:
        return len(self._vars)

    def __contains__(self, name: object) -> bool:
        return name in self._vars

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Schema):
            return NotImplemented
        return list(self._vars.values()) == list(other._vars.values())

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        inner = ", ".join(f"{v.name}: {v.kind}" for v in self._vars.values())
        return f"Schema({inner})"

    @property
    def names(self) -> tuple[str, ...]:
        """The variable names, in order."""
        return tuple(self._vars)

    @property
    def columns(self) -> tuple[str, ...]:
        """All DataFrame columns the schema expects (``name[i]`` for non-scalar variables)."""
        return tuple(c for v in self._vars.values() for c in v.columns)

    def subset(self, names: Iterable[str]) -> Schema:
        """The schema restricted to ``names`` (in schema order); unknown names raise SchemaError."""
        wanted = self._check_names(names)
        return Schema(v for n, v in self._vars.items() if n in wanted)

    def _check_names(self, names: Iterable[str] | str) -> tuple[str, ...]:
        if isinstance(names, str):
            names = [names]
        names = tuple(names)
        unknown = [n for n in names if n not in self._vars]
        if unknown:
            raise SchemaError(
                f"unknown variable(s) {unknown}; schema variables: {list(self._vars)}"
            )
        return names

    # inference -----------------------------------------------------------------------------

    @classmethod
    def infer(
        cls,
        df: pd.DataFrame,
        kinds: Mapping[str, Kind] | None = None,
        max_categories: int = 20,
    ) -> Schema:
        """Infer a schema from a DataFrame, one scalar variable per column.

        Rules, per column (a kind given in ``kinds`` overrides them):

        * bool dtype, or exactly two distinct values (any dtype) -> ``binary``;
        * ``category`` dtype -> ``categorical`` with the dtype's declared categories;
        * object / string dtype -> ``categorical`` (at most ``max_categories`` values);
        * float, or integers with more than two values -> ``continuous``.

        Args:
            df: The data.
            kinds: Declared kinds for some columns, e.g. ``{"zip": "categorical"}``.
            max_categories: Most categories an inferred (not declared) categorical may have.

        Returns:
            The schema; the data is validated against it before it is returned.

        Raises:
            SchemaError: NaN or infinite values, a declared kind that does not fit the column,
                non-string column names, or too many categories.
        """
        _check_frame(df)
        kinds = dict(kinds or {})
        unknown = [k for k in kinds if k not in df.columns]
        if unknown:
            raise SchemaError(
                f"kinds names column(s) {unknown} that are not in the data; columns: "
                f"{list(df.columns)}"
            )
        for col, kind in kinds.items():
            if kind not in _KINDS:
                raise SchemaError(
                    f"column {col!r}: unknown kind {kind!r}; use one of {list(_KINDS)}"
                )
        variables = []
        for col in df.columns:
            variables.append(_infer_variable(col, df[col], kinds.get(col), max_categories))
        schema = cls(variables)
        schema.validate(df)
        return schema

    # validation ----------------------------------------------------------------------------

    def validate(self, df: pd.DataFrame, columns: Iterable[str] | None = None) -> None:
        """Check that ``df`` fits the schema, or raise :class:`SchemaError` naming the culprit.

        Checks, for each variable in ``columns`` (default: all): its column(s) exist; continuous
        values are numeric and finite (no NaN, no inf); binary and categorical values are known
        categories (and a binary column holds at most two distinct values).

        Args:
            df: The data. Extra columns are ignored.
            columns: Variable names to check (default: every variable of the schema).
        """
        _check_frame(df)
        names = self.names if columns is None else self._check_names(columns)
        missing = [c for n in names for c in self._vars[n].columns if c not in df.columns]
        if missing:
            what = "column" if len(missing) == 1 else "columns"
            shown = ", ".join(repr(c) for c in missing)
            raise SchemaError(f"missing {what} {shown}; the data has columns {list(df.columns)}")
        for name in names:
            var = self._vars[name]
            for col in var.columns:
                if var.kind == "continuous":
                    continuous_values(df[col], col)
                else:
                    category_codes(var, df[col])

    def check_graph(self, graph_nodes: Iterable[str]) -> None:
        """Raise SchemaError if a graph node has no variable (no column) in the schema.

        Args:
            graph_nodes: The node names, or a ``CausalGraph`` (iterating it gives its nodes).
        """
        nodes = list(graph_nodes)
        missing = [n for n in nodes if n not in self._vars]
        if missing:
            what = "node" if len(missing) == 1 else "nodes"
            shown = ", ".join(repr(n) for n in missing)
            raise SchemaError(
                f"graph {what} {shown} {'has' if len(missing) == 1 else 'have'} no column in the "
                f"data; schema variables: {list(self._vars)}"
            )

    # serialisation -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable description; :meth:`from_dict` inverts it exactly."""
        return {"format": _SCHEMA_FORMAT, "variables": [v.to_dict() for v in self._vars.values()]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Schema:
        """Rebuild a schema from :meth:`to_dict` output."""
        if not isinstance(d, Mapping) or "variables" not in d:
            raise SchemaError("a stored schema must be a mapping with a 'variables' list")
        if d.get("format", _SCHEMA_FORMAT) != _SCHEMA_FORMAT:
            raise SchemaError(
                f"stored schema has format {d.get('format')!r}; this version reads format "
                f"{_SCHEMA_FORMAT}"
            )
        return cls(Variable.from_dict(v) for v in d["variables"])


# --------------------------------------------------------------------------------------------
# shared column checks (also used by the encoder)
# --------------------------------------------------------------------------------------------
