"""gCastle's Notears and NotearsNonlinear as peers for ``benchmarks/discovery.py``.

Each peer runs in a child process: gCastle configures logging and sets torch's default dtype to
float64 when imported, which must not leak into deepcausal's runs, and a child can be stopped at a
time limit (gCastle's NotearsNonlinear takes minutes per graph). The child gets the data through a
temporary ``.npy`` file, runs single-threaded like the parent, and prints one JSON line with the
estimated adjacency, the wall time and the CPU time of the ``learn`` call alone (imports excluded).

Run directly, it checks one small graph: ``python benchmarks/_peers_discovery.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_CHILD = r"""
import json, logging, os, sys, time, warnings
warnings.simplefilter("ignore")
logging.disable(logging.CRITICAL)
import numpy as np
from castle.algorithms import {cls}
logging.disable(logging.CRITICAL)
X = np.load(sys.argv[1])
model = {cls}()
wall, cpu = time.perf_counter(), time.process_time()
model.learn(X)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
print("RESULT " + json.dumps({{"adjacency": np.asarray(model.causal_matrix).tolist(),
                                "wall": wall, "cpu": cpu}}))
"""


@dataclass
class PeerResult:
    """One peer run: the estimated 0/1 adjacency (``None`` on failure or timeout) and its times."""

    adjacency: np.ndarray | None
    wall: float
    cpu: float
    status: str  # "ok", "timeout" or "error: ..."


def _run(cls: str, X: np.ndarray, timeout: float) -> PeerResult:
    env = {
        **os.environ,
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
        "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "1"),
        "MKL_NUM_THREADS": os.environ.get("MKL_NUM_THREADS", "1"),
        "PYTHONWARNINGS": "ignore",
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "X.npy"
        np.save(path, np.asarray(X, dtype=np.float64))
        try:
            proc = subprocess.run(
                [sys.executable, "-c", _CHILD.format(cls=cls), str(path)],
                capture_output=True,
                text=True,
                timeout=timeout,
                env=env,
                cwd=tmp,  # gCastle may write files into the working directory
            )
        except subprocess.TimeoutExpired:
            return PeerResult(None, timeout, float("nan"), "timeout")
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            out = json.loads(line[len("RESULT ") :])
            return PeerResult(np.asarray(out["adjacency"]), out["wall"], out["cpu"], "ok")
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
    return PeerResult(None, float("nan"), float("nan"), f"error: {tail[0][:200]}")


def gcastle_notears(X: np.ndarray, *, timeout: float = 3600.0) -> PeerResult:
    """gCastle 1.0.4 ``Notears()`` with its defaults (lambda1 = 0.1, l2 loss, threshold 0.3)."""
    return _run("Notears", X, timeout)


def gcastle_notears_nonlinear(X: np.ndarray, *, timeout: float = 3600.0) -> PeerResult:
    """gCastle 1.0.4 ``NotearsNonlinear()`` with its defaults (hidden (10, 1), lambda1 = lambda2 =
    0.01, threshold 0.3)."""
    return _run("NotearsNonlinear", X, timeout)


def gcastle_available() -> bool:
    """Whether gCastle can be imported in a child process."""
    proc = subprocess.run(
        [sys.executable, "-c", "import castle"], capture_output=True, text=True, timeout=300
    )
    return proc.returncode == 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from deepcausal.discovery._simulate import simulate_dag, simulate_sem, simulate_weights

    B = simulate_dag(5, 1, "ER", random_state=0)
    X = simulate_sem(simulate_weights(B, random_state=0), 500, random_state=0)
    result = gcastle_notears(X, timeout=600)
    print(result.status, result.wall, result.cpu)
    print("true:\n", B, "\nestimated:\n", result.adjacency)
