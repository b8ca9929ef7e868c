"""The reports' cost appendix: the shipped reference curves and this run's point on them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from deepcausal.discovery import discover
from deepcausal.report import discovery_report, reference_curves


def test_the_reference_curves_are_shipped_with_their_provenance() -> None:
    ref = reference_curves()
    assert ref["source"] == "benchmarks/scaling.py" and ref["measured"] and ref["machine"]
    for task in ("discovery", "deepscm", "tarnet"):
        points = np.asarray(ref["curves"][task])
        assert points.shape[1] == 3 and len(points) >= 3
        assert (np.diff(points[:, 0]) > 0).all() and (points[:, 1] > 0).all()


def test_a_dagma_report_marks_the_run_on_the_curve(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=400)
    data = pd.DataFrame({"a": x, "b": 2 * x + rng.normal(size=400), "c": rng.normal(size=400)})
    result = discover(data, method="dagma", warm_iter=2000, max_iter=3000)
    page = discovery_report(result, data, tmp_path / "r").read_text()
    assert "Appendix: cost" in page and "linear DAGMA at d = 3" in page
    assert (tmp_path / "r" / "cost-discovery.png").is_file()
