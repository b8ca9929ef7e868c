"""DoWhy's ``gcm`` behind the small interface that ``scm_ladder.py`` compares models through.

The peer is an ``InvertibleStructuralCausalModel`` whose mechanisms ``gcm.auto`` assigns at the
default quality (``AssignmentQuality.GOOD``): the empirical distribution for root nodes and an
additive noise model ``x = f(pa) + N`` for the others, ``f`` picked by 5-fold cross-validation among
a linear regressor and a histogram gradient-boosting regressor (a classifier for categorical nodes)
(Blöbaum et al., "DoWhy-GCM: An extension of DoWhy for causal inference in graphical causal
models", JMLR 2024). Counterfactuals follow Pearl's three steps with the noise recovered exactly as
``x - f(pa)``, which needs every mechanism to be invertible: with a categorical node (a
``ClassifierFCM``) gcm cannot abduct from observed rows, and :attr:`GcmLadderModel.supports_counterfactuals`
is false.

dowhy logs its model choices and shows progress bars; both are silenced here, inside the benchmark
only (``quiet()``), never for the importing process as a whole.
"""

from __future__ import annotations

import contextlib
import logging
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd

from deepcausal.graph import CausalGraph

try:  # the peer is an optional extra: pip install -e ".[bench]"
    from dowhy import gcm
    from dowhy.gcm.util.general import set_random_seed
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise SystemExit(
        f"benchmarks/scm_ladder.py needs dowhy (pip install -e '.[bench]'): {exc}"
    ) from None

#: A counterfactual or interventional action: a constant, or a function old value -> new value.
Action = float | str | int | Callable[[Any], Any]


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence dowhy's logging, progress bars and library warnings inside the block."""
    loggers = [logging.getLogger(name) for name in ("dowhy", "dowhy.gcm")]
    levels = [lg.level for lg in loggers]
    bars = gcm.config.show_progress_bars
    gcm.config.disable_progress_bars()
    try:
        for lg in loggers:
            lg.setLevel(logging.ERROR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)
        if bars:
            gcm.config.enable_progress_bars()


def _elementwise(action: Action) -> Callable[[Any], Any]:
    # gcm maps an intervention over the node's values one scalar at a time.
    if callable(action):
        return action
    return lambda _old: action


