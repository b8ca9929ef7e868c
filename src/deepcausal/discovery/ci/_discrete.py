"""Tests for discrete data: the G-test (likelihood ratio) and Pearson's chi-square test."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from deepcausal.discovery.ci._base import BoundCITest, CITest
from deepcausal.errors import DataError

__all__ = ["ChiSquare", "GTest"]


class _DiscreteTest(CITest):
    """Stratified contingency-table test of ``x _||_ y | given`` for discrete data.

    The data are split into strata by the observed configurations of ``given``; within each stratum
    the ``x`` by ``y`` table is compared with the product of its margins, and the statistics add up.
    Degrees of freedom are ``sum_s (r_s - 1)(c_s - 1)`` over the strata, with ``r_s`` and ``c_s`` the
    numbers of ``x`` and ``y`` levels seen in stratum ``s`` (Tsamardinos et al. 2006's adjustment for
    empty cells); with no degrees of freedom left the test cannot reject and returns 1.
    """

    lambda_: str = "log-likelihood"

    def bind(self, data: pd.DataFrame) -> _BoundDiscrete:
        return _BoundDiscrete(data, self.lambda_)


class GTest(_DiscreteTest):
    r"""The G-test (likelihood-ratio test) of conditional independence for discrete data.

    :math:`G = 2 \sum O \log(O / E)` over every cell of the stratified tables, compared with a
    chi-square distribution (Wilks 1938; Spirtes, Glymour & Scheines 2000, ch. 5). Columns hold
    integer codes (or any values; each distinct value is a level).

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> z = rng.integers(0, 2, 3000)
        >>> x = z ^ (rng.random(3000) < 0.2); y = z ^ (rng.random(3000) < 0.2)
        >>> df = pd.DataFrame({"x": x, "y": y, "z": z})
        >>> GTest()("x", "y", [], df) < 1e-6, GTest()("x", "y", ["z"], df) > 0.01
        (True, True)
    """

    name = "gsq"
    lambda_ = "log-likelihood"


class ChiSquare(_DiscreteTest):
    r"""Pearson's chi-square test of conditional independence for discrete data.

    :math:`X^2 = \sum (O - E)^2 / E` over every cell of the stratified tables (Pearson 1900).
    """

    name = "chisq"
    lambda_ = "pearson"


class _BoundDiscrete(BoundCITest):
    def __init__(self, data: pd.DataFrame, lambda_: str) -> None:
        self.columns = tuple(str(c) for c in data.columns)
        self.lambda_ = lambda_
        codes = []
        self.levels = []
        for name in data.columns:
            _, inverse = np.unique(data[name].to_numpy(), return_inverse=True)
            codes.append(inverse.astype(np.int64))
            self.levels.append(int(inverse.max()) + 1)
        self.codes = np.stack(codes, axis=1)
        n_levels = dict(zip(self.columns, self.levels, strict=True))
        many = [name for name, k in n_levels.items() if k > max(50, data.shape[0] // 5)]
        if many:
            raise DataError(
                f"column(s) {many} have too many distinct values for a discrete test; "
                f"use ci_test='fisherz' or 'gcm' for continuous data"
            )

    def pvalue(self, i: int, j: int, given: tuple[int, ...]) -> float:
        codes = self.codes
        if given:
            _, stratum = np.unique(codes[:, list(given)], axis=0, return_inverse=True)
            stratum = stratum.reshape(-1)
            n_strata = int(stratum.max()) + 1
        else:
            stratum = np.zeros(codes.shape[0], dtype=np.int64)
            n_strata = 1
        kx, ky = self.levels[i], self.levels[j]
        cell = (stratum * kx + codes[:, i]) * ky + codes[:, j]
        table = np.bincount(cell, minlength=n_strata * kx * ky).reshape(n_strata, kx, ky)
        table = table.astype(float)
        row = table.sum(axis=2, keepdims=True)
        col = table.sum(axis=1, keepdims=True)
        total = table.sum(axis=(1, 2), keepdims=True)
        expected = row * col / np.where(total > 0, total, 1.0)
        observed_cells = table > 0
        if self.lambda_ == "log-likelihood":
            ratio = np.where(observed_cells, table / np.where(expected > 0, expected, 1.0), 1.0)
            statistic = 2.0 * float(np.sum(table * np.log(ratio)))
        else:
            mask = expected > 0
            statistic = float(np.sum((table[mask] - expected[mask]) ** 2 / expected[mask]))
        rows_seen = (row[:, :, 0] > 0).sum(axis=1)
        cols_seen = (col[:, 0, :] > 0).sum(axis=1)
        dof = int(np.sum(np.clip(rows_seen - 1, 0, None) * np.clip(cols_seen - 1, 0, None)))
        if dof == 0:
            return 1.0
        return float(stats.chi2.sf(max(statistic, 0.0), dof))
