"""The tutorials in docs/tutorials run as written: every ``python`` block of a page, in order, in
one namespace, in a scratch folder. A page marked ``<!-- needs: ihdp -->`` skips with a message
where that data set is absent from ../shared/data (or $DEEPCAUSAL_DATA)."""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "docs" / "tutorials").glob("*.md"))
DATA = Path(os.environ.get("DEEPCAUSAL_DATA", ROOT.parent / "shared" / "data"))


def test_there_are_five_tutorials() -> None:
    assert len(PAGES) == 5, [p.name for p in PAGES]


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_tutorial_runs(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = page.read_text()
    for needed in re.findall(r"<!-- needs: (\w+) -->", text):
        if not (DATA / needed).is_dir():
            pytest.skip(f"{page.name} needs {DATA / needed}, which is absent")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, f"{page.name} has no python block"
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"DATA": str(DATA), "__name__": "__tutorial__"}
    with warnings.catch_warnings():
        warnings.simplefilter("default")  # a reader sees warnings; they do not stop the page
        for k, block in enumerate(blocks, start=1):
            try:
                exec(compile(block, f"{page.name}[block {k}]", "exec"), namespace)
            except Exception as exc:  # name the block that broke
                raise AssertionError(f"{page.name}, block {k} failed: {exc!r}") from exc
