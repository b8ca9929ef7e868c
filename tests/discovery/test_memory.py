"""Discovery on a GPU that is too small: a named error with d and the memory needed, not a crash."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from deepcausal.discovery import discover
from deepcausal.discovery._linear import linear_memory, memory_guard
from deepcausal.errors import MemoryLimitError


def test_a_run_that_cannot_fit_is_refused_before_it_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (2**30, 80 * 2**30))
    need = linear_memory(10_000, 20_000, "l2")
    assert need == 8 * 16 * 20_000**2
    with (
        pytest.raises(MemoryLimitError, match=r"d = 20000 .* 47\.68 GiB .* 1\.00 GiB are free"),
        memory_guard("dagma", 10_000, 20_000, "l2", torch.device("cuda")),
    ):
        pytest.fail("the guard let an impossible run start")


def test_an_out_of_memory_during_the_run_is_named() -> None:
    with (
        pytest.raises(MemoryLimitError, match=r"notears on d = 500 variables needs about 0\.03"),
        memory_guard("notears", 1000, 500, "l2", None),
    ):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory")


def test_the_guard_leaves_a_cpu_run_alone() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    data = pd.DataFrame({"a": x, "b": 2 * x + rng.normal(size=300)})
    result = discover(data, method="dagma", device="cpu", warm_iter=2000, max_iter=4000)
    assert [str(e) for e in result.edges] == ["a -> b"]


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_float32_dagma_finds_the_float64_graph(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deepcausal.discovery import _linear
    from deepcausal.discovery._simulate import simulate_dag, simulate_sem, simulate_weights

    if backend == "torch":  # torch on the CPU, as for d >= 300
        monkeypatch.setattr(_linear, "CPU_TORCH_MIN_NODES", 1)
    W = simulate_weights(simulate_dag(8, 2, "ER", random_state=3), random_state=3)
    data = pd.DataFrame(simulate_sem(W, 2000, random_state=3))
    double = discover(data, method="dagma", device="cpu", precision="float64")
    single = discover(data, method="dagma", device="cpu", precision="float32")
    truth = W != 0
    assert ((double.adjacency.to_numpy() != 0) == truth).all()
    assert ((single.adjacency.to_numpy() != 0) == truth).all()
    with pytest.raises(ValueError, match="precision must be"):
        discover(data, method="dagma", precision="half")
