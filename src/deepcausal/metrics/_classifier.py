"""A small convolutional predictor of an attribute from an image: the anti-causal predictor of the
effectiveness metric, and the feature space of the realism metric (trained on the data at hand,
since no pretrained weights are downloaded)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from deepcausal.data import check_images
from deepcausal.errors import DataError, NotFittedError
from deepcausal.nn import TrainConfig, seed_everything, train, validation_split

__all__ = ["ImagePredictor"]

_DEFAULT = TrainConfig(max_epochs=30, batch_size=128, lr=1e-3, patience=5, progress=False)


class ImagePredictor:
    """A CNN that predicts a categorical label (softmax) or a continuous attribute (regression) from
    images ``(n, C, H, W)``; its penultimate layer gives :meth:`features`.

    Args:
        kind: ``"categorical"`` or ``"continuous"``.
        width: channels of the first convolution (the second has twice as many).
        train_config: training settings (early stopping on held-out rows).
        random_state: seed.

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(200, 1, 8, 8)).astype(np.float32)
        >>> y = (x[:, 0, :4].mean((1, 2)) > 0).astype(int)
        >>> clf = ImagePredictor("categorical", random_state=0).fit(x, y)
        >>> clf.features(x).shape
        (200, 64)
    """

    def __init__(
        self,
        kind: str = "categorical",
        *,
        width: int = 32,
        train_config: TrainConfig | None = None,
        random_state: int | None = 0,
    ) -> None:
        if kind not in ("categorical", "continuous"):
            raise ValueError(f"kind must be 'categorical' or 'continuous', got {kind!r}")
        self.kind = kind
        self.width = width
        self.train_config = train_config
        self.random_state = random_state

    def fit(self, images: np.ndarray, target: np.ndarray) -> ImagePredictor:
        """Train on images and their labels (or values)."""
        x = check_images(images)
        y = np.asarray(target).reshape(-1)
        if len(y) != len(x):
            raise DataError(f"{len(x)} images for {len(y)} targets")
        cfg = self.train_config or _DEFAULT
        cfg = replace(cfg, random_state=seed_everything(self.random_state))
        self.shape_ = x.shape[1:]
        self.mean_, self.scale_ = float(x.mean()), float(x.std()) or 1.0
        if self.kind == "categorical":
            self.classes_, codes = np.unique(y, return_inverse=True)
            out = len(self.classes_)
            yy = torch.as_tensor(codes, dtype=torch.long)
        else:
            self.y_mean_, self.y_scale_ = float(y.mean()), float(y.std()) or 1.0
            out = 1
            yy = torch.as_tensor(
                (y.astype(float) - self.y_mean_) / self.y_scale_, dtype=torch.float32
            )
        c, w = x.shape[1], int(self.width)
        self.body_ = nn.Sequential(
            nn.Conv2d(c, w, 3, padding=1), nn.ELU(), nn.MaxPool2d(2),
            nn.Conv2d(w, 2 * w, 3, padding=1), nn.ELU(), nn.AdaptiveAvgPool2d(2), nn.Flatten(),
            nn.Linear(8 * w, 64), nn.ELU(),
        )  # fmt: skip
        self.head_ = nn.Linear(64, out)
        net = nn.Sequential(self.body_, self.head_)
        xx = torch.as_tensor((x - self.mean_) / self.scale_, dtype=torch.float32)

        def loss(batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
            xb, yb = batch
            pred = net(xb)
            if self.kind == "categorical":
                return F.cross_entropy(pred, yb)
            return F.mse_loss(pred[:, 0], yb)

        self.train_result_ = train(net, loss, [xx, yy], cfg, split=validation_split(len(x), cfg),
                                   description="image predictor")  # fmt: skip
        net.eval()
        self.net_ = net
        return self

    def features(self, images: np.ndarray) -> np.ndarray:
        """The penultimate layer's activations ``(n, 64)``."""
        return self._run(images, self.body_)

    def predict(self, images: np.ndarray) -> np.ndarray:
        """Predicted labels (categorical) or values (continuous)."""
        out = self._run(images, self.net_)
        if self.kind == "categorical":
            return np.asarray(self.classes_[out.argmax(1)])
        return np.asarray(out[:, 0] * self.y_scale_ + self.y_mean_)

    def _run(self, images: np.ndarray, module: nn.Module) -> np.ndarray:
        if not hasattr(self, "net_"):
            raise NotFittedError("this ImagePredictor is not fitted yet; call fit first")
        x = check_images(images)
        if x.shape[1:] != self.shape_:
            raise DataError(f"images of shape {x.shape[1:]}, but it was fitted on {self.shape_}")
        device = next(module.parameters()).device
        out = []
        with torch.no_grad():
            for s in range(0, len(x), 1024):
                xb = torch.as_tensor((x[s : s + 1024] - self.mean_) / self.scale_,
                                     dtype=torch.float32, device=device)  # fmt: skip
                out.append(module(xb).cpu().numpy())
        return np.concatenate(out).astype(np.float64)
