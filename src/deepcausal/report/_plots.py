"""Plots of the demo and the reports: marginals, interventional distributions, counterfactuals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from deepcausal.graph import CausalGraph


def _figure(n_panels: int, width: float = 3.2, height: float = 2.6) -> tuple[Figure, np.ndarray]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, n_panels, figsize=(width * n_panels, height), squeeze=False)
    return fig, axes[0]


def _is_numeric(series: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(series)) and not isinstance(
        series.dtype, pd.CategoricalDtype
    )


def _compare(ax: Axes, samples: Mapping[str, pd.Series], title: str) -> None:
    first = next(iter(samples.values()))
    if _is_numeric(first) and first.nunique() > 10:
        pooled = np.concatenate([np.asarray(s, dtype=float) for s in samples.values()])
        lo, hi = np.quantile(pooled, [0.005, 0.995])
        bins = np.linspace(lo, hi, 40).tolist()
        for label, s in samples.items():
            ax.hist(
                np.asarray(s, dtype=float),
                bins=bins,
                density=True,
                histtype="step",
                lw=1.5,
                label=label,
            )
    else:
        cats = sorted({str(v) for s in samples.values() for v in s.unique()})
        width = 0.8 / len(samples)
        for k, (label, s) in enumerate(samples.items()):
            freq = s.astype(str).value_counts(normalize=True).reindex(cats, fill_value=0.0)
            ax.bar(np.arange(len(cats)) + k * width, freq.to_numpy(), width=width, label=label)
        ax.set_xticks(np.arange(len(cats)) + 0.4 - width / 2, cats)
    ax.set_title(title, fontsize=10)


def plot_marginals(observed: pd.DataFrame, model: pd.DataFrame, columns: Sequence[str]) -> Figure:
    """One panel per column: the observed distribution next to the model's samples."""
    fig, axes = _figure(len(columns))
    for ax, col in zip(axes, columns, strict=True):
        _compare(ax, {"data": observed[col], "model": model[col]}, col)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_interventional(
    panels: Sequence[tuple[str, pd.Series, pd.Series]],
) -> Figure:
    """One panel per intervention: the outcome's true interventional distribution and the model's."""
    fig, axes = _figure(len(panels))
    for ax, (title, truth, model) in zip(axes, panels, strict=True):
        _compare(ax, {"truth": truth, "model": model}, title)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_counterfactuals(
    predicted: pd.DataFrame, truth: pd.DataFrame, columns: Sequence[str]
) -> Figure:
    """Predicted against exact counterfactual values, one panel per column, with the diagonal."""
    fig, axes = _figure(len(columns))
    for ax, col in zip(axes, columns, strict=True):
        p, t = np.asarray(predicted[col], dtype=float), np.asarray(truth[col], dtype=float)
        ax.scatter(t, p, s=6, alpha=0.5)
        lo, hi = float(min(t.min(), p.min())), float(max(t.max(), p.max()))
        ax.plot([lo, hi], [lo, hi], color="black", lw=1, ls="--")
        ax.set_xlabel("true counterfactual", fontsize=9)
        ax.set_ylabel("model", fontsize=9)
        ax.set_title(col, fontsize=10)
    fig.tight_layout()
    return fig


def plot_graph(graph: CausalGraph, title: str = "") -> Figure:
    """Draw a causal graph: directed edges as arrows, bidirected edges dashed with two heads.

    Nodes are placed in layers by topological depth (causes on the left), which reads well for the
    small graphs of a report.
    """
    from matplotlib.patches import FancyArrowPatch

    depth: dict[str, int] = {}
    for node in graph.topological_order():
        depth[node] = 1 + max((depth[p] for p in graph.parents(node)), default=-1)
    layers: dict[int, list[str]] = {}
    for node in graph.topological_order():
        layers.setdefault(depth[node], []).append(node)
    pos = {
        node: (float(d), float(i) - (len(members) - 1) / 2)
        for d, members in layers.items()
        for i, node in enumerate(members)
    }
    n_layers = max(layers) + 1 if layers else 1
    height = max((len(m) for m in layers.values()), default=1)
    fig, axes = _figure(1, width=max(3.0, 1.8 * n_layers), height=max(2.2, 1.1 * height))
    ax = axes[0]
    for a, b in graph.directed_edges:
        skip = abs(depth[b] - depth[a]) > 1
        rad = 0.35 if skip else 0.08  # an edge that jumps a layer arcs around the nodes between
        ax.add_patch(
            FancyArrowPatch(pos[a], pos[b], arrowstyle="-|>", mutation_scale=14, shrinkA=16,
                            shrinkB=16, color="#333", connectionstyle=f"arc3,rad={rad}")
        )  # fmt: skip
    for a, b in graph.bidirected_edges:
        ax.add_patch(
            FancyArrowPatch(pos[a], pos[b], arrowstyle="<|-|>", mutation_scale=12, shrinkA=16,
                            shrinkB=16, color="#b03030", ls="--", connectionstyle="arc3,rad=-0.35")
        )  # fmt: skip
    for node, (x, y) in pos.items():
        ax.annotate(node, (x, y), ha="center", va="center", fontsize=10,
                    bbox={"boxstyle": "circle,pad=0.4", "fc": "#e8f0fa", "ec": "#335"})  # fmt: skip
    xs = [p[0] for p in pos.values()] or [0.0]
    ys = [p[1] for p in pos.values()] or [0.0]
    ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6)
    ax.set_ylim(min(ys) - 0.8, max(ys) + 0.8)
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig
