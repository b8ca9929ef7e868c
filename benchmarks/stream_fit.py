"""DeepSCM on rows beyond memory: a 5-node SCM fitted to 10 million rows streamed from Parquet.

The data is a nonlinear 5-node SCM with known equations (below), written in ``--files`` Parquet
files of pyarrow's default row groups (``benchmarks/results/stream/``; the writer never holds more
than one file's rows). Each fit runs in a fresh process, whose peak resident memory (``VmHWM``) is
its own:

* **streamed**: ``DeepSCM.fit(directory)``: the schema and the encoder from passes over the files,
  an in-memory warm start on a 100,000-row sample, then ``--epochs`` epochs over every training row
  (all five nodes in one pass per epoch), early stopping on at most 100,000 held-out rows;
* **in memory** (the reference): ``pd.read_parquet`` of the first ``--memory-rows`` rows and
  ``DeepSCM.fit(frame)`` with the same settings, the way a user without streaming would fit;
* **DragonNet**: ``fit_streamed`` on a second table of ``--effect-rows`` rows (five covariates,
  a confounded binary treatment, ATE 2), its AIPW ATE and interval from the scoring pass.

Reported: wall time, peak memory, rows per second of the streamed epochs (training rows times
epochs over their wall time), and the effect E[x5 | do(x2 = 1)] - E[x5 | do(x2 = 0)] against its
true value (Monte Carlo over the known equations, 2 million draws).

Targets (issue "Scale"): 10 million rows, peak resident memory under 2 GB.

Usage::

    nice .venv/bin/python benchmarks/stream_fit.py                    # 10M rows, ~15 minutes
    nice .venv/bin/python benchmarks/stream_fit.py --rows 1000000     # a quick look
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

from _child import STATUS

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
GRAPH = "x1 -> x2; x1 -> x3; x2 -> x3; x3 -> x4; x2 -> x5; x4 -> x5"


def simulate(n: int, rng: np.random.Generator, do_x2: float | None = None) -> dict[str, np.ndarray]:
    """The benchmark's SCM (additive noise, nonlinear mechanisms)."""
    x1 = rng.normal(size=n)
    x2 = np.tanh(1.5 * x1) + 0.5 * rng.normal(size=n) if do_x2 is None else np.full(n, do_x2)
    x3 = x2 + 0.5 * np.sin(2.0 * x1) + 0.5 * rng.normal(size=n)
    x4 = np.sin(x3) + 0.3 * x3 + 0.4 * rng.normal(size=n)
    x5 = x4 + 0.5 * x2**2 + 0.5 * rng.normal(size=n)
    return {"x1": x1, "x2": x2, "x3": x3, "x4": x4, "x5": x5}


def true_effect() -> float:
    rng = np.random.default_rng(12345)
    treated = simulate(2_000_000, rng, do_x2=1.0)["x5"].mean()
    control = simulate(2_000_000, rng, do_x2=0.0)["x5"].mean()
    return float(treated - control)


