"""Reading a table's values at the boundary: numbers, category codes, and the inference of a
variable from a column (with errors that name the column, the rows and the values)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from deepcausal.data._variable import (
    Variable,
    _as_category,
    _category_sort_key,
    _rows_text,
    _values_text,
)
from deepcausal.errors import SchemaError

__all__ = ["category_codes", "continuous_values"]


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
