"""causal-learn's PC and FCI as peers of deepcausal's, returning edges in deepcausal's Edge form.

Used by ``benchmarks/discovery.py`` for its PC / FCI rows. Run directly, it also prints its own table:
PC-stable and FCI against causal-learn's ``pc`` (stable) and ``fci`` on linear-Gaussian ER2 graphs,
same data, same run, Fisher-z at alpha = 0.05 (SHD against the true CPDAG / PAG, and wall time)::

    python benchmarks/_constraint_peers.py            # writes benchmarks/results/constraint_peers.md
"""

from __future__ import annotations

import contextlib
import io
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from deepcausal.discovery import Edge

_MARKS = {"TAIL": "tail", "ARROW": "arrow", "CIRCLE": "circle"}


def _edges(graph: object) -> list[Edge]:
    edges = []
    for e in graph.get_graph_edges():  # type: ignore[attr-defined]
        edges.append(
            Edge(
                e.get_node1().get_name(),
                e.get_node2().get_name(),
                _MARKS[e.get_endpoint1().name],  # type: ignore[arg-type]
                _MARKS[e.get_endpoint2().name],  # type: ignore[arg-type]
            )
        )
    return edges


def causallearn_pc(
    data: pd.DataFrame,
    *,
    alpha: float = 0.05,
    indep_test: str = "fisherz",
    max_cond_size: int | None = None,
) -> tuple[list[Edge], float]:
    """causal-learn's PC-stable (default collider rule) on ``data``: ``(edges, seconds)``."""
    from causallearn.search.ConstraintBased.PC import pc

    start = time.perf_counter()
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        cg = pc(
            data.to_numpy(dtype=float),
            alpha,
            indep_test,
            stable=True,
            show_progress=False,
            node_names=[str(c) for c in data.columns],
            max_k=max_cond_size,
        )
    seconds = time.perf_counter() - start
    return _edges(cg.G), seconds


def causallearn_fci(
    data: pd.DataFrame,
    *,
    alpha: float = 0.05,
    indep_test: str = "fisherz",
    max_cond_size: int | None = None,
) -> tuple[list[Edge], float]:
    """causal-learn's FCI on ``data``: ``(edges, seconds)`` (its printing is swallowed)."""
    from causallearn.search.ConstraintBased.FCI import fci

    start = time.perf_counter()
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        graph, _ = fci(
            data.to_numpy(dtype=float),
            indep_test,
            alpha,
            depth=-1 if max_cond_size is None else max_cond_size,
            show_progress=False,
            node_names=[str(c) for c in data.columns],
        )
    seconds = time.perf_counter() - start
    return _edges(graph), seconds


def _table(
    sizes: tuple[int, ...], n: int, seeds: tuple[int, ...], fci_sizes: tuple[int, ...]
) -> str:
    from deepcausal.discovery import discover
    from deepcausal.discovery._simulate import simulate_dag, simulate_sem
    from deepcausal.discovery.ci import DSeparation
    from deepcausal.graph import CausalGraph
    from deepcausal.metrics._discovery import shd, to_cpdag

    rows = [
        "| method | d | n | SHD deepcausal | SHD causal-learn | time deepcausal (s) "
        "| time causal-learn (s) | speed-up |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for d in sizes:
        for method in ("pc", "fci") if d in fci_sizes else ("pc",):
            ours_shd, peer_shd, ours_t, peer_t = [], [], [], []
            for seed in seeds:
                B = simulate_dag(d, 2, "ER", random_state=seed)
                names = [f"x{i}" for i in range(d)]
                truth = CausalGraph.from_adjacency(B, names)
                data = pd.DataFrame(simulate_sem(truth, n, random_state=seed), columns=names)
                if method == "pc":
                    target = to_cpdag(truth)
                    peer_edges, peer_time = causallearn_pc(data)
                else:
                    target = discover(data.iloc[:2], "fci", ci_test=DSeparation(truth)).edges
                    peer_edges, peer_time = causallearn_fci(data)
                result = discover(data, method)
                ours_shd.append(shd(target, result.edges, nodes=names))
                peer_shd.append(shd(target, peer_edges, nodes=names))
                ours_t.append(result.wall_time)
                peer_t.append(peer_time)
            rows.append(
                f"| {method.upper()} | {d} | {n} | {np.mean(ours_shd):.1f} | {np.mean(peer_shd):.1f} "
                f"| {np.mean(ours_t):.3f} | {np.mean(peer_t):.3f} "
                f"| {np.mean(peer_t) / np.mean(ours_t):.1f}x |"
            )
            print(rows[-1], file=sys.stderr)
    return "\n".join(rows)


def _sachs_rows() -> list[str]:
    """PC and FCI on Sachs et al. (2005), 853 observational rows vs the 17-edge bnlearn DAG."""
    import os

    from deepcausal.discovery import discover
    from deepcausal.graph import CausalGraph
    from deepcausal.metrics._discovery import shd

    root = os.environ.get("DEEPCAUSAL_DATA")
    base = Path(root) if root else Path(__file__).resolve().parents[1].parent / "shared" / "data"
    folder = base / "sachs"
    if not (folder / "sachs.853.observational.txt").is_file():
        print(f"Sachs data not found in {folder}: skipping its rows", file=sys.stderr)
        return []
    data = pd.read_csv(folder / "sachs.853.observational.txt", sep="\t")
    lines = (folder / "sachs.853.bnlearn.dag.txt").read_text().splitlines()
    edges = [line.split("->") for line in lines if "->" in line and not line.startswith("#")]
    truth = CausalGraph(
        nodes=list(data.columns), directed=[(a.strip(), b.strip()) for a, b in edges]
    )
    rows = []
    for method, peer in (("pc", causallearn_pc), ("fci", causallearn_fci)):
        result = discover(data, method)
        peer_edges, peer_time = peer(data)
        names = list(data.columns)
        ours_shd, peer_shd = (
            shd(truth, e, cpdag=method == "pc", nodes=names) for e in (result.edges, peer_edges)
        )
        rows.append(
            f"| {method.upper()} (Sachs, vs DAG{' CPDAG' if method == 'pc' else ''}) | 11 | 853 "
            f"| {ours_shd} | {peer_shd} | {result.wall_time:.3f} | {peer_time:.3f} "
            f"| {peer_time / result.wall_time:.1f}x |"
        )
        print(rows[-1], file=sys.stderr)
    return rows


def main() -> None:
    """Print the table and write it to ``benchmarks/results/constraint_peers.md``."""
    # causal-learn's FCI takes minutes from d = 100 on, so FCI stops at d = 50
    table = _table(sizes=(20, 50, 100), n=1000, seeds=(0, 1, 2), fci_sizes=(20, 50))
    table += "\n" + "\n".join(_sachs_rows())
    header = (
        "PC-stable / FCI vs causal-learn 0.1.4.8 (pc stable=True, fci), Fisher-z, alpha = 0.05, "
        "linear-Gaussian ER2, mean over seeds 0-2. SHD: PC against the true CPDAG, FCI against the "
        "true PAG (no latents). Sachs: 853 observational rows against the 17-edge DAG (PC: SHD of "
        "the CPDAGs; FCI: SHD of the PAG against the DAG, so circles count as errors).\n\n"
    )
    print(header + table)
    out = Path(__file__).resolve().parent / "results" / "constraint_peers.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(header + table + "\n")


if __name__ == "__main__":
    main()
