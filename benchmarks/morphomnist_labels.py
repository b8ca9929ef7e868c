"""How far a faithful morphometric can agree with Morpho-MNIST's thickness labels.

The labels of ../shared/data/morphomnist are the thickness and intensity that the Deep SCM
generator was *asked* for (Pawlowski, Castro & Glocker 2020; see the folder's PROVENANCE.md), not
measurements of the images it made. The generator, as published: upsample the digit 16x (cubic),
binarise it at half its grey range, measure its mean thickness there (twice the mean distance to
the background along the medial axis, Castro et al. 2019), dilate (or erode) the binary image
with a disk of radius ``int(16 |t - t0| / 2)`` hires pixels (the disk itself drawn at 16x and
reduced 16x, so its anti-aliased rim widens it a little), reduce the result 16x (cubic) to 8-bit
grey levels, then scale the grey levels so that the median of the pixels above half the range
is the intensity ``i`` (clipped to 255).

This script runs that procedure again on held-out digits of the dataset itself, to new targets
drawn from the generator's own distributions (``t = 0.5 + Gamma(10, rate 5)``, ``i = 64 + 191
sigmoid(N(2 (t - 2.5), 0.5^2))``), and measures the results with
``deepcausal.datasets.morphometrics``. The error between measured and requested values is what
the generator alone leaves between an image and its label, whatever measures it: the floor of
the label agreement that docs/benchmarks.md reports.

Usage::

    nice .venv/bin/python benchmarks/morphomnist_labels.py [--n 500]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

SCALE = 16  # the generator's upsampling factor


def _disk(radius: int) -> np.ndarray:
    """The generator's structuring element: a disk drawn at 16x and reduced 16x (linear), so
    that its rim is anti-aliased; every non-zero weight counts in a dilation."""
    from skimage import morphology, transform

    big = morphology.disk(SCALE * radius).astype(np.float64)
    return transform.pyramid_reduce(big, downscale=SCALE, order=1) > 0


def rethicken(image: np.ndarray, thickness: float, intensity: float) -> tuple[np.ndarray, float]:
    """One 28 x 28 grey image re-thickened to ``thickness`` and re-coloured to ``intensity`` by
    the generator's procedure (module docstring); returns the 8-bit grey levels (as floats) and
    the thickness change asked of the morphology (target minus the digit's own, at 16x)."""
    from skimage import morphology, transform

    norm = image / 255.0
    hires = (255.0 * transform.pyramid_expand(norm, upscale=SCALE, order=3)).astype(np.uint8)
    lo, hi = int(hires.min()), int(hires.max())
    binary = hires >= lo + (hi - lo) * 0.5
    skeleton, distance = morphology.medial_axis(binary, return_distance=True, rng=0)
    current = 2.0 * float(distance[skeleton].mean()) / SCALE
    delta = thickness - current
    radius = int(SCALE * abs(delta) / 2.0)
    footprint = _disk(radius)
    changed = (
        morphology.dilation(binary, footprint)
        if delta >= 0
        else morphology.erosion(binary, footprint)
    )
    low = transform.pyramid_reduce(changed.astype(np.float64), downscale=SCALE, order=3)
    grey = (255.0 * low).astype(np.uint8).astype(np.float64)
    fg = grey[grey >= grey.min() + (grey.max() - grey.min()) * 0.5]
    out = np.clip(grey * intensity / float(np.median(fg)), 0, 255).astype(np.uint8)
    return out.astype(np.float64), delta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=500, help="held-out digits re-generated")
    args = parser.parse_args(argv)
    sys.path.append(str(HERE))  # morphomnist.py's data folder, after every installed package
    from morphomnist import load_data, validate

    data = load_data()
    if data is None:
        return 0
    import pandas as pd

    from deepcausal.datasets import measure_thickness

    _, test_rows = data.split()
    rows = test_rows[: args.n]
    rng = np.random.default_rng(0)
    t = 0.5 + rng.gamma(10.0, 1.0 / 5.0, size=len(rows))
    i = 64.0 + 191.0 / (1.0 + np.exp(-rng.normal(2.0 * (t - 2.5), 0.5)))
    tick = time.perf_counter()
    pairs = [
        rethicken(data.images[r, 0].astype(np.float64), a, b)
        for r, a, b in zip(rows, t, i, strict=True)
    ]
    made, delta = np.stack([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    seconds = time.perf_counter() - tick
    targets = pd.DataFrame({"thickness": t, "intensity": i})
    regenerated = validate(made, targets)
    original = validate(data.images[rows], data.labels.iloc[rows])
    print(f"{len(rows)} held-out digits, regenerated in {seconds:.0f} s")
    print("| images | against | thickness MAE (bias) | intensity MAE (bias) |")
    print("|---|---|---|---|")
    for what, against, r in (
        ("the dataset's", "their labels", original),
        ("regenerated by the generator's procedure", "the requested values", regenerated),
    ):
        print(
            f"| {what} | {against} | {r['thickness_mae']:.3f} ({r['thickness_bias']:+.3f}) "
            f"| {r['intensity_mae']:.2f} ({r['intensity_bias']:+.2f}) |"
        )
    error = measure_thickness(made) - t
    print("\n| thickness change asked | digits | thickness MAE (bias) against the request |")
    print("|---|---|---|")
    for lo, hi in ((0.0, 0.25), (0.25, 0.5), (0.5, 1.0), (1.0, 9.0)):
        k = (np.abs(delta) >= lo) & (np.abs(delta) < hi)
        if k.any():
            print(f"| {lo}-{hi} | {int(k.sum())} | {np.abs(error[k]).mean():.3f} "
                  f"({error[k].mean():+.3f}) |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
