"""Image and vector variables in a table: array columns, flat columns, files of images."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from deepcausal.data import flatten_arrays, image_table, read_images, stack_columns
from deepcausal.errors import DataError


def test_an_array_column_becomes_flat_columns_and_back() -> None:
    images = np.arange(2 * 3 * 2 * 2, dtype=float).reshape(2, 3, 2, 2)
    frame = image_table(pd.DataFrame({"t": [0.5, 1.5]}), images, "img")
    flat, shapes = flatten_arrays(frame)
    assert shapes == {"img": (3, 2, 2)}
    assert list(flat.columns[:3]) == ["t", "img[0]", "img[1]"] and flat.shape == (2, 13)
    np.testing.assert_array_equal(stack_columns(flat, "img", (3, 2, 2)), images)
    assert flatten_arrays(pd.DataFrame({"t": [1.0]}))[1] == {}


def test_bad_arrays_are_named() -> None:
    cells = pd.Series([np.zeros((1, 2, 2)), np.zeros((1, 3, 2))], index=[10, 11], dtype=object)
    with pytest.raises(DataError, match=r"column 'img', row 11: an array of shape \(1, 3, 2\)"):
        flatten_arrays(pd.DataFrame({"img": cells}))
    nan = pd.Series([np.zeros(2), np.array([0.0, np.nan])], dtype=object)
    with pytest.raises(
        DataError, match=r"'v' holds NaN or infinite values in 1 row\(s\), first row 1"
    ):
        flatten_arrays(pd.DataFrame({"v": nan}))
    text = pd.Series([np.array(["a", "b"]), np.array(["c", "d"])], dtype=object)
    with pytest.raises(DataError, match="non-numeric dtype"):
        flatten_arrays(pd.DataFrame({"v": text}))
    with pytest.raises(DataError, match="3 images for a table of 2 rows"):
        image_table(pd.DataFrame({"t": [1.0, 2.0]}), np.zeros((3, 1, 2, 2)))
    with pytest.raises(DataError, match="lacks 4 column"):
        stack_columns(pd.DataFrame({"t": [1.0]}), "img", (1, 2, 2))


def test_read_images_from_npy_npz_and_a_png_folder(tmp_path) -> None:
    arr = np.random.default_rng(0).integers(0, 255, size=(3, 5, 4)).astype(np.uint8)
    np.save(tmp_path / "a.npy", arr)
    assert read_images(tmp_path / "a.npy").shape == (3, 1, 5, 4)
    np.savez(tmp_path / "b.npz", images=arr, other=arr)
    with pytest.raises(DataError, match="name one with key="):
        read_images(tmp_path / "b.npz")
    np.testing.assert_array_equal(read_images(tmp_path / "b.npz", key="images")[:, 0], arr)
    folder = tmp_path / "pngs"
    folder.mkdir()
    for i, a in enumerate(arr):
        Image.fromarray(a).save(folder / f"{i:03d}.png")
    np.testing.assert_array_equal(read_images(folder)[:, 0], arr)
    Image.fromarray(np.zeros((6, 4), np.uint8)).save(folder / "999.png")
    with pytest.raises(DataError, match=r"999\.png is .* must share one size"):
        read_images(folder)
    (tmp_path / "bad.npy").write_bytes(b"not numpy")
    with pytest.raises(DataError, match=r"cannot read .*bad\.npy"):
        read_images(tmp_path / "bad.npy")
    np.save(tmp_path / "flat.npy", np.zeros(5))
    with pytest.raises(DataError, match=r"\(n, H, W\) or \(n, C, H, W\), got shape \(5,\)"):
        read_images(tmp_path / "flat.npy")
    with pytest.raises(DataError, match="no image file or folder"):
        read_images(tmp_path / "absent.npy")
