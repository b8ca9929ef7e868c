"""Causally fair synthetic data: DECAF (van Breugel, Kyono, Berrevoets & van der Schaar, NeurIPS 2021,
"DECAF: Generating Fair Synthetic Data Using Causally-Aware Generative Networks") on DeepSCM."""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from deepcausal.data import Kind, Schema
from deepcausal.errors import DataError, DataWarning, GraphError, NotFittedError, SchemaError
from deepcausal.graph import CausalGraph, as_graph
from deepcausal.nn import TrainConfig
from deepcausal.synthetic._fairness import biased_edges

__all__ = [
    "MISSING_LEVEL",
    "SYNTHESIS_TRAINING",
    "FairSynthesizer",
    "learn_graph",
    "synthesis_training",
]

logger = logging.getLogger(__name__)

#: The level a missing categorical value becomes with ``missing="level"``.
MISSING_LEVEL = "(missing)"

#: Training of the per-node GANs on tables of thousands of rows: large batches and few epochs.
SYNTHESIS_TRAINING = TrainConfig(
    max_epochs=60,
    batch_size=512,
    patience=15,
    min_delta=0.0,
    max_grad_norm=None,
    validation_fraction=0.1,
)

Missing = Literal["drop", "level", "error"]

#: Optimiser steps (of the critic) each per-column GAN takes at least, whatever the table's size.
MIN_STEPS = 3000


def synthesis_training(n_rows: int) -> TrainConfig:
    """:data:`SYNTHESIS_TRAINING` with enough epochs for :data:`MIN_STEPS` steps on ``n_rows``
    (a small table needs many epochs of few batches; early stopping ends them when done).

    >>> synthesis_training(30_000).max_epochs, synthesis_training(2_000).max_epochs
    (60, 750)
    """
    cfg = SYNTHESIS_TRAINING
    batches = max(1, math.ceil(n_rows * (1 - cfg.validation_fraction) / cfg.batch_size))
    return replace(cfg, max_epochs=max(cfg.max_epochs, min(2000, math.ceil(MIN_STEPS / batches))))


