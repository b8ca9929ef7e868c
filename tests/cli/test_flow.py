"""The new-user flow of the README, end to end from the command line with files passed between
steps: learn a graph, fit a model on it, ask an effect, sample and ask counterfactuals; each step
writes a report a colleague can read without the terminal."""

from __future__ import annotations

import base64
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deepcausal.cli.main import main


def _page_is_whole(page: Path) -> str:
    text = page.read_text()
    for section in ("The question", "How this was made", "seed 0", "command: deepcausal"):
        assert section in text, (page, section)
    images = re.findall(r'<img alt="([^"]*)" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert images, page  # every report shows at least one plot, embedded
    for name, encoded in images:
        assert name  # every image says what it is
        assert base64.b64decode(encoded).startswith(b"\x89PNG\r\n\x1a\n"), (page, name)
    assert len(list(page.parent.glob("*.png"))) == len(images)  # and lies beside the page
    return text


def test_learn_fit_ask_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(0)
    n = 1500
    z = rng.normal(size=n)
    t = (0.7 * z + rng.normal(size=n) > 0).astype(float)
    y = 1.5 * t + z + 0.5 * rng.normal(size=n)
    data = tmp_path / "data.csv"
    pd.DataFrame({"z": z, "t": t, "y": y}).to_csv(data, index=False)
    g, r = tmp_path / "graph", tmp_path / "reports"
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        steps = [
            ["discover", str(data), "--tiers", "z | t | y", "--out", str(g), "--stability", "3",
             "--report", str(r / "discover")],
            ["fit", str(data), "--graph", str(g), "--out",
             str(tmp_path / "model"), "--report", str(r / "fit")],
            ["effect", str(data), "--graph", str(g), "--treatment", "t", "--outcome", "y",
             "--method", "aipw", "--out", str(tmp_path / "effect.json"), "--report",
             str(r / "effect")],
            ["sample", str(tmp_path / "model"), "-n", "200", "--do", "t=1", "--out",
             str(tmp_path / "s.csv"), "--report", str(r / "sample")],
            ["counterfactual", str(tmp_path / "model"), "--data", str(data), "--do", "t=0",
             "--out", str(tmp_path / "cf.csv"), "--report", str(r / "counterfactual")],
        ]  # fmt: skip
        for step in steps:
            assert main([*step, "--quiet"]) == 0, step
    effect = json.loads((tmp_path / "effect.json").read_text())["effect"]
    assert abs(effect["value"] - 1.5) < 5 * effect["std_error"]
    discover_page = _page_is_whole(r / "discover" / "index.html")
    assert "bootstrap resamples" in discover_page and "causal sufficiency" in discover_page
    fit_page = _page_is_whole(r / "fit" / "index.html")
    assert "The mechanisms" in fit_page and "Appendix: cost" in fit_page
    assert (r / "fit" / "cost-deepscm.png").is_file()
    assert "Appendix: cost" not in discover_page  # PC: no reference curve
    assert "do(t=1)" in _page_is_whole(r / "sample" / "index.html")
    cf_page = _page_is_whole(r / "counterfactual" / "index.html")
    assert "Abduction per node" in cf_page and "exact" in cf_page
    _page_is_whole(r / "effect" / "index.html")
