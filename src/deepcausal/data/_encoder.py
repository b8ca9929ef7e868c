"""The tabular encoder: a user's DataFrame <-> the arrays that models train on.

Continuous variables are standardised, ``z = (x - mean) / std``, with the mean and standard
deviation of the training data (per entry for a vector; one for all pixels of an image); binary and categorical variables become integer codes, the index of
each value in ``Variable.categories``. ``decode`` inverts both, back to the user's units and values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from deepcausal.data._schema import Schema
from deepcausal.data._values import category_codes, continuous_values
from deepcausal.data._variable import Variable
from deepcausal.errors import NotFittedError, SchemaError

__all__ = ["TabularEncoder"]

_ENCODER_FORMAT = 1


class TabularEncoder:
    """Encode a DataFrame into per-variable arrays and decode them back.

    ``encode`` gives ``{name: array}``: a continuous variable becomes a float32 ``(n, dim)`` array
    standardised with the training mean and standard deviation; a binary or categorical variable
    becomes an int64 ``(n,)`` array of codes (positions in ``Variable.categories``). A column whose
    standard deviation is (numerically) zero is scaled by 1, as scikit-learn's ``StandardScaler``
    does, so a constant column encodes to zeros instead of dividing by zero.

    Args:
        schema: The variables to encode.

    Examples:
        >>> from deepcausal.data import Schema
        >>> df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "c": ["a", "b", "a"]})
        >>> enc = TabularEncoder(Schema.infer(df)).fit(df)
        >>> arrays = enc.encode(df)
        >>> arrays["x"].ravel().astype(float).round(3).tolist(), arrays["c"].tolist()
        ([-1.225, 0.0, 1.225], [0, 1, 0])
        >>> back = enc.decode(arrays)  # float32 codes: equal to ~1e-7 relative
        >>> bool(np.allclose(back["x"], df["x"])), back["c"].tolist()
        (True, ['a', 'b', 'a'])
    """

    def __init__(self, schema: Schema) -> None:
        if not isinstance(schema, Schema):
            raise SchemaError(f"TabularEncoder needs a Schema, got {type(schema).__name__}")
        self.schema = schema
        self.mean_: dict[str, np.ndarray] | None = None
        self.std_: dict[str, np.ndarray] | None = None

    @property
    def is_fitted(self) -> bool:
        """Whether :meth:`fit` (or :meth:`from_dict`) has set the scaling statistics."""
        return self.mean_ is not None

    def fit(self, df: pd.DataFrame) -> TabularEncoder:
        """Store the mean and standard deviation of every continuous variable; return ``self``."""
        self.schema.validate(df)
        if len(df) == 0:
            raise SchemaError("cannot fit an encoder on an empty DataFrame")
        mean: dict[str, np.ndarray] = {}
        std: dict[str, np.ndarray] = {}
        for var in self.schema.values():
            if var.kind != "continuous":
                continue
            x = _continuous_block(var, df)
            if len(var.shape) == 3:
                # an image (C, H, W): one mean and scale for every pixel, so the encoding keeps
                # the image's spatial structure (per-pixel scaling would blow up the near-constant
                # border pixels); its codec is still an affine map per entry
                sd_all = float(x.std())
                mean[var.name] = np.full(var.dim, float(x.mean()))
                std[var.name] = np.full(var.dim, sd_all if sd_all > 0 else 1.0)
                continue
            # Statistics on x / 2^k, where 2^k is the column's magnitude: exact for ordinary data
            # (dividing by a power of two loses nothing) and free of overflow for data near 1e300
            # or underflow near 1e-300, whose squares would otherwise be inf or 0.
            magnitude = np.abs(x).max(axis=0)
            scale = np.exp2(np.round(np.log2(np.where(magnitude > 0, magnitude, 1.0))))
            mu = (x / scale).mean(axis=0)
            sd = (x / scale).std(axis=0)
            # As scikit-learn's _handle_zeros_in_scale, relative to the column's magnitude: a
            # (numerically) constant column keeps scale 1, so it encodes to zeros instead of
            # dividing by ~0.
            tiny = 10 * np.finfo(np.float64).eps * np.maximum(np.abs(mu), 1.0)
            mean[var.name] = mu * scale
            std[var.name] = np.where(sd < tiny, 1.0, sd * scale)
        self.mean_, self.std_ = mean, std
        return self

    @classmethod
    def from_statistics(
        cls,
        schema: Schema,
        mean: Mapping[str, np.ndarray],
        std: Mapping[str, np.ndarray],
    ) -> TabularEncoder:
        """A fitted encoder from each continuous variable's mean and standard deviation,
        computed elsewhere (e.g. over the row groups of a table too large for memory)."""
        return cls.from_dict(
            {
                "schema": schema.to_dict(),
                "mean": {k: np.asarray(v).tolist() for k, v in mean.items()},
                "std": {k: np.asarray(v).tolist() for k, v in std.items()},
            }
        )

    def encode(
        self, df: pd.DataFrame, columns: Iterable[str] | None = None
    ) -> dict[str, np.ndarray]:
        """Validate ``df`` and return ``{name: array}`` for the variables in ``columns`` (default all).

        Continuous: float32 ``(n, dim)``, standardised. Binary / categorical: int64 ``(n,)`` codes.
        """
        mean, std = self._stats()
        names = self.schema.names if columns is None else self.schema.subset(columns).names
        self.schema.validate(df, names)
        out: dict[str, np.ndarray] = {}
        for name in names:
            var = self.schema[name]
            if var.kind == "continuous":
                z = (_continuous_block(var, df) - mean[name]) / std[name]
                out[name] = z.astype(np.float32)
            else:
                out[name] = category_codes(var, df[name])
        return out

    def decode(self, arrays: Mapping[str, Any], index: pd.Index | None = None) -> pd.DataFrame:
        """Invert :meth:`encode`: arrays (NumPy, or anything ``np.asarray`` accepts) -> DataFrame.

        Args:
            arrays: ``{name: array}`` for some or all variables; continuous arrays may be
                ``(n, dim)`` or, for scalars, ``(n,)``; discrete arrays hold integer codes.
            index: The index of the result (default ``RangeIndex(n)``).

        Returns:
            The DataFrame in the user's units and categories, columns in schema order.
        """
        mean, std = self._stats()
        unknown = [k for k in arrays if k not in self.schema]
        if unknown:
            raise SchemaError(
                f"cannot decode unknown variable(s) {unknown}; schema variables: "
                f"{list(self.schema.names)}"
            )
        names = [n for n in self.schema.names if n in arrays]
        lengths = {n: len(np.asarray(arrays[n])) for n in names}
        if len(set(lengths.values())) > 1:
            raise SchemaError(f"arrays to decode have different lengths: {lengths}")
        n = next(iter(lengths.values())) if lengths else (0 if index is None else len(index))
        if index is not None and len(index) != n:
            raise SchemaError(f"index has {len(index)} entries but the arrays have {n} rows")
        columns: dict[str, Any] = {}
        for name in names:
            var = self.schema[name]
            a = np.asarray(arrays[name])
            if var.kind == "continuous":
                a = a.astype(np.float64).reshape(n, -1)
                if a.shape[1] != var.dim:
                    raise SchemaError(
                        f"variable {name!r} has dim {var.dim} but the array has {a.shape[1]} "
                        "entries per row"
                    )
                x = a * std[name] + mean[name]
                for j, col in enumerate(var.columns):
                    columns[col] = x[:, j]
            else:
                columns[name] = _decode_codes(var, a.reshape(-1))
        return pd.DataFrame(columns, index=index)

    def _stats(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        if self.mean_ is None or self.std_ is None:
            raise NotFittedError("this TabularEncoder is not fitted; call fit(df) first")
        return self.mean_, self.std_

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable description (schema and scaling statistics)."""
        mean, std = self._stats()
        return {
            "format": _ENCODER_FORMAT,
            "schema": self.schema.to_dict(),
            "mean": {k: v.tolist() for k, v in mean.items()},
            "std": {k: v.tolist() for k, v in std.items()},
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TabularEncoder:
        """Rebuild a fitted encoder from :meth:`to_dict` output."""
        if not isinstance(d, Mapping) or not {"schema", "mean", "std"} <= set(d):
            raise SchemaError("a stored encoder needs 'schema', 'mean' and 'std'")
        if d.get("format", _ENCODER_FORMAT) != _ENCODER_FORMAT:
            raise SchemaError(
                f"stored encoder has format {d.get('format')!r}; this version reads format "
                f"{_ENCODER_FORMAT}"
            )
        enc = cls(Schema.from_dict(d["schema"]))
        mean: dict[str, np.ndarray] = {}
        std: dict[str, np.ndarray] = {}
        for var in enc.schema.values():
            if var.kind != "continuous":
                continue
            try:
                mu = np.asarray(d["mean"][var.name], dtype=np.float64).reshape(var.dim)
                sd = np.asarray(d["std"][var.name], dtype=np.float64).reshape(var.dim)
            except (KeyError, ValueError, TypeError) as exc:
                raise SchemaError(
                    f"stored encoder has no valid mean/std for variable {var.name!r}"
                ) from exc
            if not (np.all(np.isfinite(mu)) and np.all(np.isfinite(sd)) and np.all(sd > 0)):
                raise SchemaError(f"stored encoder has invalid mean/std for {var.name!r}")
            mean[var.name], std[var.name] = mu, sd
        enc.mean_, enc.std_ = mean, std
        return enc


def _continuous_block(var: Variable, df: pd.DataFrame) -> np.ndarray:
    return np.column_stack([continuous_values(df[c], c) for c in var.columns]).reshape(
        len(df), var.dim
    )


def _decode_codes(var: Variable, codes: np.ndarray) -> Any:
    assert var.categories is not None
    if codes.dtype.kind == "f":
        if not np.all(np.isfinite(codes)) or np.any(codes != np.round(codes)):
            raise SchemaError(f"codes of variable {var.name!r} must be integers")
    elif codes.dtype.kind not in "iub":
        raise SchemaError(f"codes of variable {var.name!r} must be integers, got {codes.dtype}")
    codes = codes.astype(np.int64)
    bad = (codes < 0) | (codes >= var.n_categories)
    if bad.any():
        raise SchemaError(
            f"variable {var.name!r} has codes outside 0..{var.n_categories - 1}, e.g. "
            f"{int(codes[bad][0])}"
        )
    values = np.empty(var.n_categories, dtype=object)
    values[:] = list(var.categories)
    return pd.Series(values[codes]).infer_objects().array