class GcmLadderModel:
    """DoWhy gcm's invertible SCM with auto-assigned mechanisms.

    Args:
        graph: the causal DAG.
        random_state: seeds NumPy's global generator (gcm draws from it) before each call.
        n_jobs: gcm's parallelism for model selection (``gcm.config.default_n_jobs``).
        discrete: the categories of each binary or categorical node. gcm sees these columns as
            strings, so that it models them with a classifier: an integer 0/1 column would get a
            discrete additive noise model, ``round(f(pa) + N)``, which can produce values outside
            the categories. Values are mapped back on the way out.

    Attributes (after :meth:`fit`):
        fit_seconds_: wall time of ``assign_causal_mechanisms`` plus ``gcm.fit``.
        assign_seconds_: the model-selection part of it.
        mechanisms_: the assigned mechanism of each node, as text.
    """

    name = "gcm"

    def __init__(
        self,
        graph: CausalGraph,
        random_state: int,
        n_jobs: int = 1,
        discrete: Mapping[str, tuple[Any, ...]] | None = None,
    ) -> None:
        self.graph = graph
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.discrete = dict(discrete or {})

    @property
    def supports_counterfactuals(self) -> bool:
        """Whether every mechanism is invertible (no categorical node was assigned a classifier)."""
        return not any(
            isinstance(self.model_.causal_mechanism(n), gcm.ClassifierFCM) for n in self.graph.nodes
        )

    def fit(self, data: pd.DataFrame) -> GcmLadderModel:
        """Assign mechanisms (default quality) and fit them; both are timed."""
        gcm.config.default_n_jobs = self.n_jobs
        with quiet():
            set_random_seed(self.random_state)
            model = gcm.InvertibleStructuralCausalModel(self.graph.to_networkx())
            start = time.perf_counter()
            gcm_data = self._to_gcm(data)
            gcm.auto.assign_causal_mechanisms(model, gcm_data)
            assigned = time.perf_counter()
            gcm.fit(model, gcm_data)
            end = time.perf_counter()
        self.model_ = model
        self.assign_seconds_ = assigned - start
        self.fit_seconds_ = end - start
        self.mechanisms_ = {n: _short_name(model.causal_mechanism(n)) for n in self.graph.nodes}
        return self

    def sample(self, n: int, random_state: int) -> pd.DataFrame:
        """``n`` observational draws."""
        with quiet():
            set_random_seed(random_state)
            out = gcm.draw_samples(self.model_, n)
        return self._columns(out)

    def do_sample(
        self, interventions: Mapping[str, Action], n: int, random_state: int
    ) -> pd.DataFrame:
        """``n`` draws under ``do(interventions)``."""
        actions = {k: _elementwise(self._action(k, v)) for k, v in interventions.items()}
        with quiet():
            set_random_seed(random_state)
            out = gcm.interventional_samples(self.model_, actions, num_samples_to_draw=n)
        return self._columns(out)

    def counterfactual(self, factual: pd.DataFrame, do: Mapping[str, Action]) -> pd.DataFrame:
        """Counterfactual rows for ``factual`` (noise abducted exactly as ``x - f(pa)``)."""
        actions = {k: _elementwise(self._action(k, v)) for k, v in do.items()}
        with quiet():
            out = gcm.counterfactual_samples(
                self.model_, actions, observed_data=self._to_gcm(factual)
            )
        out = self._columns(out)
        out.index = factual.index  # gcm returns a fresh RangeIndex, rows in the factual order
        return out

    def _to_gcm(self, frame: pd.DataFrame) -> pd.DataFrame:
        out = frame[list(self.graph.nodes)].copy()
        for col in self.discrete:
            out[col] = out[col].astype(object).map(str).astype(object)
        return out

    def _action(self, node: str, action: Action) -> Action:
        if node in self.discrete and not callable(action):
            return str(action)
        return action

    def _columns(self, frame: pd.DataFrame) -> pd.DataFrame:
        out = frame[list(self.graph.nodes)].reset_index(drop=True)
        for col, cats in self.discrete.items():
            back = {str(c): c for c in cats}
            out[col] = out[col].astype(object).map(lambda v, back=back: back[str(v)])
        return out


def _short_name(mechanism: Any) -> str:
    """``empirical``, ``ANM(poly2)``, ``ANM(HGB)``, ``classifier(...)``: what gcm.auto picked."""
    kind = type(mechanism).__name__
    if kind == "EmpiricalDistribution":
        return "empirical"
    predictor = getattr(mechanism, "prediction_model", None) or getattr(
        mechanism, "classifier_model", None
    )
    model: Any = getattr(predictor, "sklearn_model", None)
    pipeline: list[tuple[str, Any]] = list(getattr(model, "steps", []))
    final = pipeline[-1][1] if pipeline else model
    steps = [type(step).__name__ for _, step in pipeline]
    regressor = {
        "LinearRegression": "poly2" if "PolynomialFeatures" in steps else "linear",
        "HistGradientBoostingRegressor": "HGB",
        "HistGradientBoostingClassifier": "HGB",
        "LogisticRegression": "logistic",
        "DecisionTreeClassifier": "tree",
    }.get(type(final).__name__, type(final).__name__)
    prefix = {
        "AdditiveNoiseModel": "ANM",
        "DiscreteAdditiveNoiseModel": "discrete ANM",
        "ClassifierFCM": "classifier",
    }.get(kind, kind)
    return f"{prefix}({regressor})"


def as_float_frame(frame: pd.DataFrame, categories: Mapping[str, tuple[Any, ...]]) -> np.ndarray:
    """Numeric matrix of a sample: categorical columns one-hot over ``categories``, others as floats."""
    blocks: list[np.ndarray] = []
    for col in frame.columns:
        if col in categories:
            cats = pd.Index(list(categories[col]), dtype=object)
            codes = cats.get_indexer(pd.Index(frame[col].astype(object), dtype=object))
            if (codes < 0).any():
                bad = frame[col][codes < 0].iloc[0]
                raise ValueError(f"column {col!r} holds {bad!r}, not one of {list(cats)}")
            blocks.append(np.eye(len(cats))[codes])
        else:
            blocks.append(pd.to_numeric(frame[col]).to_numpy(float)[:, None])
    return np.hstack(blocks)
