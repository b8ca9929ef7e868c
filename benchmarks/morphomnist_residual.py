"""How much of a conv-vae counterfactual image is the abducted per-pixel residual, on Morpho-MNIST.

The conv-vae's image is ``x = mu(z, pa) + sigma(z, pa) * eps``: a counterfactual keeps the abducted
``(z, eps)`` and decodes them under the new parents. This script fits the Morpho-MNIST Deep SCM of
``benchmarks/morphomnist.py`` (same split) and scores its counterfactuals with ``eps`` kept whole,
halved, or dropped (the decoder's mean alone): the morphometric MAE of thickness under
do(thickness) and of intensity under do(intensity), and the L1 distance from the factual image.
If dropping the residual made the edits effective, the residual would be what holds them back; if
it does not, the decoder's mean is.

Usage::

    nice .venv/bin/python benchmarks/morphomnist_residual.py --decoder plain
    nice .venv/bin/python benchmarks/morphomnist_residual.py --decoder refined --n-eval 600
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--decoder", choices=("plain", "refined"), default="plain")
    parser.add_argument("--n-eval", type=int, default=600, help="held-out rows scored")
    parser.add_argument("--epochs", type=int, default=100)
    args = parser.parse_args(argv)

    sys.path.append(str(HERE))  # morphomnist.py's data folder, after every installed package
    from morphomnist import load_data

    data = load_data()
    if data is None:
        return 0
    import torch

    from deepcausal.data import stack_columns
    from deepcausal.datasets import measure_intensity, measure_thickness
    from deepcausal.pipelines.image_demo import fit_morphomnist, morphomnist_frame

    torch.set_num_threads(2)
    train_rows, test_rows = data.split()
    test_rows = test_rows[: args.n_eval]
    scm = fit_morphomnist(data, train_rows, epochs=args.epochs, random_state=0,
                          image_kwargs={"decoder": args.decoder})  # fmt: skip
    test = morphomnist_frame(data, test_rows)
    rng = np.random.default_rng(1)
    new_t = rng.permutation(test.thickness.to_numpy())
    new_i = rng.permutation(test.intensity.to_numpy())
    mechanism: Any = scm.mechanisms_["image"]
    sample, latent = mechanism.sample, mechanism.latent_dim
    print(f"| residual kept ({args.decoder} decoder) | thickness MAE, do(thickness) | "
          "intensity MAE, do(intensity) | L1 from the factual, do(thickness) |")  # fmt: skip
    print("|---|---|---|---|")
    for share in (1.0, 0.5, 0.0):

        def scaled(parents: torch.Tensor, u: torch.Tensor, *a: Any, share: float = share,
                   **k: Any) -> torch.Tensor:  # fmt: skip
            u = u.clone()
            u[:, latent:] *= share  # eps follows z in the noise vector
            return sample(parents, u, *a, **k)

        mechanism.sample = scaled
        shape = (1, 28, 28)
        cf_t = scm.counterfactual(test, {"thickness": new_t}, random_state=1)
        cf_i = scm.counterfactual(test, {"intensity": new_i}, random_state=1)
        img_t = np.clip(stack_columns(cf_t, "image", shape), 0, 255)
        img_i = np.clip(stack_columns(cf_i, "image", shape), 0, 255)
        thick = float(np.abs(measure_thickness(img_t) - new_t).mean())
        inten = float(np.abs(measure_intensity(img_i) - new_i).mean())
        moved = float(np.abs(img_t - data.images[test_rows]).mean())
        print(f"| {share:g} | {thick:.3f} | {inten:.2f} | {moved:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
