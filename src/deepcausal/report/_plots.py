"""Plots of the demo and the reports: marginals, interventional distributions, counterfactuals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _figure(
    n_panels: int, width: float = 3.2, height: float = 2.6, ncols: int | None = None
) -> tuple[Figure, np.ndarray]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    ncols = min(n_panels, ncols or n_panels)
    nrows = -(-n_panels // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False)
    flat = axes.ravel()
    for ax in flat[n_panels:]:
        ax.set_visible(False)
    return fig, flat[:n_panels]


def _is_numeric(series: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(series)) and not isinstance(
        series.dtype, pd.CategoricalDtype
    )


def _compare(ax: Axes, samples: Mapping[str, pd.Series], title: str) -> None:
    first = next(iter(samples.values()))
    if _is_numeric(first) and first.nunique() > 10:
        ax.set_xlabel(title.split(" |")[0], fontsize=9)
        ax.set_ylabel("density", fontsize=9)
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
        # the most common levels of the first sample (at most 12), the rest left out
        top = first.astype(str).value_counts().index[:12]
        cats = sorted(top) if len(top) == first.nunique() else list(top)
        width = 0.8 / len(samples)
        for k, (label, s) in enumerate(samples.items()):
            freq = s.astype(str).value_counts(normalize=True).reindex(cats, fill_value=0.0)
            ax.bar(np.arange(len(cats)) + k * width, freq.to_numpy(), width=width, label=label)
        ax.set_xticks(np.arange(len(cats)) + 0.4 - width / 2, cats)
        if len(cats) > 4 or max(len(c) for c in cats) > 6:
            ax.tick_params(axis="x", labelrotation=60, labelsize=7)
        ax.set_xlabel(title.split(" |")[0], fontsize=9)
        ax.set_ylabel("share of rows", fontsize=9)
    ax.set_title(title, fontsize=10)


def plot_marginals(
    observed: pd.DataFrame,
    model: pd.DataFrame,
    columns: Sequence[str],
    labels: tuple[str, str] = ("data", "model"),
) -> Figure:
    """One panel per column (four to a row): the observed distribution next to the model's."""
    fig, axes = _figure(len(columns), ncols=4)
    for ax, col in zip(axes, columns, strict=True):
        _compare(ax, {labels[0]: observed[col], labels[1]: model[col]}, col)
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


def plot_image_grid(
    columns: Mapping[str, np.ndarray], vmin: float | None = None, vmax: float | None = None
) -> Figure:
    """A grid of images: one column per title, one row per unit (arrays ``(k, C, H, W)``; the
    first channel is shown in grey, on one scale for all panels: ``vmin``/``vmax``, or the
    range of the images)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    titles = list(columns)
    k = len(next(iter(columns.values())))
    low = min(float(np.min(a)) for a in columns.values()) if vmin is None else vmin
    high = max(float(np.max(a)) for a in columns.values()) if vmax is None else vmax
    fig, axes = plt.subplots(k, len(titles), figsize=(1.25 * len(titles), 1.25 * k),
                             squeeze=False)  # fmt: skip
    for j, title in enumerate(titles):
        for i in range(k):
            ax = axes[i, j]
            ax.imshow(columns[title][i, 0], cmap="gray", vmin=low, vmax=high)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(title, fontsize=7)
    fig.tight_layout()
    return fig
