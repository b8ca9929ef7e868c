"""Input checks shared by every effect estimator: one place that turns user data into clean arrays.

Every check raises :class:`~deepcausal.errors.DataError` with a message that names the argument, the
column or the value at fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from deepcausal.errors import DataError

OutcomeType = Literal["auto", "continuous", "binary"]


@dataclass(frozen=True)
class FitData:
    """Validated training data.

    Attributes:
        X: covariates, float64, shape ``(n, d)``.
        t: treatment as integer codes ``0..k-1`` (index into ``classes``), shape ``(n,)``.
        y: outcome, float64, shape ``(n,)``.
        classes: the distinct treatment values; ``classes[0]`` is the control arm (the one the
            user named with ``control=``, else the smallest in sorted order), the rest sorted.
        feature_names: column names when ``X`` was a DataFrame, else ``None``.
        treatment_name: the name of ``t`` (a Series' name), ``"t"`` otherwise.
        strict_overlap: whether a complete separation of the arms is an error (else a warning).
    """

    X: np.ndarray
    t: np.ndarray
    y: np.ndarray
    classes: np.ndarray
    feature_names: tuple[str, ...] | None
    treatment_name: str = "t"
    strict_overlap: bool = True


def _column_label(feature_names: tuple[str, ...] | None, j: int) -> str:
    return f"column {feature_names[j]!r}" if feature_names else f"column {j}"


def check_X(
    X: Any, *, n_features: int | None = None, name: str = "X"
) -> tuple[np.ndarray, tuple[str, ...] | None]:
    """Return ``X`` as a finite 2-D float64 array and its column names (``None`` for arrays)."""
    feature_names: tuple[str, ...] | None = None
    if isinstance(X, pd.DataFrame):
        feature_names = tuple(str(c) for c in X.columns)
        bad = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
        if bad:
            raise DataError(
                f"{name} has non-numeric columns {bad}; encode them (e.g. one-hot) before fitting"
            )
        X = X.to_numpy(dtype=np.float64)
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be numeric: {exc}") from exc
    if arr.ndim == 1:
        raise DataError(
            f"{name} must be 2-D (rows x covariates), got a 1-D array of length {arr.shape[0]}; "
            "use X.reshape(-1, 1) for a single covariate"
        )
    if arr.ndim != 2:
        raise DataError(f"{name} must be 2-D (rows x covariates), got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise DataError(f"{name} has no rows")
    if arr.shape[1] == 0:
        raise DataError(f"{name} has no columns: the estimators need at least one covariate")
    finite = np.isfinite(arr)
    if not finite.all():
        rows, cols = np.nonzero(~finite)
        j = int(cols[0])
        kind = "NaN" if np.isnan(arr[rows[0], j]) else "infinite"
        raise DataError(
            f"{name} has {int((~finite).sum())} NaN or infinite values, the first ({kind}) in row "
            f"{int(rows[0])}, {_column_label(feature_names, j)}; impute or drop them first"
        )
    _check_magnitude(arr, name, feature_names)
    if n_features is not None and arr.shape[1] != n_features:
        raise DataError(
            f"{name} has {arr.shape[1]} columns, but the estimator was fit on {n_features}"
        )
    return arr, feature_names


#: Values beyond this magnitude overflow the squares and products of the learners' arithmetic.
MAX_MAGNITUDE = 1e100


def _check_magnitude(arr: np.ndarray, name: str, feature_names: tuple[str, ...] | None) -> None:
    """Refuse astronomically scaled columns, naming the first, rather than return inf or NaN."""
    if arr.size == 0:
        return
    big = np.abs(arr).max(axis=0 if arr.ndim == 2 else None)
    over = np.nonzero(np.atleast_1d(big) > MAX_MAGNITUDE)[0]
    if over.size:
        j = int(over[0])
        where = _column_label(feature_names, j) if arr.ndim == 2 else "its values"
        raise DataError(
            f"{name} {where} holds values as large as {float(np.atleast_1d(big)[j]):.3g}, beyond "
            f"{MAX_MAGNITUDE:g} where the estimators' arithmetic overflows; rescale it (divide by "
            "a constant: an effect on the rescaled outcome is the effect divided by it)"
        )


def _check_vector(v: Any, name: str, n: int) -> np.ndarray:
    if isinstance(v, pd.DataFrame):
        if v.shape[1] != 1:
            raise DataError(f"{name} must be one column, got a DataFrame with {v.shape[1]} columns")
        v = v.iloc[:, 0]
    arr = np.asarray(v)
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.reshape(-1)
    if arr.ndim != 1:
        raise DataError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.shape[0] != n:
        raise DataError(
            f"{name} has {arr.shape[0]} rows but X has {n}; they must match row for row"
        )
    return arr


def check_treatment(
    t: Any, n: int, *, binary: bool, method: str, control: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Validate a treatment vector; return ``(codes, classes)`` with the control arm first.

    Args:
        t: treatment assignments (numbers, booleans or labels).
        n: the number of rows of ``X``.
        binary: whether the method needs exactly two arms.
        method: the estimator's name, for error messages.
        control: the control arm's value; ``None`` takes the smallest value (sorted order).
    """
    arr = _check_vector(t, "t", n)
    if arr.dtype.kind in "fc":
        if not np.isfinite(arr).all():
            i = int(np.nonzero(~np.isfinite(arr))[0][0])
            raise DataError(f"t has NaN or infinite values (first in row {i}); drop those rows")
    elif arr.dtype.kind == "O" and pd.isna(arr).any():
        i = int(np.nonzero(pd.isna(arr))[0][0])
        raise DataError(f"t has missing values (first in row {i}); drop those rows")
    if arr.dtype.kind == "b":
        arr = arr.astype(np.int64)
    classes, codes = np.unique(arr, return_inverse=True)
    if classes.shape[0] < 2:
        raise DataError(
            f"t has a single treatment arm ({classes.tolist()[0]!r} for all {n} rows): an effect needs "
            "treated and untreated units"
        )
    if binary and classes.shape[0] != 2:
        shown = ", ".join(repr(c) for c in classes[:6].tolist())
        shown += ", ..." if classes.shape[0] > 6 else ""
        raise DataError(
            f"{method} needs a binary treatment, but t has {classes.shape[0]} distinct values "
            f"({shown}); use TARNet, IPW or AIPW for a multi-valued treatment"
        )
    if arr.dtype.kind in "fc" and not np.all(np.equal(np.round(classes), classes)):
        raise DataError(
            f"t takes non-integer values ({classes[:4].tolist()}...): a continuous treatment is not "
            "supported; "
            "code the arms as integers or labels"
        )
    counts = np.bincount(codes, minlength=classes.shape[0])
    if counts.min() < 2:
        arm = classes.tolist()[int(np.argmin(counts))]
        raise DataError(
            f"treatment arm {arm!r} has {int(counts.min())} unit(s); each arm needs >= 2"
        )
    if control is not None:
        matches = [i for i, c in enumerate(classes.tolist()) if c == control]
        if not matches:
            raise DataError(
                f"control={control!r} is not a value of t; t takes {classes.tolist()[:10]}"
            )
        order = np.array([matches[0], *(i for i in range(len(classes)) if i != matches[0])])
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        classes, codes = classes[order], rank[codes]
    return codes.astype(np.int64), classes


def check_outcome(y: Any, n: int) -> np.ndarray:
    """Validate an outcome vector: numeric, finite, one value per row."""
    arr = _check_vector(y, "y", n)
    if arr.dtype.kind == "b":
        arr = arr.astype(np.float64)
    try:
        arr = arr.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"y must be numeric (continuous or 0/1): {exc}") from exc
    if not np.isfinite(arr).all():
        i = int(np.nonzero(~np.isfinite(arr))[0][0])
        raise DataError(
            f"y has NaN or infinite values (first in row {i}); drop or impute those rows"
        )
    _check_magnitude(arr, "y", None)
    return arr