class FairSynthesizer:
    """Generate synthetic tables with the protected attribute's unfair influence removed.

    A :class:`~deepcausal.scm.DeepSCM` with one conditional GAN per node (the ``"gan"`` family: WGAN
    with a gradient penalty, Gumbel-softmax for categorical columns) is fitted to the data on a
    causal graph — given, or learned by the library's discovery with the protected attributes in
    the first tier. At generation the edges that the chosen fairness criterion marks as biased
    (:func:`deepcausal.synthetic.biased_edges`: ``"ftu"``, ``"cf"`` or ``"dp"``) are removed: the
    child receives an independent unit's value of the parent, as DECAF does. Where DECAF trains all
    node generators jointly against one critic of the whole table, each node here has its own
    conditional critic of ``(x, pa)``: the causal factorisation makes the two equivalent at the
    optimum, and the nodes train one at a time.

    Args:
        graph: the causal DAG over the table's columns; learned from the data when ``None``.
        protected: the protected attribute(s); roots of the graph.
        target: the column a downstream model will predict (e.g. ``"income"``).
        mechanisms: the mechanism family (``"gan"``) or a DeepSCM mechanism specification.
        mechanism_kwargs: hyper-parameters by family or node (see DeepSCM).
        training: training settings for every node (default: :func:`synthesis_training` of the
            table's size).
        discovery: the discovery method used when ``graph`` is ``None``.
        first: exogenous demographics (such as age or race) that join the protected attributes
            as roots of the learned graph: nothing points into them, no edge joins two of them.
        missing: ``"drop"`` rows with a missing value, read a missing categorical value as its own
            level (``"level"``), or refuse them (``"error"``). What was done is reported
            (a :class:`~deepcausal.errors.DataWarning` and ``missing_``), never silent.
        random_state: seed of training and generation.
        progress: show progress bars.
        device: ``"auto"``, ``"cpu"`` or ``"cuda[:i]"``.

    Examples:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> sex = rng.choice(["F", "M"], 400)
        >>> hours = rng.normal(40, 5, 400) + 5 * (sex == "M")
        >>> income = np.where(hours + 5 * (sex == "M") + rng.normal(0, 5, 400) > 45, ">50K", "<=50K")
        >>> df = pd.DataFrame({"sex": sex, "hours": hours, "income": income})
        >>> synth = FairSynthesizer("sex -> hours; sex -> income; hours -> income",
        ...     protected="sex", target="income", random_state=0, progress=False,
        ...     training=TrainConfig(max_epochs=2, batch_size=128, progress=False)).fit(df)
        >>> out = synth.generate(50, fairness="ftu", random_state=1)
        >>> list(out.columns), out.attrs["removed_edges"]
        (['sex', 'hours', 'income'], [('sex', 'income')])
    """

    def __init__(
        self,
        graph: CausalGraph | str | None = None,
        *,
        protected: str | Sequence[str],
        target: str,
        mechanisms: Any = "gan",
        mechanism_kwargs: Mapping[str, Mapping[str, Any]] | None = None,
        training: TrainConfig | None = None,
        discovery: str = "pc",
        first: Sequence[str] = (),
        missing: Missing = "drop",
        random_state: int | None = None,
        progress: bool = True,
        device: str = "auto",
    ) -> None:
        self.graph = graph
        self.protected = protected
        self.target = target
        self.mechanisms = mechanisms
        self.mechanism_kwargs = mechanism_kwargs
        self.training = training
        self.discovery = discovery
        self.first = first
        self.missing = missing
        self.random_state = random_state
        self.progress = progress
        self.device = device

    @property
    def protected_(self) -> tuple[str, ...]:
        """The protected attributes as a tuple."""
        p = self.protected
        return (p,) if isinstance(p, str) else tuple(p)

    # ------------------------------------------------------------------------------------ fit
    def fit(self, data: pd.DataFrame) -> FairSynthesizer:
        """Fit one conditional generator per column (learning the graph first if none was given).

        Raises:
            SchemaError: a protected attribute or the target missing from the data, columns the
                graph does not cover, or missing values with ``missing="error"``.
            GraphError: a protected attribute with a parent in the graph.
        """
        from deepcausal.scm import DeepSCM

        if not isinstance(data, pd.DataFrame):
            raise DataError(
                f"FairSynthesizer.fit needs a pandas DataFrame, got {type(data).__name__}"
            )
        if self.missing not in ("drop", "level", "error"):
            raise ValueError(f"missing must be 'drop', 'level' or 'error', got {self.missing!r}")
        absent = [c for c in (*self.protected_, self.target) if c not in data.columns]
        if absent:
            raise SchemaError(
                f"column(s) {absent} named as protected attribute or target are not in the data; "
                f"columns: {list(data.columns)}"
            )
        clean = self._handle_missing(data)
        graph = self._graph(clean)
        self.graph_ = graph
        self.columns_ = tuple(str(c) for c in data.columns)
        self.dtypes_ = {str(c): data[c].dtype for c in data.columns}
        # every text column is categorical, however many levels it has (native countries...)
        many = [str(c) for c in clean.columns if not _numeric(clean[c]) and clean[c].nunique() > 2]
        kinds: dict[str, Kind] = dict.fromkeys(many, "categorical")
        schema = Schema.infer(clean, kinds=kinds)
        self.scm_ = DeepSCM(
            graph,
            schema=schema,
            mechanisms=self.mechanisms,
            mechanism_kwargs=self.mechanism_kwargs,
            training=self.training or synthesis_training(len(clean)),
            random_state=self.random_state,
            device=self.device,
            progress=self.progress,
        ).fit(clean)
        return self

    def _handle_missing(self, data: pd.DataFrame) -> pd.DataFrame:
        counts = {str(c): int(n) for c, n in data.isna().sum().items() if n}
        self.missing_: dict[str, Any] = {"by_column": counts, "rows_dropped": 0, "as_level": []}
        if not counts:
            return data
        if self.missing == "error":
            raise SchemaError(
                f"missing values in column(s) {counts}; pass missing='drop' or missing='level'"
            )
        if self.missing == "drop":
            clean = data.dropna().reset_index(drop=True)
            self.missing_["rows_dropped"] = len(data) - len(clean)
            warnings.warn(
                f"dropped {len(data) - len(clean)} of {len(data)} rows with a missing value "
                f"(by column: {counts})",
                DataWarning,
                stacklevel=3,
            )
            return clean
        numeric = [c for c in counts if pd.api.types.is_numeric_dtype(data[c])]
        if numeric:
            raise SchemaError(
                f"numeric column(s) {numeric} have missing values, which cannot be a level; "
                "impute them or pass missing='drop'"
            )
        clean = data.copy()
        for c in counts:
            clean[c] = clean[c].astype(object).where(clean[c].notna(), MISSING_LEVEL)
        self.missing_["as_level"] = list(counts)
        warnings.warn(
            f"missing values became the level {MISSING_LEVEL!r} in column(s) {counts}",
            DataWarning,
            stacklevel=3,
        )
        return clean

    def _graph(self, data: pd.DataFrame) -> CausalGraph:
        if self.graph is None:
            graph = learn_graph(
                data, self.protected_, self.discovery, self.first, self.random_state
            )
        else:
            graph = as_graph(self.graph)
        columns = [str(c) for c in data.columns]
        uncovered = [c for c in columns if c not in graph.nodes]
        if uncovered:
            raise SchemaError(
                f"column(s) {uncovered} are not nodes of the graph; add them to the graph or drop "
                "them from the data (the synthetic table has every column of the input)"
            )
        unknown = [n for n in graph.nodes if n not in columns]
        if unknown:
            raise SchemaError(f"graph node(s) {unknown} have no column in the data")
        for a in self.protected_:
            parents = graph.parents(a)
            if parents:
                raise GraphError(
                    f"protected attribute {a!r} has parent(s) {list(parents)} in the graph; a "
                    "protected attribute must be a root (nothing in the data causes it)"
                )
        if not graph.is_dag:
            raise GraphError("FairSynthesizer needs a DAG; the graph has bidirected edges")
        return graph

    # ------------------------------------------------------------------------------- generate
    def biased_edges(self, fairness: str | None) -> list[tuple[str, str]]:
        """The edges ``fairness`` removes on the fitted graph (see :mod:`._fairness`)."""
        self._check_fitted()
        return biased_edges(self.graph_, self.protected_, self.target, fairness)

    def generate(
        self, n: int, fairness: str | None = None, random_state: int | None = None
    ) -> pd.DataFrame:
        """``n`` synthetic rows with the input's columns, levels and dtypes.

        Args:
            n: number of rows.
            fairness: ``None`` (nothing removed), ``"ftu"``, ``"cf"`` or ``"dp"``.
            random_state: seed of this draw.

        Returns:
            The table; ``frame.attrs["removed_edges"]`` lists the edges removed.
        """
        self._check_fitted()
        edges = self.biased_edges(fairness)
        model = self.scm_.without_edges(edges) if edges else self.scm_
        frame = model.sample(n, random_state=random_state)[list(self.columns_)]
        for column, dtype in self.dtypes_.items():
            if pd.api.types.is_integer_dtype(dtype):
                frame[column] = pd.Series(
                    np.round(frame[column].to_numpy(dtype=float)), index=frame.index
                ).astype(dtype)
            elif pd.api.types.is_string_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
                frame[column] = frame[column].astype(dtype)
        frame.attrs["fairness"] = fairness
        frame.attrs["removed_edges"] = edges
        return frame

    def _check_fitted(self) -> None:
        if not hasattr(self, "scm_"):
            raise NotFittedError("this FairSynthesizer is not fitted yet: call fit(data) first")


