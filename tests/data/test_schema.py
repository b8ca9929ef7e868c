"""Variable and Schema: construction, inference, validation messages, graph check, JSON round trip."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deepcausal.data import Schema, Variable
from deepcausal.errors import DataError, SchemaError
from deepcausal.graph import CausalGraph

# ------------------------------------------------------------------------------ Variable


def test_variable_sorts_categories_and_reports_sizes() -> None:
    v = Variable("c", "categorical", ("red", "blue", "green"))
    assert v.categories == ("blue", "green", "red")
    assert v.n_categories == 3
    assert v.dim == 1
    assert v.columns == ("c",)
    assert v.is_discrete


def test_variable_mixed_type_categories_have_one_order() -> None:
    v = Variable("m", "categorical", ("b", 2, True, 1.5, "a"))
    assert v.categories == (True, 1.5, 2, "a", "b")
    assert [type(c) for c in v.categories] == [bool, float, int, str, str]


def test_variable_converts_numpy_scalars() -> None:
    v = Variable("t", "binary", (np.int64(1), np.int64(0)))  # type: ignore[arg-type]
    assert v.categories == (0, 1)
    assert all(type(c) is int for c in v.categories)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "", "kind": "continuous"}, "non-empty string"),
        ({"name": "x", "kind": "ordinal"}, "unknown kind 'ordinal'"),
        ({"name": "x", "kind": "continuous", "categories": (0, 1)}, "has no categories"),
        ({"name": "t", "kind": "binary", "categories": (0, 1, 2)}, "exactly two values"),
        ({"name": "t", "kind": "binary"}, "needs a tuple of categories"),
        ({"name": "c", "kind": "categorical", "categories": (1, True)}, "duplicate categories"),
        ({"name": "c", "kind": "categorical", "categories": (float("nan"),)}, "cannot be nan"),
        ({"name": "c", "kind": "categorical", "categories": ((1, 2),)}, "must be bool, int"),
        ({"name": "c", "kind": "categorical", "categories": ("a",), "shape": (2,)}, "scalar"),
        ({"name": "x", "kind": "continuous", "shape": (0, 3)}, "non-positive"),
    ],
)
def test_variable_rejects_bad_definitions(kwargs: dict, message: str) -> None:
    with pytest.raises(SchemaError, match=re.escape(message)):
        Variable(**kwargs)


def test_vector_and_image_variables() -> None:
    v = Variable("img", "continuous", shape=(1, 2, 3))
    assert v.dim == 6
    assert v.columns == tuple(f"img[{i}]" for i in range(6))
    with pytest.raises(SchemaError, match="continuous and has no categories"):
        _ = v.n_categories


def test_variable_equality_is_type_aware() -> None:
    assert Variable("t", "binary", (0, 1)) != Variable("t", "binary", (False, True))
    assert Variable("t", "binary", (1, 0)) == Variable("t", "binary", (0, 1))
    assert len({Variable("t", "binary", (0, 1)), Variable("t", "binary", (False, True))}) == 2


# ------------------------------------------------------------------------------ Schema basics


def test_schema_is_an_ordered_mapping() -> None:
    schema = Schema([Variable("b", "continuous"), Variable("a", "binary", ("no", "yes"))])
    assert schema.names == ("b", "a")
    assert list(schema) == ["b", "a"]
    assert len(schema) == 2
    assert "a" in schema and "z" not in schema
    assert schema["a"].categories == ("no", "yes")
    with pytest.raises(KeyError, match="no variable 'z'"):
        schema["z"]
    assert schema.subset(["a"]).names == ("a",)


def test_schema_rejects_duplicate_names_and_clashing_columns() -> None:
    with pytest.raises(SchemaError, match="duplicate variable name 'x'"):
        Schema([Variable("x", "continuous"), Variable("x", "continuous")])
    with pytest.raises(SchemaError, match="claimed by both"):
        Schema([Variable("v", "continuous", shape=(2,)), Variable("v[0]", "continuous")])


# ------------------------------------------------------------------------------ inference


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": [0.5, 1.5, -2.0, 3.25, 0.0],
            "n": [1, 5, 9, 2, 7],
            "t": [0, 1, 1, 0, 1],
            "b": [True, False, True, True, False],
            "s": ["no", "yes", "no", "no", "yes"],
            "c": ["red", "green", "blue", "red", "red"],
            "k": pd.Categorical(["lo", "hi", "lo", "lo", "lo"], categories=["lo", "mid", "hi"]),
        }
    )


def test_infer_kinds_follow_the_rules() -> None:
    schema = Schema.infer(_frame())
    kinds = {name: var.kind for name, var in schema.items()}
    assert kinds == {
        "x": "continuous",
        "n": "continuous",
        "t": "binary",
        "b": "binary",
        "s": "binary",
        "c": "categorical",
        "k": "categorical",
    }
    assert schema["t"].categories == (0, 1)
    assert schema["b"].categories == (False, True)
    assert schema["s"].categories == ("no", "yes")
    assert schema["c"].categories == ("blue", "green", "red")
    assert schema["k"].categories == ("hi", "lo", "mid")  # the dtype's categories, even unseen


def test_infer_respects_declared_kinds() -> None:
    schema = Schema.infer(_frame(), kinds={"n": "categorical", "t": "continuous"})
    assert schema["n"].kind == "categorical"
    assert schema["n"].categories == (1, 2, 5, 7, 9)
    assert schema["t"].kind == "continuous"


def test_infer_errors() -> None:
    df = _frame()
    with pytest.raises(SchemaError, match=r"kinds names column\(s\) \['zz'\]"):
        Schema.infer(df, kinds={"zz": "continuous"})
    with pytest.raises(SchemaError, match="unknown kind 'image'"):
        Schema.infer(df, kinds={"x": "image"})  # type: ignore[dict-item]
    with pytest.raises(SchemaError, match=r"column 'c' is continuous but has non-numeric dtype"):
        Schema.infer(df, kinds={"c": "continuous"})
    with pytest.raises(SchemaError, match="declared binary but has 3 distinct values"):
        Schema.infer(df, kinds={"c": "binary"})
    with pytest.raises(SchemaError, match="3 distinct values, more than max_categories=2"):
        Schema.infer(df, max_categories=2)
    with pytest.raises(SchemaError, match=re.escape("column 'x' has 1 NaN value (row 2)")):
        Schema.infer(df.assign(x=[0.5, 1.0, np.nan, 2.0, 3.0]))
    with pytest.raises(SchemaError, match="only missing"):
        Schema.infer(pd.DataFrame({"e": [None, None]}))
    with pytest.raises(SchemaError, match="column names must be strings"):
        Schema.infer(pd.DataFrame({0: [1.0, 2.0, 3.0]}))


# ------------------------------------------------------------------------------ validation


def _schema() -> Schema:
    return Schema(
        [
            Variable("x", "continuous"),
            Variable("t", "binary", (0, 1)),
            Variable("c", "categorical", ("blue", "green", "red")),
        ]
    )


def _valid(n: int = 100) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "t": rng.integers(0, 2, size=n),
            "c": rng.choice(["blue", "green", "red"], size=n),
        }
    )


def test_validate_accepts_valid_data_and_ignores_extra_columns() -> None:
    _schema().validate(_valid().assign(extra="anything"))


def test_validate_missing_column_lists_present_ones() -> None:
    with pytest.raises(SchemaError) as err:
        _schema().validate(_valid().drop(columns="t"))
    assert str(err.value) == "missing column 't'; the data has columns ['x', 'c']"


def test_validate_nan_message_counts_and_names_rows() -> None:
    df = _valid()
    df.loc[[4, 17, 90], "x"] = np.nan
    with pytest.raises(SchemaError) as err:
        _schema().validate(df)
    assert str(err.value) == "column 'x' has 3 NaN values (rows 4, 17, 90)"


def test_validate_inf_and_non_numeric() -> None:
    df = _valid()
    df.loc[[3, 8], "x"] = np.inf
    with pytest.raises(
        SchemaError, match=re.escape("column 'x' has 2 infinite values (rows 3, 8)")
    ):
        _schema().validate(df)
    df = _valid(5)
    df["x"] = pd.Series([1.0, 2.0, "abc", 4.0, 5.0], dtype=object)
    with pytest.raises(SchemaError, match=re.escape("non-numeric values, e.g. 'abc' (row 2)")):
        _schema().validate(df)
    df["x"] = ["a", "b", "c", "d", "e"]
    with pytest.raises(SchemaError, match=r"column 'x' is continuous but has non-numeric dtype"):
        _schema().validate(df)


def test_validate_object_column_of_numbers_is_accepted() -> None:
    df = _valid(5)
    df["x"] = pd.Series([1.0, 2, 3.5, 4, 5], dtype=object)
    _schema().validate(df)


def test_validate_unseen_category_shows_value_and_known_ones() -> None:
    df = _valid(10)
    df.loc[[5, 7], "c"] = "purple"
    with pytest.raises(SchemaError) as err:
        _schema().validate(df)
    assert str(err.value) == (
        "column 'c' has a category not seen before: 'purple' (rows 5, 7); "
        "known categories: ['blue', 'green', 'red']"
    )


def test_validate_binary_with_three_values() -> None:
    df = _valid(10)
    df.loc[2, "t"] = 2
    with pytest.raises(SchemaError, match=r"binary column 't' has 3 distinct values \[0, 1, 2\]"):
        _schema().validate(df)


def test_validate_missing_category_value() -> None:
    df = _valid(10)
    df["c"] = df["c"].astype(object)
    df.loc[6, "c"] = None
    with pytest.raises(SchemaError, match=re.escape("column 'c' has 1 missing (NaN/None) value")):
        _schema().validate(df)


def test_validate_subset_of_columns_and_bad_inputs() -> None:
    df = _valid().drop(columns=["c"])
    _schema().validate(df, columns=["x", "t"])
    with pytest.raises(SchemaError, match=r"unknown variable\(s\) \['q'\]"):
        _schema().validate(df, columns=["q"])
    with pytest.raises(SchemaError, match="expected a pandas DataFrame, got ndarray"):
        _schema().validate(np.zeros((3, 3)))  # type: ignore[arg-type]
    assert issubclass(SchemaError, DataError)


def test_validate_vector_variable_columns() -> None:
    schema = Schema([Variable("v", "continuous", shape=(2,))])
    schema.validate(pd.DataFrame({"v[0]": [1.0], "v[1]": [2.0]}))
    with pytest.raises(SchemaError, match=r"missing column 'v\[1\]'"):
        schema.validate(pd.DataFrame({"v[0]": [1.0]}))


def test_check_graph() -> None:
    schema = _schema()
    schema.check_graph(CausalGraph("x -> t; t -> c"))
    schema.check_graph(["x", "t"])
    with pytest.raises(SchemaError, match="graph node 'W' has no column in the data"):
        schema.check_graph(CausalGraph("x -> t; W -> t"))


# ------------------------------------------------------------------------------ JSON round trip


def test_schema_json_round_trip_keeps_category_types() -> None:
    schema = Schema(
        [
            Variable("x", "continuous"),
            Variable("img", "continuous", shape=(1, 4, 4)),
            Variable("t01", "binary", (0, 1)),
            Variable("tb", "binary", (False, True)),
            Variable("ts", "binary", ("no", "yes")),
            Variable("tf", "binary", (0.5, 1.0)),
            Variable("m", "categorical", ("a", 3, True, 2.5)),
        ]
    )
    back = Schema.from_dict(json.loads(json.dumps(schema.to_dict())))
    assert back == schema
    for name in schema:
        cats, back_cats = schema[name].categories, back[name].categories
        assert (cats is None) == (back_cats is None)
        if cats is not None and back_cats is not None:
            assert [type(c) for c in back_cats] == [type(c) for c in cats]
    assert back["img"].shape == (1, 4, 4)


def test_schema_from_dict_rejects_malformed_input() -> None:
    with pytest.raises(SchemaError, match="'variables' list"):
        Schema.from_dict({"vars": []})
    with pytest.raises(SchemaError, match="format 99"):
        Schema.from_dict({"format": 99, "variables": []})
    bad = {"variables": [{"name": "t", "kind": "binary", "categories": [0, 1], "shape": []}]}
    with pytest.raises(SchemaError, match="must be"):
        Schema.from_dict(bad)
    bad_type = {
        "variables": [
            {
                "name": "t",
                "kind": "binary",
                "categories": [{"type": "int", "value": "0"}, {"type": "int", "value": 1}],
            }
        ]
    }
    with pytest.raises(SchemaError, match="is not of type int"):
        Schema.from_dict(bad_type)


_category = st.one_of(
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.text(max_size=5),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_category, min_size=1, max_size=6))
def test_category_json_round_trip_property(values: list) -> None:
    # Python equality merges 1, 1.0 and True; keep one value per equality class.
    unique: dict = {}
    for v in values:
        unique.setdefault(v, v)
    var = Variable("c", "categorical", tuple(unique.values()))
    back = Variable.from_dict(json.loads(json.dumps(var.to_dict())))
    assert back == var
