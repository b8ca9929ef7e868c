"""Images on the command line: `fit --images` and `counterfactual --images`, which writes one PNG
per row and a contact sheet, and keeps the other columns in the table."""

from __future__ import annotations

import numpy as np
import pandas as pd
from PIL import Image

from deepcausal.cli.main import main


def _data(tmp_path, n: int = 80):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    t = rng.uniform(1, 4, size=n)
    images = np.zeros((n, 8, 8), np.float32)
    for i in range(n):
        images[i, 4 - int(t[i]) // 2 : 4 + int(np.ceil(t[i] / 2)), 1:7] = 200.0
    csv = tmp_path / "table.csv"
    pd.DataFrame({"t": t}).to_csv(csv, index=False)
    np.save(tmp_path / "images.npy", images)
    return csv, tmp_path / "images.npy"


def test_fit_and_counterfactual_with_images(tmp_path, capsys) -> None:
    csv, npy = _data(tmp_path)
    model = tmp_path / "model"
    report = tmp_path / "report"
    code = main(["fit", str(csv), "--images", str(npy), "--graph", "t -> image", "--out",
                 str(model), "--epochs", "2", "--no-progress", "--report", str(report)])  # fmt: skip
    assert code == 0
    assert "conv-vae" in capsys.readouterr().out
    page = (report / "index.html").read_text()
    assert "the first 8 images of the data beside 8 sampled from the model" in page
    assert (report / "images-image.png").is_file() and (report / "marginals.png").is_file()
    factual = tmp_path / "factual.csv"
    pd.read_csv(csv).head(5).to_csv(factual, index=False)
    np.save(tmp_path / "factual.npy", np.load(npy)[:5])
    out = tmp_path / "cf.csv"
    code = main(["counterfactual", str(model), "--data", str(factual), "--images",
                 str(tmp_path / "factual.npy"), "--do", "t=3.5", "--out", str(out)])  # fmt: skip
    assert code == 0
    table = pd.read_csv(out, index_col=0)
    assert list(table.columns) == ["t"] and np.allclose(table["t"], 3.5)  # images are PNGs
    folder = tmp_path / "cf-images"
    pngs = sorted(p.name for p in folder.glob("image_*.png"))
    assert "image_contact_sheet.png" in pngs and "image_0.png" in pngs and len(pngs) == 6
    with Image.open(folder / "image_0.png") as img:
        assert img.size == (8, 8)


def test_counterfactual_images_to_standard_output_need_a_folder(tmp_path, capsys) -> None:
    csv, npy = _data(tmp_path, 40)
    model = tmp_path / "model"
    main(["fit", str(csv), "--images", str(npy), "--graph", "t -> image", "--out", str(model),
          "--epochs", "1", "--no-progress"])  # fmt: skip
    code = main(["counterfactual", str(model), "--data", str(csv), "--images", str(npy), "--do",
                 "t=2", "--out", "-"])  # fmt: skip
    assert code != 0 and "--images-out" in capsys.readouterr().err
