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
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

import numpy as np
import pandas as pd

from deepcausal.errors import SchemaError

__all__ = ["Kind", "Schema", "Variable"]

Kind = Literal["continuous", "binary", "categorical"]
_KINDS: tuple[str, ...] = get_args(Kind)
_SCHEMA_FORMAT = 1
_MAX_LISTED_ROWS = 5
_MAX_LISTED_VALUES = 10

Category = bool | int | float | str


# --------------------------------------------------------------------------------------------
# category values: plain Python scalars, one canonical order, typed JSON form
# --------------------------------------------------------------------------------------------


def _as_category(value: Any, where: str) -> Category:
    """Return ``value`` as a plain Python bool, int, float or str, or raise SchemaError."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SchemaError(f"{where}: a category cannot be {value!r}")
        return value
    raise SchemaError(
        f"{where}: category {value!r} has type {type(value).__name__}; categories must be bool, "
        "int, float or str"
    )


def _category_sort_key(value: Category) -> tuple[int, Any]:
    # Numbers compare with numbers and strings with strings; bools sort first (False < True), then
    # numbers, then strings, so a mixed set of categories still has one canonical order.
    if isinstance(value, bool):
        return (0, value)
    if isinstance(value, int | float):
        return (1, value)
    return (2, value)


def _normalise_categories(values: Iterable[Any], where: str) -> tuple[Category, ...]:
    cats = [_as_category(v, where) for v in values]
    # Python equality merges 1, 1.0 and True; such a set cannot be coded unambiguously.
    seen: dict[Category, Category] = {}
    for c in cats:
        if c in seen:
            raise SchemaError(f"{where}: duplicate categories {seen[c]!r} and {c!r}")
        seen[c] = c
    return tuple(sorted(cats, key=_category_sort_key))


def _encode_category(value: Category) -> dict[str, Any]:
    return {"type": type(value).__name__, "value": value}


_CATEGORY_TYPES: dict[str, type] = {"bool": bool, "int": int, "float": float, "str": str}


def _decode_category(item: Any, where: str) -> Category:
    if not isinstance(item, Mapping) or set(item) != {"type", "value"}:
        raise SchemaError(f"{where}: a stored category must be {{'type': ..., 'value': ...}}")
    kind = _CATEGORY_TYPES.get(item["type"])
    value = item["value"]
    if kind is None:
        raise SchemaError(f"{where}: unknown category type {item['type']!r}")
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)  # JSON writes 1.0 as 1 in some encoders
    if type(value) is not kind:
        raise SchemaError(f"{where}: stored category {value!r} is not of type {item['type']}")
    return cast(Category, value)


def _rows_text(index: pd.Index, mask: np.ndarray) -> str:
    labels = index[mask]
    shown = ", ".join(str(x) for x in labels[:_MAX_LISTED_ROWS])
    more = ", ..." if len(labels) > _MAX_LISTED_ROWS else ""
    return f"rows {shown}{more}" if len(labels) > 1 else f"row {shown}"


def _values_text(values: Iterable[Any]) -> str:
    values = list(values)
    shown = ", ".join(repr(v) for v in values[:_MAX_LISTED_VALUES])
    return "[" + shown + (", ...]" if len(values) > _MAX_LISTED_VALUES else "]")


# --------------------------------------------------------------------------------------------
# Variable
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Variable:
    """One variable (node) of a causal model.

    Args:
        name: The column name (for a non-scalar variable, the stem of its column names).
        kind: ``"continuous"``, ``"binary"`` or ``"categorical"``.
        categories: For ``binary``, the two values it takes; for ``categorical``, all its values;
            ``None`` for ``continuous``. Values are plain bool, int, float or str; they are stored
            sorted (bools, then numbers, then strings), and a value's code is its position here.
        shape: ``()`` for a scalar; ``(d,)`` or ``(C, H, W)`` for a vector or image node (continuous
            only), stored in a table as columns ``name[0] ... name[dim-1]``.

    Examples:
        >>> Variable("t", "binary", ("yes", "no")).categories
        ('no', 'yes')
        >>> Variable("img", "continuous", shape=(1, 28, 28)).dim
        784
    """

    name: str
    kind: Kind
    categories: tuple[Category, ...] | None = None
    shape: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise SchemaError(f"a variable name must be a non-empty string, got {self.name!r}")
        where = f"variable {self.name!r}"
        if self.kind not in _KINDS:
            raise SchemaError(f"{where}: unknown kind {self.kind!r}; use one of {list(_KINDS)}")
        try:
            shape = tuple(int(s) for s in self.shape)
        except (TypeError, ValueError):
            raise SchemaError(
                f"{where}: shape must be a tuple of ints, got {self.shape!r}"
            ) from None
        if any(s <= 0 for s in shape):
            raise SchemaError(f"{where}: shape {shape} has a non-positive size")
        object.__setattr__(self, "shape", shape)
        if self.kind == "continuous":
            if self.categories is not None:
                raise SchemaError(f"{where}: a continuous variable has no categories")
            return
        if shape != ():
            raise SchemaError(
                f"{where}: {self.kind} variables are scalar; shape {shape} is only allowed for "
                "continuous variables"
            )
        if self.categories is None or isinstance(self.categories, str | bytes):
            raise SchemaError(f"{where}: a {self.kind} variable needs a tuple of categories")
        cats = _normalise_categories(self.categories, where)
        if self.kind == "binary" and len(cats) != 2:
            raise SchemaError(
                f"{where}: a binary variable takes exactly two values, got {_values_text(cats)}"
            )
        if self.kind == "categorical" and len(cats) < 1:
            raise SchemaError(f"{where}: a categorical variable needs at least one category")
        object.__setattr__(self, "categories", cats)

    def _key(self) -> tuple[Any, ...]:
        # Typed categories: (0, 1) and (False, True) compare equal in Python but are different data.
        cats = None if self.categories is None else tuple((type(c), c) for c in self.categories)
        return (self.name, self.kind, cats, self.shape)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Variable):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    @property
    def dim(self) -> int:
        """Number of scalar entries per row: 1 for a scalar, ``prod(shape)`` otherwise."""
        return math.prod(self.shape)

    @property
    def is_discrete(self) -> bool:
        """True for binary and categorical variables."""
        return self.kind != "continuous"

    @property
    def n_categories(self) -> int:
        """Number of categories of a binary or categorical variable."""
        if self.categories is None:
            raise SchemaError(f"variable {self.name!r} is continuous and has no categories")
        return len(self.categories)

    @property
    def columns(self) -> tuple[str, ...]:
        """The DataFrame columns that hold this variable: ``(name,)`` for a scalar."""
        if self.shape == ():
            return (self.name,)
        return tuple(f"{self.name}[{i}]" for i in range(self.dim))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable description (categories keep their Python types)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "categories": None
            if self.categories is None
            else [_encode_category(c) for c in self.categories],
            "shape": list(self.shape),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Variable:
        """Rebuild a variable from :meth:`to_dict` output."""
        if not isinstance(d, Mapping) or not {"name", "kind"} <= set(d):
            raise SchemaError(f"a stored variable needs 'name' and 'kind', got {d!r}")
        where = f"stored variable {d['name']!r}"
        raw = d.get("categories")
        categories = None
        if raw is not None:
            if not isinstance(raw, list | tuple):
                raise SchemaError(f"{where}: categories must be a list")
            categories = tuple(_decode_category(item, where) for item in raw)
        shape = d.get("shape", [])
        if not isinstance(shape, list | tuple):
            raise SchemaError(f"{where}: shape must be a list of ints")
        return cls(d["name"], d["kind"], categories, tuple(shape))


# --------------------------------------------------------------------------------------------
# Schema
# --------------------------------------------------------------------------------------------


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


def _check_frame(df: Any) -> None:
    if not isinstance(df, pd.DataFrame):
        raise SchemaError(f"expected a pandas DataFrame, got {type(df).__name__}")
    bad = [c for c in df.columns if not isinstance(c, str)]
    if bad:
        raise SchemaError(f"column names must be strings; got {_values_text(bad)}")
    if df.columns.has_duplicates:
        dups = sorted(set(df.columns[df.columns.duplicated()]))
        raise SchemaError(f"duplicate column name(s) {dups}")


def continuous_values(series: pd.Series, col: str) -> np.ndarray:
    """The column as finite float64 values, or SchemaError (non-numeric, NaN or inf)."""
    if isinstance(series.dtype, pd.CategoricalDtype) or not (
        pd.api.types.is_numeric_dtype(series.dtype) or series.dtype == object
    ):
        example = series.dropna()
        shown = repr(example.iloc[0]) if len(example) else "?"
        raise SchemaError(
            f"column {col!r} is continuous but has non-numeric dtype {series.dtype} "
            f"(e.g. {shown}); declare it categorical or convert it to numbers"
        )
    if series.dtype == object:
        coerced = pd.to_numeric(series, errors="coerce")
        bad = coerced.isna().to_numpy() & ~series.isna().to_numpy()
        if bad.any():
            first = series[bad].iloc[0]
            raise SchemaError(
                f"column {col!r} is continuous but holds non-numeric values, e.g. {first!r} "
                f"({_rows_text(series.index, bad)})"
            )
        series = coerced
    nan = series.isna().to_numpy()
    if nan.any():
        raise SchemaError(
            f"column {col!r} has {int(nan.sum())} NaN value{'s' if nan.sum() > 1 else ''} "
            f"({_rows_text(series.index, nan)})"
        )
    values = series.to_numpy(dtype=np.float64)
    inf = np.isinf(values)
    if inf.any():
        raise SchemaError(
            f"column {col!r} has {int(inf.sum())} infinite value{'s' if inf.sum() > 1 else ''} "
            f"({_rows_text(series.index, inf)})"
        )
    return values


def category_codes(var: Variable, series: pd.Series) -> np.ndarray:
    """The column as int64 codes into ``var.categories``, or SchemaError naming unknown values."""
    col = var.name
    assert var.categories is not None
    nan = series.isna().to_numpy()
    if nan.any():
        raise SchemaError(
            f"column {col!r} has {int(nan.sum())} missing (NaN/None) value"
            f"{'s' if nan.sum() > 1 else ''} ({_rows_text(series.index, nan)})"
        )
    values = series.to_numpy(dtype=object)
    index = pd.Index(list(var.categories), dtype=object)
    codes = index.get_indexer(pd.Index(values, dtype=object))
    unseen = codes < 0
    if var.kind == "binary":
        distinct = pd.unique(values)
        if len(distinct) > 2:
            raise SchemaError(
                f"binary column {col!r} has {len(distinct)} distinct values "
                f"{_values_text(sorted(distinct, key=_safe_key))}; a binary variable takes exactly "
                f"two values, here {_values_text(var.categories)}"
            )
    if unseen.any():
        first = values[unseen][0]
        rows = _rows_text(series.index, np.asarray(values == first) & unseen)
        raise SchemaError(
            f"column {col!r} has a category not seen before: {first!r} ({rows}); known categories: "
            f"{_values_text(var.categories)}"
        )
    return codes.astype(np.int64)


def _safe_key(value: Any) -> tuple[int, Any]:
    try:
        return _category_sort_key(_as_category(value, ""))
    except SchemaError:
        return (3, repr(value))


def _infer_variable(
    col: str, series: pd.Series, declared: str | None, max_categories: int
) -> Variable:
    dtype = series.dtype
    non_null = series.dropna()
    if len(series) and not len(non_null):
        raise SchemaError(f"column {col!r} holds only missing (NaN/None) values")
    if declared == "continuous":
        continuous_values(series, col)
        return Variable(col, "continuous")
    if isinstance(dtype, pd.CategoricalDtype):
        cats = list(dtype.categories)
        if declared == "binary" or (declared is None and len(cats) == 2):
            if len(cats) != 2:
                raise SchemaError(
                    f"column {col!r} is declared binary but its category dtype has {len(cats)} "
                    f"categories {_values_text(cats)}"
                )
            return Variable(col, "binary", tuple(cats))
        return _categorical(col, cats, max_categories if declared is None else None)
    distinct = pd.unique(non_null.to_numpy(dtype=object))
    if declared == "binary":
        if len(distinct) > 2:
            raise SchemaError(
                f"column {col!r} is declared binary but has {len(distinct)} distinct values "
                f"{_values_text(sorted(distinct, key=_safe_key))}"
            )
        if len(distinct) < 2:
            if pd.api.types.is_bool_dtype(dtype):
                return Variable(col, "binary", (False, True))
            raise SchemaError(
                f"column {col!r} is declared binary but takes only the value(s) "
                f"{_values_text(distinct)}; build the Variable with both categories explicitly"
            )
        return Variable(col, "binary", tuple(distinct))
    if declared == "categorical":
        return _categorical(col, distinct, None)
    if pd.api.types.is_bool_dtype(dtype):
        return Variable(col, "binary", (False, True))
    if len(distinct) == 2:
        return Variable(col, "binary", tuple(distinct))
    if pd.api.types.is_numeric_dtype(dtype):
        return Variable(col, "continuous")
    _refuse_mixed_numbers_and_text(col, series)
    return _categorical(col, distinct, max_categories)


def _refuse_mixed_numbers_and_text(col: str, series: pd.Series) -> None:
    """A text column whose values are mostly numbers is a numeric column with stray entries
    (``"?"``, ``"n/a"``, ``"1,5"``): name them and their rows instead of reading hundreds of
    numbers as categories."""
    non_null = series.dropna()
    numbers = pd.to_numeric(non_null.astype(str).str.strip(), errors="coerce")
    stray = numbers.isna().to_numpy()
    if not stray.any() or stray.mean() > 0.5:
        return
    values = sorted({str(v) for v in non_null[stray]})
    rows = non_null.index[stray][:5].tolist()
    raise SchemaError(
        f"column {col!r} mixes numbers with text: {_values_text(values)} in {int(stray.sum())} "
        f"row(s) (first rows {rows}) among {len(non_null)} numbers; if they mark missing values, "
        f"drop those rows or read the file with na_values={values[:3]!r} (on the command line: "
        f"--na {values[0]!r}); otherwise fix the cells"
    )


def _categorical(col: str, values: Iterable[Any], max_categories: int | None) -> Variable:
    cats = list(values)
    if max_categories is not None and len(cats) > max_categories:
        raise SchemaError(
            f"column {col!r} has {len(cats)} distinct values, more than max_categories="
            f"{max_categories}; declare its kind in `kinds` (e.g. 'continuous') or raise "
            "max_categories"
        )
    return Variable(col, "categorical", tuple(cats))
