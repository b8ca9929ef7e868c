"""CEVAE beside pyro's ``pyro.contrib.cevae.CEVAE`` on the same data in the same run.

Three settings:

* ``louizos`` — the synthetic design of Louizos et al. (2017, §4.1): a binary hidden confounder,
  five noisy Gaussian proxies, a binary outcome (``simulate_latent_proxies``); n = 1000 and 5000;
  score: |estimated ATE - the sample's true ATE| (mean of the true unit effects).
* ``ihdp`` — IHDP replications 1..k from ../shared/data/ihdp (skipped with a message when absent):
  in-sample |ATE error| and sqrt(PEHE) against the noiseless potential outcomes.
* ``misspecified`` — Rissanen & Marttinen's (2021) failure: a bimodal continuous confounder behind
  one noisy proxy (``simulate_noisy_proxy``, ATE 2). Both CEVAEs are biased, like adjustment for
  the proxy by regression; the row shows it.

pyro runs with its example's settings (latent 20, hidden 200, 3 layers, 50 epochs, batch 100,
learning rate 1e-3 decayed to 0.1x, weight decay 1e-4, 10 posterior samples); deepcausal's CEVAE
with its defaults (the same networks, early stopping on 20% held-out rows, 100 posterior samples).

Target (docs/benchmarks.md): deepcausal's mean ATE error ≤ pyro's on the Louizos design.

Usage::

    nice .venv/bin/python benchmarks/cevae.py                      # 10 seeds, 10 IHDP replications
    .venv/bin/python benchmarks/cevae.py --seeds 2 --settings louizos
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
RESULTS = HERE / "results"
SETTINGS = ("louizos", "ihdp", "misspecified")


def _load_sibling(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def ours(X: np.ndarray, t: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
    """deepcausal's CEVAE: the estimated unit effects on the training rows."""
    from deepcausal.estimators import CEVAE

    return np.asarray(CEVAE(random_state=seed).fit(X, t, y).effect(X))


