"""TabularEncoder: standardisation, codes, exact inverse, JSON round trip, errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from deepcausal.data import Schema, TabularEncoder, Variable
from deepcausal.errors import NotFittedError, SchemaError


def _data(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.normal(3.0, 2.0, size=n),
            "const": np.full(n, 7.5),
            "t": rng.integers(0, 2, size=n),
            "b": rng.random(n) < 0.5,
            "s": rng.choice(["no", "yes"], size=n),
            "c": rng.choice(["blue", "green", "red"], size=n),
            "m": rng.choice(np.array([1, "a", 2.5], dtype=object), size=n),
        },
        index=pd.Index(rng.permutation(n) + 1000, name="unit"),
    )


def _float32_atol(x: np.ndarray | pd.Series) -> float:
    """Round-off of x -> float32 z-score -> x: a few float32 ulps of |z|, in x's units."""
    x = np.asarray(x, dtype=np.float64)
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    return float(4 * np.finfo(np.float32).eps * np.abs(z).max() * x.std(axis=0).max())


def _schema() -> Schema:
    return Schema.infer(_data(), kinds={"m": "categorical"})


def test_encode_shapes_dtypes_and_standardisation() -> None:
    df = _data()
    enc = TabularEncoder(_schema()).fit(df)
    arrays = enc.encode(df)
    assert arrays["x"].dtype == np.float32 and arrays["x"].shape == (len(df), 1)
    np.testing.assert_allclose(arrays["x"].mean(), 0.0, atol=1e-6)
    np.testing.assert_allclose(arrays["x"].std(), 1.0, atol=1e-6)
    np.testing.assert_array_equal(arrays["const"], 0.0)  # constant column: scale 1, no 0/0
    for name in ("t", "b", "s", "c", "m"):
        assert arrays[name].dtype == np.int64 and arrays[name].shape == (len(df),)
    assert arrays["c"].tolist() == [["blue", "green", "red"].index(v) for v in df["c"]]
    assert set(arrays["m"].tolist()) <= {0, 1, 2}


def test_decode_inverts_encode_in_user_units() -> None:
    df = _data()
    enc = TabularEncoder(_schema()).fit(df)
    back = enc.decode(enc.encode(df), index=df.index)
    assert list(back.columns) == list(df.columns)
    assert back.index.equals(df.index)
    np.testing.assert_allclose(back["x"], df["x"], rtol=0, atol=_float32_atol(df["x"]))
    np.testing.assert_array_equal(back["const"], df["const"])
    for name in ("t", "b", "s", "c"):
        assert back[name].tolist() == df[name].tolist()
    assert back["t"].dtype == np.int64 and back["b"].dtype == bool
    assert [type(v) for v in back["m"]] == [type(v) for v in df["m"]]
    assert back["m"].tolist() == df["m"].tolist()


def test_encode_subset_and_decode_subset() -> None:
    df = _data(20)
    enc = TabularEncoder(_schema()).fit(df)
    arrays = enc.encode(df[["x", "c"]], columns=["x", "c"])
    assert set(arrays) == {"x", "c"}
    back = enc.decode({"c": arrays["c"]})
    assert list(back.columns) == ["c"]
    assert back["c"].tolist() == df["c"].tolist()
    # a flat (n,) array is accepted for a scalar continuous variable
    flat = enc.decode({"x": arrays["x"].ravel()})
    np.testing.assert_allclose(flat["x"], df["x"], rtol=0, atol=_float32_atol(df["x"]))


def test_encoder_json_round_trip_gives_identical_codes() -> None:
    df = _data()
    enc = TabularEncoder(_schema()).fit(df)
    other = TabularEncoder.from_dict(json.loads(json.dumps(enc.to_dict())))
    assert other.schema == enc.schema
    a, b = enc.encode(df), other.encode(df)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])


def test_vector_variable_round_trip() -> None:
    rng = np.random.default_rng(1)
    v = rng.normal(size=(50, 3)) * [1.0, 10.0, 100.0]
    df = pd.DataFrame(v, columns=["v[0]", "v[1]", "v[2]"])
    enc = TabularEncoder(Schema([Variable("v", "continuous", shape=(3,))])).fit(df)
    arrays = enc.encode(df)
    assert arrays["v"].shape == (50, 3)
    np.testing.assert_allclose(arrays["v"].std(axis=0), 1.0, atol=1e-5)
    np.testing.assert_allclose(enc.decode(arrays).to_numpy(), v, rtol=0, atol=_float32_atol(v))


def test_encoder_errors() -> None:
    df = _data(30)
    enc = TabularEncoder(_schema())
    with pytest.raises(NotFittedError, match="call fit"):
        enc.encode(df)
    enc.fit(df)
    with pytest.raises(SchemaError, match="category not seen before: 'purple'"):
        enc.encode(df.assign(c="purple"))
    with pytest.raises(SchemaError, match=r"codes outside 0\.\.2"):
        enc.decode({"c": np.array([0, 3])})
    with pytest.raises(SchemaError, match="must be integers"):
        enc.decode({"c": np.array([0.5, 1.0])})
    with pytest.raises(SchemaError, match="unknown variable"):
        enc.decode({"zz": np.zeros(3)})
    with pytest.raises(SchemaError, match="different lengths"):
        enc.decode({"x": np.zeros(3), "c": np.zeros(4, dtype=int)})
    with pytest.raises(SchemaError, match="index has 2 entries"):
        enc.decode({"x": np.zeros(3)}, index=pd.RangeIndex(2))
    with pytest.raises(SchemaError, match="empty DataFrame"):
        TabularEncoder(_schema()).fit(df.iloc[:0])
    with pytest.raises(SchemaError, match="needs a Schema"):
        TabularEncoder({"x": 1})  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match="no valid mean/std"):
        TabularEncoder.from_dict({"schema": _schema().to_dict(), "mean": {}, "std": {}})


@pytest.mark.parametrize("scale", [1e200, 1e-200])
def test_astronomical_and_tiny_scales_are_standardised_exactly(scale: float) -> None:
    """Squares of 1e200 overflow and of 1e-200 underflow; the statistics are taken on the data
    divided by a power of two near its magnitude, so both encode to unit scale and decode back."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=300) * scale})
    enc = TabularEncoder(Schema.infer(df)).fit(df)
    z = enc.encode(df)["x"].ravel()
    assert np.isfinite(z).all() and abs(float(z.std()) - 1.0) < 1e-6
    back = enc.decode({"x": z})["x"].to_numpy()
    assert np.allclose(back, df["x"].to_numpy(), rtol=1e-6, atol=0)
