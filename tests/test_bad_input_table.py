"""A hostile user's inputs, as a table: each case names the exception class it must raise and a
pattern the message must contain — the culprit (node, column, file, value) and, where there is
one, what to do. Graphs, identification, data, DeepSCM queries, estimators, discovery, model files
and the command line."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from deepcausal import CausalGraph, identify
from deepcausal.cli.main import main as cli
from deepcausal.data import Schema, Variable
from deepcausal.discovery import Knowledge, discover
from deepcausal.errors import (
    AbductionError,
    CapabilityError,
    DataError,
    DataWarning,
    GraphError,
    KnowledgeError,
    ModelFileError,
    NotFittedError,
    NotIdentifiable,
    OutputError,
    SchemaError,
)
from deepcausal.estimators import AIPW, DML, IPW, DragonNet, PSMatching, RegressionAdjustment
from deepcausal.mechanisms import make_mechanism
from deepcausal.nn import TrainConfig
from deepcausal.scm import DeepSCM

RNG = np.random.default_rng(0)
N = 200
X2 = RNG.normal(size=(N, 2))
T = RNG.binomial(1, 1 / (1 + np.exp(-X2[:, 0])))
Y = 2.0 * T + X2[:, 0] + RNG.normal(size=N)
FRAME = pd.DataFrame({"X": X2[:, 0], "Y": 2 * X2[:, 0] + RNG.normal(size=N)})
FAST = TrainConfig(max_epochs=2, progress=False)


@dataclass
class Context:
    """Shared fitted objects and a scratch folder."""

    tmp: Path
    scm: DeepSCM
    gan_scm: DeepSCM
    aipw: RegressionAdjustment
    model_dir: Path
    csv: Path


@dataclass(frozen=True)
class Case:
    id: str
    call: Callable[[Context], Any]
    error: type[BaseException]
    match: str


def _scm(**kwargs: Any) -> DeepSCM:
    return DeepSCM("X -> Y", training=FAST, progress=False, random_state=0, **kwargs)


def _fitted_estimator() -> RegressionAdjustment:
    frame = pd.DataFrame(X2, columns=["age", "dose"])
    return RegressionAdjustment(n_bootstrap=3, random_state=0).fit(frame, T, Y)


def _edit_manifest(ctx: Context, edit: Callable[[dict[str, Any]], None]) -> Path:
    folder = ctx.tmp / f"edited-{len(list(ctx.tmp.iterdir()))}"
    ctx.scm.save(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    edit(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def _flip_a_bit(ctx: Context, role: str) -> Path:
    folder = ctx.tmp / f"flipped-{role}"
    ctx.scm.save(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    path = folder / manifest["files"][role]["file"]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 4
    path.write_bytes(bytes(data))
    return folder


def _cli(*argv: str) -> int:
    code = cli(list(argv))
    if code != 0:
        raise SystemExit(code)
    return code


def _mixed_csv(ctx: Context) -> str:
    path = ctx.tmp / "mixed.csv"
    frame = FRAME.astype({"X": str})
    frame.loc[[4, 9], "X"] = "?"
    frame.to_csv(path, index=False)
    return str(path)


# --------------------------------------------------------------------------------------- graphs
GRAPHS = [
    Case("cycle", lambda c: CausalGraph("A -> B; B -> C; C -> A"), GraphError, "cycle: .*A"),
    Case("self loop", lambda c: CausalGraph("A -> A"), GraphError, "self loop on node 'A'"),
    Case("dangling arrow", lambda c: CausalGraph("A -> "), GraphError, "position 2"),
    Case("undirected", lambda c: CausalGraph("A -- B"), GraphError, "undirected edges"),
    Case("double arrow", lambda c: CausalGraph("A --> B"), GraphError, "position 2"),
    Case("not a string", lambda c: CausalGraph(5), GraphError, "must be a str, got int"),
    Case("unknown parent", lambda c: CausalGraph("A -> B").parents("Z"), GraphError, "'Z'"),
    Case("unknown do", lambda c: CausalGraph("A -> B").do("Z"), GraphError, "'Z'"),
    Case("unknown in d-sep", lambda c: CausalGraph("A -> B").d_separated("A", "Q"), GraphError,
         "'Q'"),
    Case("unknown in subgraph", lambda c: CausalGraph("A -> B").subgraph(["A", "Q"]), GraphError,
         "'Q'"),
    Case("unknown latent", lambda c: CausalGraph("A -> B").latent_projection(["Q"]), GraphError,
         "'Q'"),
    Case("networkx cycle", lambda c: CausalGraph.from_networkx(nx.DiGraph([("a", "b"), ("b", "a")])),
         GraphError, "cycle"),
    Case("empty graph scm", lambda c: DeepSCM(""), GraphError, "graph is empty"),
    Case("empty graph query", lambda c: identify(CausalGraph(""), "X", "Y"), GraphError,
         "graph is empty"),
    Case("non-identified do on an ADMG scm", lambda c: DeepSCM("X -> Y; X <-> Y").do(X=1),
         NotIdentifiable, "(?s)hedge.*bound"),
    Case("non-string node", lambda c: CausalGraph("A -> B").parents(3), GraphError,
         "must be strings \\(or a list of them\\), got 3"),
]  # fmt: skip

# ------------------------------------------------------------------------------ identification
IDENTIFY = [
    Case("unknown treatment", lambda c: identify(CausalGraph("X -> Y"), "Z", "Y"), GraphError,
         "unknown treatment 'Z'"),
    Case("unknown outcome", lambda c: identify(CausalGraph("X -> Y"), "X", "Q"), GraphError,
         "unknown outcome 'Q'"),
    Case("unknown given", lambda c: identify(CausalGraph("X -> Y"), "X", "Y", "W"), GraphError,
         "'W'"),
    Case("overlap", lambda c: identify(CausalGraph("X -> Y"), "X", "X"), GraphError,
         "overlap: \\['X'\\]"),
    Case("hedge", lambda c: identify(CausalGraph("X -> Y; X <-> Y"), "X", "Y"), NotIdentifiable,
         "hedge"),
    Case("bow arc with mediator", lambda c: identify(CausalGraph("X -> M; M -> Y; X <-> M"),
         "X", "Y"), NotIdentifiable, "hedge"),
]  # fmt: skip

# --------------------------------------------------------------------------------- data / fit
DATA = [
    Case("fit not a frame", lambda c: _scm().fit([1, 2]), DataError, "needs a pandas DataFrame"),
    Case("fit missing column", lambda c: _scm().fit(FRAME[["X"]]), SchemaError, "'Y'"),
    Case("fit NaN", lambda c: _scm().fit(FRAME.assign(Y=FRAME.Y.where(FRAME.index != 3))),
         SchemaError, "'Y'.*NaN|NaN.*'Y'"),
    Case("fit inf", lambda c: _scm().fit(FRAME.assign(X=np.inf)), SchemaError,
         "'X' has 200 infinite"),
    Case("fit all missing", lambda c: _scm().fit(FRAME.assign(X=np.nan)), SchemaError,
         "'X' holds only missing"),
    Case("fit one row", lambda c: _scm().fit(FRAME.head(1)), DataError, "at least 2 rows, got 1"),
    Case("fit ? in numbers", lambda c: _scm().fit(pd.read_csv(_mixed_csv(c))), SchemaError,
         "'X' mixes numbers with text: \\['\\?'\\] in 2 row\\(s\\) \\(first rows \\[4, 9\\]\\)"),
    Case("schema kind", lambda c: Variable("x", "image"), SchemaError, "kind"),
    Case("schema duplicate", lambda c: Schema([Variable("x", "continuous")] * 2), SchemaError,
         "'x'"),
    Case("binary with three values", lambda c: Schema.infer(pd.DataFrame({"b": [1, 2, 3] * 5}),
         kinds={"b": "binary"}), SchemaError, "'b' is declared binary but has 3 distinct"),
    Case("unknown family", lambda c: _scm(mechanisms="difusion"), ValueError,
         "unknown mechanism family 'difusion'"),
    Case("family for a node not in graph", lambda c: _scm(mechanisms={"Q": "flow"}), GraphError,
         "'Q'"),
    Case("bad hyper-parameter", lambda c: _scm(mechanisms="flow",
         mechanism_kwargs={"flow": {"bins": 0}}).fit(FRAME), ValueError,
         "node 'X' \\(continuous\\): bins must be >= 2"),
    Case("unknown hyper-parameter", lambda c: make_mechanism("vae", "continuous", 1, 1, laten=2),
         ValueError, "unknown hyper-parameter\\(s\\) \\['laten'\\]"),
    Case("diffusion on categorical", lambda c: make_mechanism("diffusion", "categorical", 3, 1),
         ValueError, "'diffusion' models .*not 'categorical'"),
    Case("log_prob of a GAN", lambda c: make_mechanism("gan", "continuous", 1, 0).log_prob(
         __import__("torch").zeros(2, 1), __import__("torch").zeros(2, 0)), CapabilityError,
         "'gan' mechanism has no log-density"),
    Case("huge values refused by estimators", lambda c: AIPW().fit(X2 * 1e200, T, Y), DataError,
         "X column 0 holds values as large as"),
    Case("huge outcome refused", lambda c: AIPW().fit(X2, T, Y * 1e150), DataError,
         "y its values holds values as large as"),
]  # fmt: skip

# ------------------------------------------------------------------------------ DeepSCM queries
QUERIES = [
    Case("unfitted sample", lambda c: _scm().sample(3), NotFittedError, "call fit"),
    Case("unfitted counterfactual", lambda c: _scm().counterfactual(FRAME, do={"X": 0}),
         NotFittedError, "call fit"),
    Case("sample zero", lambda c: c.scm.sample(0), DataError, "positive integer, got 0"),
    Case("sample negative", lambda c: c.scm.sample(-5), DataError, "got -5"),
    Case("sample float", lambda c: c.scm.sample(2.5), DataError, "got 2.5"),
    Case("sample string", lambda c: c.scm.sample("10"), DataError, "got '10'"),
    Case("do unknown node", lambda c: c.scm.do(Z=1.0), GraphError, "unknown intervened node 'Z'"),
    Case("do nothing", lambda c: c.scm.do(), GraphError, "at least one intervention"),
    Case("do twice", lambda c: c.scm.do({"X": 1.0}, X=2.0), GraphError, "\\['X'\\].*twice"),
    Case("do text on continuous", lambda c: c.scm.do(X="high"), SchemaError,
         "'X' needs a number, got 'high'"),
    Case("do wrong length", lambda c: c.scm.do(X=[1.0, 2.0]).sample(5), DataError,
         "'X' gives 2 values for 5 rows"),
    Case("counterfactual without do", lambda c: c.scm.counterfactual(FRAME.head()), GraphError,
         "needs an intervention"),
    Case("counterfactual not a frame", lambda c: c.scm.counterfactual(
         FRAME.to_numpy(), do={"X": 0.0}), DataError, "must be a pandas DataFrame, got ndarray"),
    Case("counterfactual empty", lambda c: c.scm.counterfactual(FRAME.head(0), do={"X": 0.0}),
         DataError, "no factual rows"),
    Case("counterfactual missing column", lambda c: c.scm.counterfactual(FRAME[["X"]].head(),
         do={"X": 0.0}), SchemaError, "missing column 'Y'"),
    Case("counterfactual n_samples", lambda c: c.scm.counterfactual(FRAME.head(), do={"X": 0.0},
         n_samples=0), DataError, "n_samples must be a positive integer"),
    Case("counterfactual through a GAN", lambda c: c.gan_scm.counterfactual(FRAME.head(),
         do={"X": 0.0}), AbductionError, "recomputes node 'Y'.*'gan'.*exact: additive"),
    Case("ate unknown treatment", lambda c: c.scm.ate("Q", "Y"), GraphError, "'Q'"),
    Case("ate NaN in factual", lambda c: c.scm.counterfactual(FRAME.head().assign(X=np.nan),
         do={"Y": 0.0}), SchemaError, "'X'"),
    Case("save to a file", lambda c: c.scm.save(c.csv), ModelFileError, "it is a file"),
    Case("save among user files", lambda c: c.scm.save(c.csv.parent), ModelFileError,
         "not a deepcausal model"),
    Case("save over a model", lambda c: c.scm.save(c.model_dir), ModelFileError,
         "overwrite=True"),
]  # fmt: skip

# --------------------------------------------------------------------------------- estimators
ESTIMATORS = [
    Case("X 1-D", lambda c: AIPW().fit(X2[:, 0], T, Y), DataError, "reshape\\(-1, 1\\)"),
    Case("X 3-D", lambda c: IPW().fit(X2.reshape(N, 2, 1), T, Y), DataError, "shape \\(200, 2, 1\\)"),
    Case("X NaN", lambda c: AIPW().fit(np.where(np.arange(N)[:, None] == 7, np.nan, X2), T, Y),
         DataError, "row 7, column 0"),
    Case("X inf in frame", lambda c: AIPW().fit(pd.DataFrame(X2, columns=["a", "b"]).assign(
         b=np.inf), T, Y), DataError, "column 'b'"),
    Case("X text column", lambda c: AIPW().fit(pd.DataFrame({"a": ["x"] * N}), T, Y), DataError,
         "non-numeric columns \\['a'\\]"),
    Case("X no rows", lambda c: AIPW().fit(np.zeros((0, 2)), [], []), DataError, "no rows"),
    Case("X no columns", lambda c: AIPW().fit(np.zeros((N, 0)), T, Y), DataError, "no columns"),
    Case("t single arm", lambda c: AIPW().fit(X2, np.ones(N), Y), DataError, "single treatment arm"),
    Case("t NaN", lambda c: AIPW().fit(X2, np.where(np.arange(N) == 5, np.nan, T), Y), DataError,
         "row 5"),
    Case("t missing label", lambda c: AIPW().fit(X2, np.where(T == 1, "a", None), Y), DataError,
         "missing values \\(first in row"),
    Case("t continuous", lambda c: AIPW().fit(X2, RNG.normal(size=N), Y), DataError,
         "non-integer values"),
    Case("t lonely arm", lambda c: AIPW().fit(X2, np.r_[np.zeros(N - 1), 1], Y), DataError,
         "arm 1.0 has 1 unit"),
    Case("t three arms for DML", lambda c: DML().fit(X2, T + (X2[:, 1] > 1), Y), DataError,
         "needs a binary treatment"),
    Case("t length", lambda c: AIPW().fit(X2, T[:-1], Y), DataError, "t has 199 rows but X has 200"),
    Case("y NaN", lambda c: AIPW().fit(X2, T, np.where(np.arange(N) == 9, np.nan, Y)), DataError,
         "y has NaN.*row 9"),
    Case("y text", lambda c: AIPW().fit(X2, T, ["a"] * N), DataError, "y must be numeric"),
    Case("y two columns", lambda c: AIPW().fit(X2, T, np.c_[Y, Y]), DataError, "y must be 1-D"),
    Case("unfitted ate", lambda c: AIPW().ate(), NotFittedError, "not fitted yet"),
    Case("level above 1", lambda c: c.aipw.ate(level=1.5), ValueError, "level must be in \\(0, 1\\)"),
    Case("arm unknown", lambda c: c.aipw.ate(arm=7), DataError, "arm=7 is not a treatment value"),
    Case("arm is control", lambda c: c.aipw.ate(arm=0), DataError, "is the control arm"),
    Case("control unknown", lambda c: RegressionAdjustment().fit(X2, T, Y, control=5), DataError,
         "control=5 is not a value of t"),
    Case("overlap option", lambda c: AIPW().fit(X2, T, Y, overlap="maybe"), ValueError,
         "overlap must be 'check' or 'warn'"),
    Case("reordered columns", lambda c: c.aipw.effect(pd.DataFrame(X2, columns=["dose", "age"])),
         DataError, "another order"),
    Case("renamed columns", lambda c: c.aipw.effect(pd.DataFrame(X2, columns=["age", "weight"])),
         DataError, "missing \\['dose'\\], unexpected \\['weight'\\]"),
    Case("wrong width", lambda c: c.aipw.effect(X2[:, :1]), DataError, "1 columns, but"),
    Case("no overlap", lambda c: IPW().fit(X2, (X2[:, 0] > 0).astype(int), Y), DataError,
         "no overlap"),
    Case("learner not sklearn", lambda c: AIPW(outcome_model="gbm").fit(X2, T, Y), ValueError,
         "outcome_model must be a scikit-learn estimator"),
    Case("classifier needed", lambda c: IPW(propensity_model=__import__(
         "sklearn.linear_model").linear_model.LinearRegression()).fit(X2, T, Y), ValueError,
         "classifier with predict_proba"),
    Case("one fold", lambda c: AIPW(n_folds=1).fit(X2, T, Y), ValueError, "n_folds must be >= 2"),
    Case("clip", lambda c: AIPW(clip=0.7).fit(X2, T, Y), ValueError, "clip must be in"),
    Case("matching three arms", lambda c: PSMatching().fit(X2, T + (X2[:, 1] > 1), Y), DataError,
         "binary treatment"),
    Case("dragonnet three arms", lambda c: DragonNet().fit(X2, T + (X2[:, 1] > 1), Y), DataError,
         "binary treatment"),
    Case("dml form", lambda c: DML(cate="quadratic").fit(X2, T, Y), ValueError, "'quadratic'"),
]  # fmt: skip

# ---------------------------------------------------------------------------------- discovery
DISCOVERY = [
    Case("not a frame", lambda c: discover([[1, 2]]), DataError, "got list"),
    Case("one variable", lambda c: discover(FRAME[["X"]]), DataError, "at least 2 variables"),
    Case("one row", lambda c: discover(FRAME.head(1)), DataError, "at least 2 rows"),
    Case("discover NaN", lambda c: discover(FRAME.assign(X=np.nan)), DataError, "'X' \\(200\\)"),
    Case("text", lambda c: discover(FRAME.assign(X="a")), DataError, "column 'X' has non-numeric"),
    Case("duplicate columns", lambda c: discover(pd.DataFrame(X2, columns=["a", "a"])), DataError,
         "duplicate column name\\(s\\) \\['a'\\]"),
    Case("unknown method", lambda c: discover(FRAME, method="magic"), ValueError,
         "unknown discovery method 'magic'"),
    Case("unknown option", lambda c: discover(FRAME, method="pc", bogus=1), ValueError,
         "takes no option\\(s\\) \\['bogus'\\]; its options are .*'alpha'"),
    Case("knowledge unknown node", lambda c: discover(FRAME, knowledge=Knowledge(
         forbidden=["X -> Q"])), KnowledgeError, "unknown node\\(s\\) \\['Q'\\]"),
    Case("knowledge contradiction", lambda c: discover(FRAME, knowledge=Knowledge(
         required=["X -> Y"], forbidden=["X -> Y"])), KnowledgeError,
         "X -> Y is both required and forbidden"),
    Case("knowledge malformed", lambda c: Knowledge(forbidden=["X Y"]), KnowledgeError, "'X Y'"),
    Case("array 3-D", lambda c: discover(np.zeros((4, 2, 2))), DataError, "2-d array"),
]  # fmt: skip

# -------------------------------------------------------------------------------- model files
MODEL_FILES = [
    Case("not a folder", lambda c: DeepSCM.load(c.csv), ModelFileError, "not a directory"),
    Case("missing", lambda c: DeepSCM.load(c.tmp / "nope"), ModelFileError, "not a directory"),
    Case("empty folder", lambda c: DeepSCM.load(c.tmp / "empty"), ModelFileError,
         "no manifest.json"),
    Case("weights bit flip", lambda c: DeepSCM.load(_flip_a_bit(c, "weights.safetensors")),
         ModelFileError, "weights-[0-9a-f]+.safetensors \\(weights.safetensors\\) does not match"),
    Case("encoder bit flip", lambda c: DeepSCM.load(_flip_a_bit(c, "encoder.json")),
         ModelFileError, "\\(encoder.json\\) does not match"),
    Case("schema bit flip", lambda c: DeepSCM.load(_flip_a_bit(c, "schema.json")),
         ModelFileError, "\\(schema.json\\) does not match"),
    Case("config bit flip", lambda c: DeepSCM.load(_flip_a_bit(c, "config.json")),
         ModelFileError, "\\(config.json\\) does not match"),
    Case("manifest path escape", lambda c: DeepSCM.load(_edit_manifest(c, lambda m: m["files"][
         "config.json"].update(file="../x.json"))), ModelFileError, "'config.json' is malformed"),
    Case("manifest version", lambda c: DeepSCM.load(_edit_manifest(c, lambda m: m.update(
         format_version=7))), ModelFileError, "format version 7"),
    Case("manifest kind", lambda c: DeepSCM.load(_edit_manifest(c, lambda m: m.update(
         kind="Estimator"))), ModelFileError, "holds a deepcausal Estimator model"),
    Case("manifest without files", lambda c: DeepSCM.load(_edit_manifest(c, lambda m: m.update(
         files={}))), ModelFileError, "lists no files"),
]  # fmt: skip

# ------------------------------------------------------------------------------ command line
CLI = [
    Case("missing data file", lambda c: _cli("fit", str(c.tmp / "no.csv"), "--graph", "X -> Y",
         "--out", str(c.tmp / "m1")), SystemExit, "1"),
    Case("bad graph", lambda c: _cli("identify", "--graph", "X -> -> Y", "--treatment", "X",
         "--outcome", "Y"), SystemExit, "1"),
    Case("not identifiable", lambda c: _cli("identify", "--graph", "X -> Y; X <-> Y",
         "--treatment", "X", "--outcome", "Y"), SystemExit, "2"),
    Case("usage", lambda c: _cli("sample"), SystemExit, "2"),
    Case("out is input", lambda c: _cli("counterfactual", str(c.model_dir), "--data", str(c.csv),
         "--do", "X=0", "--out", str(c.csv)), SystemExit, "1"),
    Case("malformed --do", lambda c: _cli("sample", str(c.model_dir), "--do", "X", "--out",
         str(c.tmp / "s.csv")), SystemExit, "1"),
    Case("malformed --mechanism", lambda c: _cli("fit", str(c.csv), "--graph", "X -> Y",
         "--mechanism", "Y", "--out", str(c.tmp / "m2")), SystemExit, "1"),
    Case("cli unknown family", lambda c: _cli("fit", str(c.csv), "--graph", "X -> Y",
         "--mechanisms", "magic", "--out", str(c.tmp / "m3")), SystemExit, "1"),
    Case("fit into the data folder", lambda c: _cli("fit", str(c.csv), "--graph", "X -> Y",
         "--out", str(c.csv.parent)), SystemExit, "1"),
    Case("unknown discovery method", lambda c: _cli("discover", str(c.csv), "--method", "magic",
         "--out", str(c.tmp / "g")), SystemExit, "2"),
    Case("mixed column", lambda c: _cli("fit", _mixed_csv(c), "--graph", "X -> Y", "--out",
         str(c.tmp / "m4")), SystemExit, "1"),
    Case("effect unknown column", lambda c: _cli("effect", str(c.csv), "--graph", "X -> Y",
         "--treatment", "T", "--outcome", "Y"), SystemExit, "1"),
]  # fmt: skip

ALL = GRAPHS + IDENTIFY + DATA + QUERIES + ESTIMATORS + DISCOVERY + MODEL_FILES + CLI


def test_the_table_is_large_and_ids_are_unique() -> None:
    assert len(ALL) >= 120
    assert len({c.id for c in ALL}) == len(ALL)


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Context:
    tmp = tmp_path_factory.mktemp("bad-input")
    (tmp / "empty").mkdir()
    data_dir = tmp / "project"
    data_dir.mkdir()
    csv = data_dir / "data.csv"
    FRAME.to_csv(csv, index=False)
    scm = _scm(mechanisms="additive").fit(FRAME)
    model_dir = tmp / "model"
    scm.save(model_dir)
    gan = _scm(mechanisms={"X": "additive", "Y": "gan"}).fit(FRAME)
    return Context(tmp, scm, gan, _fitted_estimator(), model_dir, csv)


@pytest.mark.parametrize("case", ALL, ids=[c.id for c in ALL])
def test_bad_input_is_named(
    case: Case, context: Context, capsys: pytest.CaptureFixture[str]
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        with pytest.raises(case.error) as info:
            case.call(context)
    if case.error is SystemExit:
        assert str(info.value.code) == case.match
        err = capsys.readouterr().err
        assert err.strip() and "Traceback" not in err, err
    else:
        import re

        assert re.search(case.match, str(info.value)), f"{case.id}: {info.value}"


def test_discovery_warns_when_variables_outnumber_rows() -> None:
    with pytest.warns(DataWarning, match="5 rows for 10 variables"):
        discover(pd.DataFrame(RNG.normal(size=(5, 10))), method="pc")


def test_outputs_are_refused_before_work(tmp_path: Path) -> None:
    from deepcausal.cli._common import check_output_file

    (tmp_path / "a.csv").write_text("x\n1\n")
    with pytest.raises(OutputError, match="is the input"):
        check_output_file(tmp_path / "a.csv", [tmp_path / "a.csv"])
