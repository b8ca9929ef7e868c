"""Fisher's z test of zero partial correlation (Gaussian data)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special

from deepcausal.discovery.ci._base import BoundCITest, CITest
from deepcausal.errors import DataError

__all__ = ["FisherZ"]

# Partial correlations are clipped away from +-1 so that atanh stays finite.
_R_MAX = 1.0 - 1e-12


class FisherZ(CITest):
    r"""Fisher's z test of zero partial correlation.

    With :math:`r` the sample partial correlation of ``x`` and ``y`` given the ``k`` variables in
    ``given`` and ``n`` rows,

    .. math:: z = \sqrt{n - k - 3}\ \operatorname{atanh}(r), \qquad p = 2\,(1 - \Phi(|z|)).

    The correlation matrix is computed once per bound dataset; each partial correlation comes from the
    inverse of the small ``(k + 2) x (k + 2)`` sub-matrix, and batches of conditioning sets of one size
    are inverted together. Exact for Gaussian data (Fisher 1924); a test of linear dependence otherwise.

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> z = rng.normal(size=2000)
        >>> df = pd.DataFrame({"x": z + rng.normal(size=2000), "y": z + rng.normal(size=2000), "z": z})
        >>> FisherZ()("x", "y", [], df) < 1e-6, FisherZ()("x", "y", ["z"], df) > 0.01
        (True, True)
    """

    name = "fisherz"

    def bind(self, data: pd.DataFrame) -> _BoundFisherZ:
        return _BoundFisherZ(data)


class _BoundFisherZ(BoundCITest):
    def __init__(self, data: pd.DataFrame) -> None:
        self.columns = tuple(str(c) for c in data.columns)
        values = data.to_numpy(dtype=float)
        self.n = values.shape[0]
        std = values.std(axis=0)
        constant = [self.columns[k] for k in np.nonzero(std == 0)[0]]
        if constant:
            raise DataError(f"column(s) {constant} are constant; Fisher-z needs variation")
        self.corr = np.corrcoef(values, rowvar=False)

    def _p_from_r(self, r: np.ndarray, k: int) -> np.ndarray:
        dof = self.n - k - 3
        if dof <= 0:
            # too few rows to test with this many conditioning variables: no evidence of dependence
            return np.ones_like(r)
        z = np.sqrt(dof) * np.arctanh(np.clip(r, -_R_MAX, _R_MAX))
        return np.asarray(special.erfc(np.abs(z) / math.sqrt(2.0)), dtype=float)

    def pvalue(self, i: int, j: int, given: tuple[int, ...]) -> float:
        return float(self.pvalues(i, j, [given])[0])

    def pvalues(self, i: int, j: int, givens: Sequence[tuple[int, ...]]) -> np.ndarray:
        out = np.empty(len(givens))
        by_size: dict[int, list[int]] = {}
        for position, given in enumerate(givens):
            by_size.setdefault(len(given), []).append(position)
        C = self.corr
        for k, positions in by_size.items():
            if k == 0:
                r = np.full(len(positions), C[i, j])
            elif k == 1:
                s = np.array([givens[p][0] for p in positions])
                cis, cjs = C[i, s], C[j, s]
                denom = np.sqrt(np.clip((1 - cis**2) * (1 - cjs**2), 1e-300, None))
                r = (C[i, j] - cis * cjs) / denom
            else:
                idx = np.array([(i, j, *givens[p]) for p in positions])
                sub = C[idx[:, :, None], idx[:, None, :]]
                try:
                    prec = np.linalg.inv(sub)
                except np.linalg.LinAlgError:
                    prec = np.linalg.pinv(sub, hermitian=True)
                denom = np.sqrt(np.clip(prec[:, 0, 0] * prec[:, 1, 1], 1e-300, None))
                r = -prec[:, 0, 1] / denom
            out[positions] = self._p_from_r(r, k)
        return out
