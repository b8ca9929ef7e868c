"""The image demo end to end on a tiny stand-in for Morpho-MNIST (bars of known thickness and
intensity): the report, its grid and its metrics; and the CLI's message without the data."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deepcausal.cli.main import main
from deepcausal.datasets import load_morphomnist
from deepcausal.pipelines.image_demo import (
    TARGETS,
    evaluate_counterfactuals,
    fit_morphomnist,
    run_image_demo,
    train_scorers,
)


def _idx(array: np.ndarray) -> bytes:
    head = struct.pack(">BBBB", 0, 0, 0x08, array.ndim)
    return head + b"".join(struct.pack(">I", s) for s in array.shape) + array.tobytes()


def _folder(tmp_path: Path, n: int = 60) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    width = rng.integers(1, 5, size=n)
    value = rng.uniform(100, 250, size=n)
    images = np.zeros((n, 28, 28), np.uint8)
    for i in range(n):
        top = 14 - width[i] // 2
        images[i, top : top + width[i], 4 + i % 5 : 20 + i % 5] = value[i]
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(_idx(images)))
    digits = (np.arange(n) % 3).astype(np.uint8)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(_idx(digits)))
    pd.DataFrame({"thickness": width.astype(float), "intensity": value}).to_csv(
        tmp_path / "t10k-morpho.csv"
    )
    return tmp_path


def test_the_image_demo_writes_a_report_with_grids_and_metrics(tmp_path) -> None:
    folder = _folder(tmp_path / "data")
    path = run_image_demo(folder, tmp_path / "report", epochs=2, progress=False)
    page = path.read_text()
    assert "Counterfactual images" in page and "Soundness metrics" in page
    assert (tmp_path / "report" / "counterfactuals.png").stat().st_size > 1000
    for metric in TARGETS:
        assert metric in page
    # effectiveness is also scored by anti-causal predictors, with their floor on real images
    assert "thickness MAE, predictor" in page and "predictor floor: intensity MAE" in page


def test_the_cli_names_the_missing_data(tmp_path, capsys) -> None:
    code = main(["demo", "--images", "--data", str(tmp_path / "absent")])
    assert code != 0
    assert "needs the Morpho-MNIST folder" in capsys.readouterr().err


def test_counterfactuals_can_be_scored_averaged_over_posterior_draws(tmp_path) -> None:
    """``particles``: every counterfactual is the mean of that many draws of the image's noise;
    the null intervention still returns each image exactly, and a bad count is named."""
    data = load_morphomnist(_folder(tmp_path))
    train, test = np.arange(40), np.arange(40, 60)
    scm = fit_morphomnist(data, train, epochs=2)
    scorers = train_scorers(data, train)
    single = evaluate_counterfactuals(scm, data, train, test, particles=1, scorers=scorers)
    averaged = evaluate_counterfactuals(scm, data, train, test, particles=4, scorers=scorers)
    assert single.classifier_accuracy == averaged.classifier_accuracy  # the same scorers
    assert averaged.metrics["composition: L1 after 10"] < 1e-3
    # a mean over draws moves each pixel by the mean of the draws' moves: no further on average
    # than one draw's, up to that one draw's luck (a margin of a tenth)
    key = "minimality: L1 do(thickness)"
    assert averaged.metrics[key] <= single.metrics[key] * 1.1
    with pytest.raises(ValueError, match="particles"):
        evaluate_counterfactuals(scm, data, train, test, particles=0)
