"""``discover``: the method registry, data validation and the scale diagnostics of every run.

Edges with marks live in ``_edges.py``, prior knowledge in ``_knowledge.py``, the result and
:func:`finalize_weighted` in ``_result.py``.

Every discovery method lives in its own module and is looked up lazily through a static registry
(``_METHODS``), so that importing :mod:`deepcausal.discovery` stays cheap and constraint-based
methods never import torch.

A method function has the signature::

    fn(data: pd.DataFrame, *, knowledge: Knowledge, random_state: int | None, **options)
        -> DiscoveryResult

``knowledge`` is never ``None`` inside a method (an empty :class:`Knowledge` is passed) and unknown
options raise ``TypeError`` naming the option. Continuous methods build their result with
:func:`finalize_weighted`; :func:`discover` fills in ``wall_time``.
"""

from __future__ import annotations

import importlib
import logging
import time
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from deepcausal.errors import (
    DataError,
    DataWarning,
    KnowledgeError,
    ScaleWarning,
)

if TYPE_CHECKING:
    pass


from deepcausal.discovery._edges import Edge, Mark, edges_to_adjacency
from deepcausal.discovery._knowledge import Knowledge
from deepcausal.discovery._result import DiscoveryResult, finalize_weighted

__all__ = [
    "DiscoveryResult",
    "Edge",
    "Knowledge",
    "Mark",
    "available_methods",
    "discover",
    "edges_to_adjacency",
    "finalize_weighted",
]

logger = logging.getLogger(__name__)


_METHODS: dict[str, str] = {
    "pc": "deepcausal.discovery._pc:pc",
    "fci": "deepcausal.discovery._fci:fci",
    "notears": "deepcausal.discovery._notears:notears",
    "notears_mlp": "deepcausal.discovery._notears_mlp:notears_mlp",
    "dagma": "deepcausal.discovery._dagma:dagma",
    "dagma_mlp": "deepcausal.discovery._dagma:dagma_mlp",
    "grandag": "deepcausal.discovery._grandag:grandag",
    "daggnn": "deepcausal.discovery._daggnn:daggnn",
}


def available_methods() -> tuple[str, ...]:
    """The names accepted by :func:`discover`'s ``method`` argument."""
    return tuple(_METHODS)


def _load_method(method: str) -> Callable[..., DiscoveryResult]:
    if not isinstance(method, str) or method not in _METHODS:
        raise ValueError(
            f"unknown discovery method {method!r}; available methods: {', '.join(_METHODS)}"
        )
    module_name, function_name = _METHODS[method].split(":")
    module = importlib.import_module(module_name)
    return cast(Callable[..., DiscoveryResult], getattr(module, function_name))


def validate_data(data: pd.DataFrame | np.ndarray) -> pd.DataFrame:
    """Check discovery input and return it as a DataFrame of numeric columns with string names.

    An array gets columns ``x0 .. x{d-1}``. Boolean and categorical columns become integer codes.

    Raises:
        DataError: For non-numeric columns, NaN or infinite values (naming the column and count),
            duplicate column names, or fewer than 2 columns or rows.
    """
    if isinstance(data, np.ndarray):
        if data.ndim != 2:
            raise DataError(
                f"data must be a 2-d array (rows x variables), got {data.ndim} dimension(s)"
            )
        frame = pd.DataFrame(data, columns=[f"x{i}" for i in range(data.shape[1])])
    elif isinstance(data, pd.DataFrame):
        frame = data.copy()
        frame.columns = [str(c) for c in frame.columns]
    else:
        raise DataError(
            f"data must be a pandas DataFrame or a numpy array, got {type(data).__name__}"
        )
    if frame.columns.has_duplicates:
        dupes = sorted(set(frame.columns[frame.columns.duplicated()]))
        raise DataError(f"duplicate column name(s) {dupes}")
    if frame.shape[1] < 2:
        raise DataError(f"discovery needs at least 2 variables, got {frame.shape[1]}")
    if frame.shape[0] < 2:
        raise DataError(f"discovery needs at least 2 rows, got {frame.shape[0]}")
    for column in frame.columns:
        series = frame[column]
        if isinstance(series.dtype, pd.CategoricalDtype):
            if series.isna().any():
                raise DataError(
                    f"column {column!r} has {int(series.isna().sum())} missing value(s)"
                )
            frame[column] = series.cat.codes.astype(np.int64)
        elif pd.api.types.is_bool_dtype(series.dtype):
            frame[column] = series.astype(np.int64)
        elif not pd.api.types.is_numeric_dtype(series.dtype):
            raise DataError(
                f"column {column!r} has non-numeric dtype {series.dtype}; encode categories as "
                f"integer codes or a pandas categorical"
            )
    values = frame.to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        counts = bad.sum(axis=0)
        names = [str(c) for c in frame.columns]
        culprits = ", ".join(f"{names[i]!r} ({counts[i]})" for i in np.nonzero(counts)[0])
        raise DataError(f"data has NaN or infinite values in column(s) {culprits}")
    return frame


