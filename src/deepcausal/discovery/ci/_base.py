"""The conditional-independence test contract, the per-run cache and the name registry.

A test is anything called as ``test(x, y, given, data) -> p_value`` with ``x`` and ``y`` column names,
``given`` a list of column names and ``data`` the DataFrame. Built-in tests are :class:`CITest`
objects, which can also be *bound* to one DataFrame so that precomputations (a correlation matrix,
integer codes, regression residuals) are done once per discovery run and the search calls them with
column indices.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from deepcausal.errors import DataError

__all__ = ["BoundCITest", "CITest", "CITestLike", "CachedTest", "CallableTest"]


class BoundCITest(ABC):
    """A test bound to one dataset, called with column indices.

    Attributes:
        columns: The dataset's column names.
    """

    columns: tuple[str, ...]

    @abstractmethod
    def pvalue(self, i: int, j: int, given: tuple[int, ...]) -> float:
        """The p-value of ``X_i _||_ X_j | X_given``."""

    def pvalues(self, i: int, j: int, givens: Sequence[tuple[int, ...]]) -> np.ndarray:
        """P-values for several conditioning sets at once (vectorised by tests that can)."""
        return np.array([self.pvalue(i, j, given) for given in givens], dtype=float)


class CITest(ABC):
    """A conditional-independence test ``x _||_ y | given``.

    Call it as ``test(x, y, given, data)`` to get a p-value (small values are evidence of dependence),
    or :meth:`bind` it to a DataFrame once and query the bound test by column index, which is what the
    discovery methods do.
    """

    name: str = "ci-test"

    @abstractmethod
    def bind(self, data: pd.DataFrame) -> BoundCITest:
        """Precompute what the test needs from ``data`` and return the bound test."""

    def __call__(self, x: str, y: str, given: Sequence[str], data: pd.DataFrame) -> float:
        """The p-value of ``x _||_ y | given`` in ``data``.

        Raises:
            DataError: If a name is not a column of ``data`` or ``x``/``y`` appear in ``given``.
        """
        columns = [str(c) for c in data.columns]
        index = {name: k for k, name in enumerate(columns)}
        given = list(given)
        unknown = [name for name in (x, y, *given) if name not in index]
        if unknown:
            raise DataError(f"unknown column(s) {unknown}; the data has {columns}")
        if x == y or x in given or y in given:
            raise DataError(f"x ({x!r}) and y ({y!r}) must differ and not be in given {given}")
        bound = self.bind(data)
        return float(bound.pvalue(index[x], index[y], tuple(index[g] for g in given)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


CITestLike = str | CITest | Callable[[str, str, list[str], pd.DataFrame], float]
"""What ``ci_test`` accepts: a built-in test's name, a :class:`CITest`, or any callable."""


class CallableTest(BoundCITest):
    """A user callable ``(x, y, given, data) -> p_value`` presented as a bound test."""

    def __init__(self, fn: Callable[..., Any], data: pd.DataFrame) -> None:
        self.fn = fn
        self.data = data
        self.columns = tuple(str(c) for c in data.columns)

    def pvalue(self, i: int, j: int, given: tuple[int, ...]) -> float:
        names = [self.columns[k] for k in given]
        value = self.fn(self.columns[i], self.columns[j], names, self.data)
        try:
            p = float(value)
        except (TypeError, ValueError):
            raise DataError(
                f"ci_test {_describe(self.fn)} returned {value!r} for "
                f"{self.columns[i]} _||_ {self.columns[j]} | {names}; it must return a p-value"
            ) from None
        if not 0.0 <= p <= 1.0:  # also catches NaN
            raise DataError(
                f"ci_test {_describe(self.fn)} returned {p!r} for "
                f"{self.columns[i]} _||_ {self.columns[j]} | {names}; a p-value lies in [0, 1]"
            )
        return p


def _describe(fn: object) -> str:
    return getattr(fn, "__qualname__", None) or type(fn).__name__


class CachedTest(BoundCITest):
    """Memoises a bound test for one discovery run; keys are symmetric in ``x`` and ``y``.

    Attributes:
        n_tests: Tests actually computed.
        n_cached: Queries answered from the cache.
    """

    def __init__(self, inner: BoundCITest) -> None:
        self.inner = inner
        self.columns = inner.columns
        self.cache: dict[tuple[int, int, tuple[int, ...]], float] = {}
        self.n_tests = 0
        self.n_cached = 0

    @staticmethod
    def _key(i: int, j: int, given: tuple[int, ...]) -> tuple[int, int, tuple[int, ...]]:
        a, b = (i, j) if i < j else (j, i)
        return a, b, tuple(sorted(given))

    def pvalue(self, i: int, j: int, given: tuple[int, ...]) -> float:
        key = self._key(i, j, given)
        cached = self.cache.get(key)
        if cached is not None:
            self.n_cached += 1
            return cached
        p = float(self.inner.pvalue(i, j, given))
        self.cache[key] = p
        self.n_tests += 1
        return p

    def pvalues(self, i: int, j: int, givens: Sequence[tuple[int, ...]]) -> np.ndarray:
        out = np.empty(len(givens))
        missing: list[int] = []
        keys = [self._key(i, j, g) for g in givens]
        for k, key in enumerate(keys):
            cached = self.cache.get(key)
            if cached is None:
                missing.append(k)
            else:
                out[k] = cached
        self.n_cached += len(givens) - len(missing)
        if missing:
            values = self.inner.pvalues(i, j, [givens[k] for k in missing])
            for k, p in zip(missing, values, strict=True):
                out[k] = p
                self.cache[keys[k]] = float(p)
            self.n_tests += len(missing)
        return out
