"""Morpho-MNIST: digit images with known thickness and intensity, and the morphometrics that
measure them (Castro, Tan, Kainz, Konukoglu & Glocker 2019, "Morpho-MNIST: quantitative
assessment and diagnostics for representation learning", JMLR).

The thickness/intensity set of Deep SCM (Pawlowski, Castro & Glocker 2020) draws, per MNIST digit,
``thickness = 0.5 + Gamma(10, rate 5)`` and ``intensity = 64 + 191 · sigmoid(N(2 (thickness - 2.5),
0.5²))``, re-thickens the digit morphologically and rescales its foreground. The causal graph is
``thickness -> intensity``; ``(thickness, intensity, digit) -> image``. Nothing is downloaded:
:func:`load_morphomnist` reads a local folder (the IDX files of MNIST and a CSV of the labels).

The morphometrics follow the reference definitions:

* thickness (Castro et al. 2019, §2.1): the image is upsampled 4x (a Gaussian pyramid step,
  bicubic), binarised at half its grey range, and reduced to its medial axis; the thickness is
  twice the mean distance from the axis to the background, in original pixels;
* intensity (the Deep SCM data generator): the median grey level of the pixels at or above half
  the image's grey range.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from deepcausal.errors import DataError

__all__ = [
    "MorphoMNIST",
    "load_morphomnist",
    "measure_intensity",
    "measure_thickness",
    "morphometrics",
    "read_idx",
]

_IDX_TYPES: dict[int, str] = {
    0x08: "u1",
    0x09: "i1",
    0x0B: ">i2",
    0x0C: ">i4",
    0x0D: ">f4",
    0x0E: ">f8",
}


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (the MNIST format), plain or gzip-compressed.

    Raises:
        DataError: the file is missing, truncated, or not IDX (its magic number or sizes are off).
    """
    file = Path(path)
    if not file.is_file():
        raise DataError(f"no IDX file at {file}")
    try:
        raw = gzip.decompress(file.read_bytes()) if file.suffix == ".gz" else file.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(f"cannot read {file}: {exc}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise DataError(f"{file} is not an IDX file (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise DataError(f"{file} is not an IDX file (a header of {ndim} dimensions)")
    shape = tuple(int.from_bytes(raw[4 + 4 * k : 8 + 4 * k], "big") for k in range(ndim))
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise DataError(
            f"{file} is truncated or padded: its header says {shape} ({expected} bytes of data), "
            f"the file holds {len(raw) - header}"
        )
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).copy()


@dataclass(frozen=True)
class MorphoMNIST:
    """Morpho-MNIST images with their causes.

    Attributes:
        images: ``(n, 1, 28, 28)`` grey levels in ``[0, 255]`` (float32).
        labels: a frame of ``thickness``, ``intensity`` (the generator's values) and ``digit``.
        source: the folder read.
    """

    images: np.ndarray
    labels: pd.DataFrame
    source: Path

    def split(self, n_test: int = 2000, random_state: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Row indices ``(train, test)``: a random permutation of the rows (seeded), the last
        ``n_test`` of it held out; both sorted. The default is the split of the benchmarks."""
        n = len(self.labels)
        if not 0 < n_test < n:
            raise ValueError(f"n_test must be between 1 and {n - 1}, got {n_test}")
        order = np.random.default_rng(random_state).permutation(n)
        return np.sort(order[:-n_test]), np.sort(order[-n_test:])


def load_morphomnist(folder: str | os.PathLike[str], prefix: str = "t10k") -> MorphoMNIST:
    """Read a Morpho-MNIST folder: ``{prefix}-images-idx3-ubyte(.gz)``,
    ``{prefix}-labels-idx1-ubyte(.gz)`` and ``{prefix}-morpho.csv`` (columns ``thickness`` and
    ``intensity``, one row per image).

    Raises:
        DataError: a file is missing or corrupt, or the three files disagree on the count.
    """
    root = Path(folder)
    if not root.is_dir():
        raise DataError(f"no Morpho-MNIST folder at {root}")

    def find(stem: str) -> Path:
        for name in (f"{stem}.gz", stem):
            if (root / name).is_file():
                return root / name
        raise DataError(f"{root} has no {stem}(.gz)")

    images = read_idx(find(f"{prefix}-images-idx3-ubyte"))
    digits = read_idx(find(f"{prefix}-labels-idx1-ubyte"))
    if images.ndim != 3 or digits.ndim != 1:
        raise DataError(
            f"expected images (n, h, w) and labels (n,), got {images.shape}, {digits.shape}"
        )
    csv = root / f"{prefix}-morpho.csv"
    if not csv.is_file():
        raise DataError(f"{root} has no {csv.name}")
    try:
        morpho = pd.read_csv(csv)
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        raise DataError(f"cannot read {csv}: {exc}") from None
    missing = [c for c in ("thickness", "intensity") if c not in morpho.columns]
    if missing:
        raise DataError(f"{csv} lacks the column(s) {missing}")
    if not len(images) == len(digits) == len(morpho):
        raise DataError(
            f"{root}: {len(images)} images, {len(digits)} digit labels and {len(morpho)} rows of "
            f"{csv.name} do not match"
        )
    labels = pd.DataFrame({
        "thickness": morpho["thickness"].to_numpy(dtype=float),
        "intensity": morpho["intensity"].to_numpy(dtype=float),
        "digit": digits.astype(np.int64),
    })  # fmt: skip
    if not np.isfinite(labels[["thickness", "intensity"]].to_numpy()).all():
        raise DataError(f"{csv} holds non-finite thickness or intensity values")
    return MorphoMNIST(images[:, None].astype(np.float32), labels, root)


def _grey(images: np.ndarray) -> np.ndarray:
    arr = np.asarray(images, dtype=np.float64)
    if arr.ndim == 4 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3:
        raise DataError(f"expected grey images (n, h, w) or (n, 1, h, w), got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise DataError("the images hold NaN or infinite values")
    return arr


def measure_thickness(images: np.ndarray, scale: int = 4, threshold: float = 0.5) -> np.ndarray:
    """The mean stroke thickness of each image, in pixels (Castro et al. 2019; module docstring).

    Args:
        images: ``(n, h, w)`` or ``(n, 1, h, w)`` grey levels (any range).
        scale: the upsampling factor before the medial axis.
        threshold: the binarisation level, as a fraction of each image's grey range.
    """
    from skimage import morphology, transform

    out = []
    for img in _grey(images):
        lo, hi = img.min(), img.max()
        if hi <= lo:
            out.append(0.0)
            continue
        norm = (img - lo) / (hi - lo)
        up = transform.pyramid_expand(norm, upscale=scale, order=3) if scale > 1 else norm
        binary = up >= up.min() + (up.max() - up.min()) * threshold
        # a fixed seed breaks the medial axis's ties, so a measure is reproducible
        skeleton, distance = morphology.medial_axis(binary, return_distance=True, rng=0)
        out.append(2.0 * float(distance[skeleton].mean()) / scale if skeleton.any() else 0.0)
    return np.asarray(out)


def measure_intensity(images: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """The median grey level of each image's foreground: its pixels at or above ``threshold`` of
    its grey range (the Deep SCM generator's definition)."""
    out = []
    for img in _grey(images):
        lo, hi = img.min(), img.max()
        out.append(float(np.median(img[img >= lo + (hi - lo) * threshold])))
    return np.asarray(out)


def morphometrics(images: np.ndarray) -> pd.DataFrame:
    """``thickness`` and ``intensity`` of each image (see :func:`measure_thickness` and
    :func:`measure_intensity`)."""
    return pd.DataFrame(
        {"thickness": measure_thickness(images), "intensity": measure_intensity(images)}
    )
