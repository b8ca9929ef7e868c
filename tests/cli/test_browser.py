"""The HTML reports in a real browser: every image loads and the console stays free of errors.

Needs Playwright and a Chromium it can launch (``pip install -e ".[browser]"`` then
``playwright install chromium``, or a system Chromium in $CHROMIUM); skips with a message otherwise.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deepcausal.cli.main import main


def _browser():  # type: ignore[no-untyped-def]
    playwright = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed (the 'browser' extra)"
    )
    manager = playwright.sync_playwright().start()
    try:
        return manager, manager.chromium.launch(executable_path=os.environ.get("CHROMIUM") or None)
    except Exception as exc:  # no browser binary here
        manager.stop()
        pytest.skip(f"no Chromium to launch ({str(exc).splitlines()[0][:120]})")


def _collect(errors: list[str]):  # type: ignore[no-untyped-def]
    def on_console(message) -> None:  # type: ignore[no-untyped-def]
        if message.type == "error":
            errors.append(message.text)

    return on_console


def test_reports_render_in_a_browser(tmp_path: Path) -> None:
    manager, browser = _browser()
    rng = np.random.default_rng(0)
    z = rng.normal(size=800)
    t = (0.5 * z + rng.normal(size=800) > 0).astype(float)
    data = tmp_path / "d.csv"
    pd.DataFrame({"z": z, "t": t, "y": t + z + rng.normal(size=800)}).to_csv(data, index=False)
    graph = "z -> t; z -> y; t -> y"
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        assert (
            main(
                [
                    "effect",
                    str(data),
                    "--graph",
                    graph,
                    "--treatment",
                    "t",
                    "--outcome",
                    "y",
                    "--method",
                    "aipw",
                    "--report",
                    str(tmp_path / "effect"),
                    "--quiet",
                ]
            )
            == 0
        )
        assert main(["discover", str(data), "--out", str(tmp_path / "g"), "--report",
                     str(tmp_path / "discover"), "--quiet"]) == 0  # fmt: skip
    try:
        for name in ("effect", "discover"):
            page = browser.new_page()
            errors: list[str] = []
            page.on("console", _collect(errors))
            page.goto((tmp_path / name / "index.html").as_uri())
            widths = page.eval_on_selector_all("img", "els => els.map(e => e.naturalWidth)")
            assert widths and all(w > 0 for w in widths), (name, widths)
            assert errors == [], (name, errors)
    finally:
        browser.close()
        manager.stop()