def _numeric(series: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(series)) and not pd.api.types.is_bool_dtype(series)


def _bins(series: pd.Series, k: int = 5) -> np.ndarray:
    """Quantile bins of a numeric column; tied values share a bin, and a value that holds more
    than a fifth of the rows (the zeros of a capital gain) is a bin of its own, the rest split in
    quantiles (ranks would split the ties at random and hide the column's signal)."""
    values = series.to_numpy(dtype=float)
    mode = pd.Series(values).mode().iloc[0]
    spike = values == mode
    codes = np.zeros(len(values), dtype=np.int64)
    rest = ~spike if spike.mean() > 1.0 / k else np.ones(len(values), dtype=bool)
    if rest.sum() > 0:
        cut = pd.qcut(pd.Series(values[rest]), k - int(not rest.all()), labels=False,
                      duplicates="drop")  # fmt: skip
        codes[rest] = np.asarray(cut, dtype=np.int64) + int(not rest.all())
    return codes


def learn_graph(
    data: pd.DataFrame,
    protected: Sequence[str],
    method: str = "pc",
    first: Sequence[str] = (),
    random_state: int | None = None,
    max_rows: int = 10_000,
) -> CausalGraph:
    """A DAG over a mixed table by :func:`deepcausal.discovery.discover`, with the protected
    attributes and the demographics in ``first`` as roots: a first tier with no edge between two
    of its columns, so nothing in the data points into them.

    ``method="pc"`` (the default) runs PC-stable with the G² test on the table made discrete:
    categorical columns as their levels, numeric columns with more than 10 values in 5 quantile
    bins (a value held by more than a fifth of the rows in a bin of its own); a test that fits
    nominal categories, unlike a linear score on arbitrary codes. A
    continuous method (``"dagma"``, ``"notears"``, ...) gets integer codes, every column
    standardised (on raw scales continuous optimisation orders variables by their variance,
    Reisach et al. 2021). Discovery runs on at most ``max_rows`` rows drawn at random.
    """
    from deepcausal.discovery import Knowledge, discover

    if len(data) > max_rows:
        rows = np.random.default_rng(random_state).choice(len(data), max_rows, replace=False)
        data = data.iloc[np.sort(rows)]
    encoded = pd.DataFrame(index=data.index)
    for column in data.columns:
        series = data[column]
        if _numeric(series) and method == "pc" and series.nunique() > 10:
            encoded[str(column)] = _bins(series)
        elif _numeric(series) and method != "pc":
            encoded[str(column)] = series.to_numpy(dtype=float)
        else:
            encoded[str(column)] = pd.factorize(series, sort=True)[0]
    if method != "pc":
        encoded = (encoded - encoded.mean()) / encoded.std().replace(0.0, 1.0)
    # the protected attributes and the demographics in `first` are exogenous roots: a first tier,
    # with no edge between two of them (as in the Adult graph of Zhang, Wu & Wu 2017 that DECAF
    # uses, where sex, age, race and native-country are root nodes)
    roots = list(dict.fromkeys([*protected, *first]))
    rest = [c for c in encoded.columns if c not in roots]
    between = [(a, b) for a in roots for b in roots if a != b]
    options: dict[str, Any] = {"ci_test": "gsq", "max_cond_size": 2} if method == "pc" else {}
    result = discover(
        encoded,
        method=method,
        knowledge=Knowledge(tiers=[roots, rest], forbidden=between),
        random_state=random_state,
        **options,
    )
    # one DAG is needed to generate: edges PC left undirected are oriented by a fixed rule (the
    # tiers already orient every edge out of the protected attributes and demographics)
    dag = result.to_dag()
    logger.info("FairSynthesizer: learned %s", dag.to_string())
    return dag
