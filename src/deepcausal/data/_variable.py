"""One variable of a causal model: its kind, categories and shape, and its JSON form."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

import numpy as np
import pandas as pd

from deepcausal.errors import SchemaError

__all__ = ["Category", "Kind", "Variable"]

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
