"""Loader for the IHDP semi-synthetic benchmark (Hill 2011; the 50 NPCI replications in ../shared/data).

Reads csv/ihdp_npci_<i>.csv (treatment, y_factual, y_cfactual, mu0, mu1, x1..x25) and the standard
held-out split from ihdp_npci_1-100.test.npz: the test rows of replication i are the rows of csv i
that occur in the npz's replication i (75 units); the other 672 are the training rows
(see ../shared/data/ihdp/PROVENANCE.md). Set DEEPCAUSAL_DATA to read the data from elsewhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

N_REPLICATIONS = 50
_DECIMALS = 6


def data_dir() -> Path:
    """``$DEEPCAUSAL_DATA/ihdp``, or ``../shared/data/ihdp`` next to the repository."""
    root = os.environ.get("DEEPCAUSAL_DATA")
    base = Path(root) if root else Path(__file__).resolve().parents[1].parent / "shared" / "data"
    return base / "ihdp"


def available() -> bool:
    """Whether the IHDP files are present."""
    d = data_dir()
    return (d / "csv" / "ihdp_npci_1.csv").is_file() and (d / "ihdp_npci_1-100.test.npz").is_file()


@dataclass(frozen=True)
class Replication:
    """One IHDP replication split into training and test rows.

    Attributes:
        index: replication number (1-based).
        X_train, t_train, y_train, mu0_train, mu1_train: the 672 training rows.
        X_test, t_test, y_test, mu0_test, mu1_test: the 75 held-out rows.
    """

    index: int
    X_train: np.ndarray
    t_train: np.ndarray
    y_train: np.ndarray
    mu0_train: np.ndarray
    mu1_train: np.ndarray
    X_test: np.ndarray
    t_test: np.ndarray
    y_test: np.ndarray
    mu0_test: np.ndarray
    mu1_test: np.ndarray

    @property
    def cate_train(self) -> np.ndarray:
        """True conditional effects ``mu1 - mu0`` of the training rows."""
        return self.mu1_train - self.mu0_train

    @property
    def cate_test(self) -> np.ndarray:
        """True conditional effects of the test rows."""
        return self.mu1_test - self.mu0_test


def _keys(x: np.ndarray, t: np.ndarray, y: np.ndarray) -> list[bytes]:
    rows = np.round(np.column_stack([x, t, y]), _DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0
    return [r.tobytes() for r in rows]


def load_replication(i: int) -> Replication:
    """Load replication ``i`` (1..50) with the standard train/test split."""
    if not 1 <= i <= N_REPLICATIONS:
        raise ValueError(f"IHDP replication must be in 1..{N_REPLICATIONS}, got {i}")
    d = data_dir()
    raw = np.loadtxt(d / "csv" / f"ihdp_npci_{i}.csv", delimiter=",")
    t, y, mu0, mu1, x = raw[:, 0], raw[:, 1], raw[:, 3], raw[:, 4], raw[:, 5:]
    with np.load(d / "ihdp_npci_1-100.test.npz") as npz:
        test_keys = set(_keys(npz["x"][:, :, i - 1], npz["t"][:, i - 1], npz["yf"][:, i - 1]))
    is_test = np.array([k in test_keys for k in _keys(x, t, y)])
    if is_test.sum() != len(test_keys):
        raise RuntimeError(
            f"IHDP replication {i}: found {int(is_test.sum())} of the {len(test_keys)} test rows "
            "of the npz in the csv; the files do not match PROVENANCE.md"
        )
    tr, te = ~is_test, is_test
    return Replication(
        index=i,
        X_train=x[tr],
        t_train=t[tr].astype(int),
        y_train=y[tr],
        mu0_train=mu0[tr],
        mu1_train=mu1[tr],
        X_test=x[te],
        t_test=t[te].astype(int),
        y_test=y[te],
        mu0_test=mu0[te],
        mu1_test=mu1[te],
    )
