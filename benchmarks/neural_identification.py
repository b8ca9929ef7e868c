"""Neural identification on the eight graphs of Xia et al. 2021, and neural bounds beside LP bounds.

Part A — for each graph (back-door, front-door, M, napkin: identifiable; bow, extended bow, IV,
bad-M: not) and each of ``--scms`` random discrete SCMs (``random_discrete_scm``, binary nodes,
n = 10,000 rows), ``neural_identify`` with its defaults decides, and the table shows whether it
agrees with the symbolic ID algorithm, the gap, the estimate's error against the exact effect
(identifiable graphs), and the seconds per call. Targets: agreement on 8/8 graphs, error ≤ 0.03,
≤ 2 minutes per call on 2 CPU cores.

Part B — for ``--ivs`` random binary instrumental-variable SCMs (n = 20,000), ``bounds`` with
``method="lp"`` (sharp, Balke & Pearl 1997) and ``method="neural"`` (defaults). Targets: the neural
ends within 0.05 of the LP ends; both contain the true effect; the LP in under a second.

Usage::

    nice .venv/bin/python benchmarks/neural_identification.py            # --scms 2 --ivs 5
    .venv/bin/python benchmarks/neural_identification.py --scms 1 --ivs 1 --only bow
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

GRAPHS = {
    "back-door": ("Z -> X; Z -> Y; X -> Y", True),
    "front-door": ("X -> Z; Z -> Y; X <-> Y", True),
    "M": ("M <-> X; M <-> Y; X -> Y", True),
    "napkin": ("W -> R; R -> X; X -> Y; W <-> X; W <-> Y", True),
    "bow": ("X -> Y; X <-> Y", False),
    "extended bow": ("X -> Z; Z -> Y; X <-> Z", False),
    "IV": ("Z -> X; X -> Y; X <-> Y", False),
    "bad-M": ("X -> Y; Z -> Y; Z <-> Y; X <-> Z", False),
}


def part_a(scms: int, only: list[str]) -> list[dict[str, object]]:
    from deepcausal import neural_identify
    from deepcausal.datasets import random_discrete_scm

    rows = []
    for name, (graph, expected) in GRAPHS.items():
        if only and name not in only:
            continue
        for seed in range(scms):
            scm = random_discrete_scm(graph, random_state=seed)
            df = scm.sample(10_000, random_state=seed)
            start = time.perf_counter()
            res = neural_identify(graph, df, "X", "Y", random_state=seed)
            seconds = time.perf_counter() - start
            truth = scm.ate("X", "Y")
            row = {
                "graph": name,
                "scm": seed,
                "symbolic": res.symbolic,
                "expected": expected,
                "neural": res.identifiable,
                "agrees": res.identifiable == res.symbolic,
                "gap": res.gap,
                "gap_se": res.gap_se,
                "lower": res.lower,
                "upper": res.upper,
                "truth": truth,
                "error": None if res.estimate is None else abs(res.estimate - truth),
                "seconds": seconds,
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


def part_b(ivs: int) -> list[dict[str, object]]:
    from deepcausal import bounds
    from deepcausal.datasets import random_discrete_scm

    graph = GRAPHS["IV"][0]
    rows = []
    for seed in range(ivs):
        scm = random_discrete_scm(graph, random_state=100 + seed)
        df = scm.sample(20_000, random_state=seed)
        start = time.perf_counter()
        lp = bounds(graph, df, "X", "Y")
        lp_seconds = time.perf_counter() - start
        start = time.perf_counter()
        nb = bounds(graph, df, "X", "Y", method="neural", random_state=seed)
        truth = scm.ate("X", "Y")
        row = {
            "scm": 100 + seed,
            "truth": truth,
            "lp": [lp.lower, lp.upper],
            "lp_seconds": lp_seconds,
            "neural": [nb.lower, nb.upper],
            "neural_seconds": time.perf_counter() - start,
            "max_end_gap": max(abs(nb.lower - lp.lower), abs(nb.upper - lp.upper)),
            "lp_contains": lp.contains(truth),
            "neural_contains": nb.contains(truth),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def _table(a: list[dict[str, object]], b: list[dict[str, object]]) -> str:
    lines = [
        "| graph | ID says | neural says (per SCM) | gap ± SE (per SCM) | error of the estimate | s per call |",
        "|---|---|---|---|---|---|",
    ]
    for name in GRAPHS:
        rows = [r for r in a if r["graph"] == name]
        if not rows:
            continue
        says = ", ".join("identifiable" if r["neural"] else "not" for r in rows)
        gaps = ", ".join(f"{r['gap']:.3f} ± {r['gap_se']:.3f}" for r in rows)
        errs = ", ".join("—" if r["error"] is None else f"{r['error']:.3f}" for r in rows)
        secs = max(float(r["seconds"]) for r in rows)  # type: ignore[arg-type]
        sym = "identifiable" if rows[0]["symbolic"] else "not"
        lines.append(f"| {name} | {sym} | {says} | {gaps} | {errs} | {secs:.0f} |")
    agree = sum(bool(r["agrees"]) for r in a)
    lines.append("")
    lines.append(f"Agreement with the ID algorithm: {agree}/{len(a)} calls.")
    lines.append("")
    lines.append(
        "| IV SCM | truth | LP bounds | LP s | neural bounds | max end gap | both contain truth |"
    )
    lines.append("|---|---|---|---|---|---|---|")
    for r in b:
        lp, nb = r["lp"], r["neural"]
        lines.append(
            f"| {r['scm']} | {r['truth']:.3f} | [{lp[0]:.3f}, {lp[1]:.3f}] | {r['lp_seconds']:.3f} | "  # type: ignore[index]
            f"[{nb[0]:.3f}, {nb[1]:.3f}] | {r['max_end_gap']:.3f} | "  # type: ignore[index]
            f"{'yes' if r['lp_contains'] and r['neural_contains'] else 'no'} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scms", type=int, default=2, help="random SCMs per graph")
    parser.add_argument("--ivs", type=int, default=5, help="random IV SCMs for the bounds table")
    parser.add_argument("--only", nargs="*", default=[], help="graph names of part A")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    a = part_a(args.scms, args.only)
    b = part_b(args.ivs)
    table = _table(a, b)
    print(table)
    from deepcausal._atomic import atomic_write_text

    RESULTS.mkdir(exist_ok=True)
    atomic_write_text(
        RESULTS / "neural_identification.json", json.dumps({"a": a, "b": b}, indent=1)
    )
    atomic_write_text(RESULTS / "neural_identification.md", table + "\n")


if __name__ == "__main__":
    sys.path = [p for p in sys.path if Path(p or os.getcwd()).resolve() != HERE]
    main()