def _check_options(method: str, fn: Any, options: dict[str, Any]) -> None:
    """Refuse an option the method does not take, naming it and listing those it does."""
    import inspect

    params = inspect.signature(fn).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    taken = [p for p in params if p not in ("data", "knowledge", "random_state")]
    unknown = sorted(set(options) - set(taken))
    if unknown:
        raise ValueError(
            f"method {method!r} takes no option(s) {unknown}; its options are {sorted(taken)}"
        )


def discover(
    data: pd.DataFrame | np.ndarray,
    method: str = "pc",
    knowledge: Knowledge | None = None,
    random_state: int | None = None,
    standardize: bool = False,
    **options: Any,
) -> DiscoveryResult:
    """Learn a causal graph from data.

    Args:
        data: A DataFrame of numeric columns, or an array (columns named ``x0 .. x{d-1}``).
        method: One of :func:`available_methods`: ``"pc"`` (PC-stable, a CPDAG), ``"fci"`` (FCI, a
            PAG), or a continuous-optimisation method (``"notears"``, ``"dagma"``, ...; a DAG).
        knowledge: Prior knowledge, a hard constraint (see :class:`Knowledge`).
        random_state: Seed for methods that use randomness.
        standardize: Rescale every column to unit variance first. PC and FCI do not depend on
            scales. The continuous methods do: they identify the DAG only under equal noise
            variances, and on raw scales they can read the causal order off the marginal variances
            (Reisach, Seiler & Weichwald 2021). Raw scales are the default; the result's
            diagnostics report ``varsortability`` and ``r2_sortability`` of the graph found, and a
            :class:`~deepcausal.errors.ScaleWarning` says when a continuous method's order follows
            the raw variances.
        **options: Method options (for PC/FCI: ``alpha``, ``max_cond_size``, ``ci_test``).

    Returns:
        The method's :class:`DiscoveryResult`, with ``wall_time`` set.

    Raises:
        DataError: For invalid data.
        KnowledgeError: For knowledge naming unknown columns.
        ValueError: For an unknown method.
        ValueError: For an option the method does not take (the message lists those it takes).

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=500); y = x + rng.normal(size=500); z = y + rng.normal(size=500)
        >>> result = discover(pd.DataFrame({"x": x, "y": y, "z": z}), method="pc")
        >>> sorted(str(e) for e in result.edges)
        ['x --- y', 'y --- z']
    """
    fn = _load_method(method)
    frame = validate_data(data)
    knowledge = knowledge if knowledge is not None else Knowledge()
    if not isinstance(knowledge, Knowledge):
        raise KnowledgeError(f"knowledge must be a Knowledge, got {type(knowledge).__name__}")
    knowledge.validate(list(frame.columns))
    _check_options(method, fn, options)
    n, d = frame.shape
    if d >= n and not callable(options.get("ci_test")):  # an oracle test needs no rows
        warnings.warn(
            f"{n} rows for {d} variables: with no more rows than variables, independence tests "
            "have almost no power and scores are degenerate, so most edges the result shows (or "
            "omits) are not supported by the data; collect more rows or restrict the variables",
            DataWarning,
            stacklevel=2,
        )
    if not isinstance(standardize, bool):
        raise TypeError(f"standardize must be True or False, got {standardize!r}")
    fitted = frame
    if standardize:
        scale = frame.std(ddof=0).replace(0.0, 1.0)
        fitted = (frame - frame.mean()) / scale
    logger.info("discover: %s on %d rows x %d variables ...", method, n, d)
    start = time.perf_counter()
    result = fn(fitted, knowledge=knowledge, random_state=random_state, **options)
    result.wall_time = time.perf_counter() - start
    _scale_diagnostics(result, frame, method, standardize)
    logger.info(
        "discover: %s found %d edge(s) in %.1f s", method, len(result.edges), result.wall_time
    )
    return result


def _scale_diagnostics(
    result: DiscoveryResult, raw: pd.DataFrame, method: str, standardized: bool
) -> None:
    """Add varsortability and R²-sortability of the oriented edges found; warn where a continuous
    method's causal order follows the raw variances."""
    from deepcausal.discovery._sortability import r2_sortability, varsortability

    # only the edges the method oriented: an equivalence class's unoriented edges have no order
    index = {name: i for i, name in enumerate(raw.columns)}
    adjacency = np.zeros((len(index), len(index)))
    for edge in result.edges:
        for e in (edge, edge.reversed()):
            if e.mark_a == "tail" and e.mark_b == "arrow":
                adjacency[index[e.a], index[e.b]] = 1.0
    if not adjacency.any():
        return
    values = raw.to_numpy(dtype=float)
    var_sort = varsortability(values, adjacency)
    result.diagnostics["varsortability"] = round(var_sort, 4)
    result.diagnostics["r2_sortability"] = round(r2_sortability(values, adjacency), 4)
    result.diagnostics["standardized"] = str(standardized).lower()
    if method not in ("pc", "fci") and not standardized and var_sort >= 0.9:
        warnings.warn(
            f"{method}: {var_sort:.0%} of the causal paths found run from lower to higher raw "
            "variance. On raw scales a least-squares score can read the order off the variances "
            "(Reisach, Seiler & Weichwald 2021); the answer holds only if the noise variances are "
            "equal. Compare with standardize=True (--standardize) and with PC's equivalence class",
            ScaleWarning,
            stacklevel=3,
        )