def check_fit_data(
    X: Any,
    t: Any,
    y: Any,
    *,
    binary: bool,
    method: str,
    control: Any = None,
    strict_overlap: bool = True,
) -> FitData:
    """Validate ``(X, t, y)`` for ``fit``."""
    Xa, names = check_X(X)
    codes, classes = check_treatment(t, Xa.shape[0], binary=binary, method=method, control=control)
    ya = check_outcome(y, Xa.shape[0])
    name = str(t.name) if isinstance(t, pd.Series) and t.name is not None else "t"
    return FitData(
        X=Xa,
        t=codes,
        y=ya,
        classes=classes,
        feature_names=names,
        treatment_name=name,
        strict_overlap=strict_overlap,
    )


def check_feature_names(X: Any, fitted: np.ndarray | None, method: str) -> None:
    """Refuse a DataFrame whose columns differ from those seen at fit, by name or by order
    (scikit-learn's rule): columns are never matched by position when they have names."""
    if not isinstance(X, pd.DataFrame) or fitted is None:
        return
    columns, expected = [str(c) for c in X.columns], [str(c) for c in fitted]
    if columns == expected:
        return
    missing = [c for c in expected if c not in columns]
    extra = [c for c in columns if c not in expected]
    if missing or extra:
        raise DataError(
            f"{method}: X has other columns than at fit: missing {missing}, unexpected {extra}"
        )
    raise DataError(
        f"{method}: X has the columns seen at fit in another order ({columns}; fit: {expected}); "
        "align them by name with X[estimator.feature_names_in_]"
    )


def resolve_outcome_type(
    y: np.ndarray, outcome_type: OutcomeType
) -> Literal["continuous", "binary"]:
    """``"auto"`` means binary when every outcome is 0 or 1."""
    is_binary = bool(np.isin(y, (0.0, 1.0)).all())
    if outcome_type == "auto":
        return "binary" if is_binary else "continuous"
    if outcome_type == "binary" and not is_binary:
        bad = y[~np.isin(y, (0.0, 1.0))][0]
        raise DataError(
            f"outcome_type='binary' but y takes the value {bad}; binary outcomes are 0/1"
        )
    if outcome_type not in ("continuous", "binary"):
        raise ValueError(
            f"outcome_type must be 'auto', 'continuous' or 'binary', got {outcome_type!r}"
        )
    return outcome_type