def pyro_cevae(X: np.ndarray, t: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
    """pyro's CEVAE with its example's settings; the outcome family from the data."""
    import logging

    import pyro
    import torch
    from pyro.contrib.cevae import CEVAE as PyroCEVAE

    logging.getLogger("pyro").setLevel(logging.WARNING)
    binary = bool(np.isin(y, (0.0, 1.0)).all())
    mean, scale = (0.0, 1.0) if binary else (float(y.mean()), float(y.std()))
    pyro.set_rng_seed(seed)
    pyro.clear_param_store()
    model = PyroCEVAE(
        feature_dim=X.shape[1], outcome_dist="bernoulli" if binary else "normal", num_samples=10
    )
    x = torch.as_tensor(X, dtype=torch.float32)
    model.fit(
        x,
        torch.as_tensor(t, dtype=torch.float32),
        torch.as_tensor((y - mean) / scale, dtype=torch.float32),
        num_epochs=50,
        batch_size=100,
        learning_rate=1e-3,
        learning_rate_decay=0.1,
        weight_decay=1e-4,
    )
    return np.asarray(model.ite(x).detach().numpy(), dtype=float) * scale


FITTERS = {"deepcausal CEVAE": ours, "pyro CEVAE": pyro_cevae}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--replications", type=int, default=10, help="IHDP replications")
    parser.add_argument("--settings", default=",".join(SETTINGS))
    parser.add_argument("--output", default=str(RESULTS / "cevae.md"))
    args = parser.parse_args(argv)
    settings = args.settings.split(",")
    if unknown := [s for s in settings if s not in SETTINGS]:
        parser.error(f"unknown {unknown}; choose from {SETTINGS}")

    import torch

    from deepcausal.datasets import simulate_latent_proxies, simulate_noisy_proxy

    torch.set_num_threads(1)
    start, load = time.perf_counter(), os.getloadavg()[0]
    command = f"python benchmarks/cevae.py {' '.join(sys.argv[1:] if argv is None else argv)}"
    lines = [
        f"Command: `{command.strip()}`",
        "",
        "| setting | estimator | truth | mean estimate | mean abs ATE error | sqrt(PEHE) | s / fit |",
        "|---|---|---|---|---|---|---|",
    ]
    louizos_err: dict[str, list[float]] = {name: [] for name in FITTERS}

    def record(setting: str, runs: dict[str, list[tuple[float, float, float, float]]]) -> None:
        for name, vals in runs.items():
            a = np.asarray(vals)  # truth, estimate, pehe, seconds
            pehe = f"{a[:, 2].mean():.3f}" if np.isfinite(a[:, 2]).all() else "—"
            lines.append(
                f"| {setting} | {name} | {a[:, 0].mean():.4f} | {a[:, 1].mean():.4f} | "
                f"{np.abs(a[:, 1] - a[:, 0]).mean():.4f} | {pehe} | {a[:, 3].mean():.1f} |"
            )

    def fit_all(X: np.ndarray, t: np.ndarray, y: np.ndarray, seed: int,
                ite: np.ndarray | None, truth: float, runs: dict[str, list[Any]]) -> None:  # fmt: skip
        for name, fit in FITTERS.items():
            tick = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est = fit(X, t, y, seed)
            pehe = float(np.sqrt(np.mean((est - ite) ** 2))) if ite is not None else np.nan
            runs[name].append((truth, float(est.mean()), pehe, time.perf_counter() - tick))
            print(f"  {name}: ATE {est.mean():.4f} (truth {truth:.4f})", file=sys.stderr)

    if "louizos" in settings:
        for n in (1000, 5000):
            runs: dict[str, list[Any]] = {name: [] for name in FITTERS}
            for seed in range(args.seeds):
                print(f"louizos n={n} seed {seed}", file=sys.stderr, flush=True)
                sim = simulate_latent_proxies(n, random_state=seed)
                d = sim.data
                X = d[[c for c in d if c.startswith("x")]].to_numpy()
                ite = np.asarray(sim.truth["ite"])
                fit_all(X, d.t.to_numpy(), d.y.to_numpy().astype(float), seed, ite,
                        float(ite.mean()), runs)  # fmt: skip
            for name in FITTERS:
                louizos_err[name] += [abs(r[1] - r[0]) for r in runs[name]]
            record(f"Louizos synthetic, n = {n}", runs)
    if "ihdp" in settings:
        ihdp = _load_sibling("_ihdp_data")
        if not ihdp.available():
            lines.append(f"| IHDP | skipped: no data in {ihdp.data_dir()} | | | | | |")
        else:
            runs = {name: [] for name in FITTERS}
            for i in range(1, args.replications + 1):
                print(f"ihdp replication {i}", file=sys.stderr, flush=True)
                rep = ihdp.load_replication(i)
                fit_all(rep.X_train, rep.t_train, rep.y_train, i, rep.cate_train,
                        float(rep.cate_train.mean()), runs)  # fmt: skip
            record(f"IHDP, replications 1-{args.replications} (in-sample)", runs)
    if "misspecified" in settings:
        from sklearn.linear_model import LinearRegression

        runs = {name: [] for name in FITTERS}
        runs["regression on the proxy"] = []
        for seed in range(args.seeds):
            print(f"misspecified seed {seed}", file=sys.stderr, flush=True)
            sim = simulate_noisy_proxy(3000, random_state=seed)
            d = sim.data
            X, t, y = d[["x"]].to_numpy(), d.t.to_numpy(), d.y.to_numpy()
            fit_all(X, t, y, seed, None, sim.ate, runs)
            tick = time.perf_counter()
            coef = LinearRegression().fit(np.column_stack([t, X]), y).coef_[0]
            runs["regression on the proxy"].append(
                (sim.ate, coef, np.nan, time.perf_counter() - tick)
            )
        record("misspecified (noisy proxy of a bimodal confounder), n = 3000", runs)
    if louizos_err["deepcausal CEVAE"]:
        ours_err = float(np.mean(louizos_err["deepcausal CEVAE"]))
        peer_err = float(np.mean(louizos_err["pyro CEVAE"]))
        lines += [
            "",
            f"Louizos design, both sizes: mean |ATE error| deepcausal {ours_err:.4f}, pyro "
            f"{peer_err:.4f}, ratio {ours_err / peer_err:.2f} (goal ≤ 1: "
            f"{'met' if ours_err <= peer_err else 'NOT met'}).",
        ]
    lines.append(f"Total {time.perf_counter() - start:.0f} s; load average {load:.2f} at start.")
    text = "\n".join(lines) + "\n"
    from deepcausal._atomic import atomic_write_text

    atomic_write_text(args.output, text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