def simulate_effect(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The DragonNet table: five covariates, a confounded binary treatment, ATE 2."""
    x = rng.normal(size=(n, 5))
    t = rng.binomial(1, 1 / (1 + np.exp(-(0.8 * x[:, 0] - 0.5 * x[:, 1] + 0.3 * x[:, 2]))))
    y = 2.0 * t + x[:, 0] + 0.5 * x[:, 1] ** 2 + np.sin(x[:, 2]) + 0.5 * rng.normal(size=n)
    return {**{f"x{j + 1}": x[:, j] for j in range(5)}, "t": t, "y": y}


def write(folder: Path, rows: int, files: int, simulator: object = simulate) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / "_rows.json"
    if marker.exists() and json.loads(marker.read_text()) == {"rows": rows, "files": files}:
        return
    for old in folder.glob("*.parquet"):
        old.unlink()
    rng = np.random.default_rng(0)
    per_file = -(-rows // files)
    for k in range(files):
        n = min(per_file, rows - k * per_file)
        table = simulator(n, rng)  # type: ignore[operator]
        pq.write_table(pa.table(table), folder / f"part-{k:03d}.parquet")
    marker.write_text(json.dumps({"rows": rows, "files": files}))


CHILD = STATUS + textwrap.dedent(
    """
    import json, sys, time, warnings
    warnings.simplefilter("ignore")
    import pandas as pd, torch
    torch.set_num_threads(2)
    from deepcausal.nn import TrainConfig
    from deepcausal.scm import DeepSCM

    mode, folder, epochs, rows, graph = sys.argv[1:6]
    training = TrainConfig(max_epochs=int(epochs), batch_size=4096, lr=2e-3, patience=3,
                           progress=False, device="cpu")
    scm = DeepSCM(graph, mechanisms="additive", training=training, random_state=0,
                  progress=False)
    before = status("VmRSS")
    start = time.perf_counter()
    if mode == "dragonnet":
        from deepcausal.estimators import DragonNet, fit_streamed
        est = DragonNet(train_config=training, random_state=0)
        fit_streamed(est, folder, treatment="t", outcome="y")
        seconds = time.perf_counter() - start
        effect = est.ate()
        hist = est.train_result_
        out = {"mode": mode, "rows": est.streamed_.n_rows, "seconds": seconds,
               "before_mb": before, "peak_mb": status("VmHWM"), "effect": effect.value,
               "ci": [effect.ci_low, effect.ci_high], "epochs": hist.epochs,
               "stream_seconds": hist.seconds,
               "rows_per_second": (est.streamed_.n_rows - est.streamed_.held_out_rows)
               * hist.epochs / hist.seconds}
        print(json.dumps(out))
        raise SystemExit(0)
    if mode == "streamed":
        scm.fit(folder)
        n_rows = scm.training_info_["streamed_rows"]
    else:
        import pyarrow.dataset as pads
        table = pads.dataset(folder, format="parquet").head(int(rows))
        frame = table.to_pandas()
        n_rows = len(frame)
        scm.fit(frame)
    seconds = time.perf_counter() - start
    hist = scm.stream_history_
    effect = scm.ate("x2", "x5", treated=1.0, control=0.0, n=200_000, random_state=0).value
    out = {"mode": mode, "rows": n_rows, "seconds": seconds, "before_mb": before,
           "peak_mb": status("VmHWM"), "effect": effect}
    if hist is not None:
        info = scm.training_info_
        train_rows = info["streamed_rows"] - info["held_out_rows"]
        out.update(stream_seconds=hist.seconds, epochs=hist.epochs,
                   rows_per_second=train_rows * hist.epochs / hist.seconds,
                   held_out=info["held_out_rows"], warm=info["warm_start_rows"])
    print(json.dumps(out))
    """
)


def run_child(mode: str, folder: Path, epochs: int, rows: int) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(folder), str(epochs), str(rows), GRAPH],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{mode} fit failed:\n{proc.stderr[-3000:]}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--memory-rows", type=int, default=1_000_000)
    parser.add_argument("--effect-rows", type=int, default=2_000_000,
                        help="rows of the DragonNet table (its network is 3 x 200 wide)")  # fmt: skip
    parser.add_argument("--output", type=Path, default=RESULTS / "stream_fit.md")
    args = parser.parse_args(argv)

    folder = RESULTS / "stream"
    start = time.perf_counter()
    write(folder, args.rows, args.files)
    print(f"data: {args.rows:,} rows in {folder} ({time.perf_counter() - start:.0f} s)")
    truth = true_effect()
    rows = []
    for mode in ("streamed", "in memory"):
        res = run_child(mode, folder, args.epochs, args.memory_rows)
        rows.append(res)
        print(json.dumps(res))
    effect_folder = RESULTS / "stream_effect"
    write(effect_folder, args.effect_rows, 4, simulate_effect)
    dragon = run_child("dragonnet", effect_folder, args.epochs, 0)
    print(json.dumps(dragon))
    lines = [
        f"Command: `nice .venv/bin/python benchmarks/stream_fit.py --rows {args.rows} "
        f"--epochs {args.epochs}` (true effect {truth:.3f})",
        "",
        "| fit | rows | seconds | peak RSS (MB) | RSS before fit (MB) | rows/s (streamed "
        "epochs) | effect (truth " + f"{truth:.3f}) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        rate = f"{r['rows_per_second']:,.0f}" if "rows_per_second" in r else "-"
        lines.append(
            f"| {r['mode']} | {int(r['rows']):,} | {r['seconds']:.0f} | {r['peak_mb']:.0f} | "
            f"{r['before_mb']:.0f} | {rate} | {r['effect']:.3f} |"
        )
    stream = rows[0]
    lines += [
        "",
        f"- streamed: {int(stream['epochs'])} epoch(s) over the training rows in "
        f"{stream['stream_seconds']:.0f} s; warm start on {int(stream['warm']):,} rows; "
        f"{int(stream['held_out']):,} held out.",
        f"- target peak RSS < 2,048 MB: {'met' if stream['peak_mb'] < 2048 else 'NOT met'} "
        f"({stream['peak_mb']:.0f} MB).",
        "",
        "| streamed estimator | rows | seconds | peak RSS (MB) | rows/s (epochs) | ATE (truth 2) "
        "| 95% CI |",
        "|---|---|---|---|---|---|---|",
        f"| DragonNet (`fit_streamed`) | {int(dragon['rows']):,} | {dragon['seconds']:.0f} | "
        f"{dragon['peak_mb']:.0f} | {dragon['rows_per_second']:,.0f} | {dragon['effect']:.3f} | "
        f"{dragon['ci'][0]:.3f} to {dragon['ci'][1]:.3f} |",
    ]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.path = [p for p in sys.path if Path(p or ".").resolve() != HERE]
    raise SystemExit(main())
