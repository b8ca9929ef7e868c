"""The shared training loop."""

from __future__ import annotations

import pytest
import torch

from deepcausal.errors import DataError, TrainingError
from deepcausal.nn import MLP, TrainConfig, resolve_device, train


def _regression(seed: int) -> tuple[MLP, list[torch.Tensor]]:
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(512, 2, generator=gen)
    y = (x[:, :1] * 2 - x[:, 1:]) + 0.1 * torch.randn(512, 1, generator=gen)
    torch.manual_seed(seed)
    return MLP(2, 1, hidden=(16,)), [x, y]


def _mse(net: MLP):  # type: ignore[no-untyped-def]
    return lambda b: ((net(b[0]) - b[1]) ** 2).mean()


def test_training_reduces_the_loss_and_keeps_the_best_epoch() -> None:
    net, data = _regression(0)
    cfg = TrainConfig(max_epochs=60, batch_size=64, lr=1e-2, progress=False, random_state=0)
    result = train(net, _mse(net), data, cfg)
    assert result.val_loss[result.best_epoch] == min(result.val_loss)
    assert result.best_val_loss < 0.1  # noise variance is 0.01; an untrained net is near 5
    with torch.no_grad():
        final = float(((net(data[0]) - data[1]) ** 2).mean())
    assert final < 0.1


def test_same_seed_same_result() -> None:
    losses = []
    for _ in range(2):
        net, data = _regression(1)
        cfg = TrainConfig(max_epochs=5, progress=False, random_state=3)
        losses.append(train(net, _mse(net), data, cfg).train_loss)
    assert losses[0] == losses[1]


def test_early_stopping() -> None:
    net, data = _regression(2)
    cfg = TrainConfig(max_epochs=500, patience=3, lr=5e-2, progress=False, random_state=0)
    result = train(net, _mse(net), data, cfg)
    assert result.stopped_early
    assert len(result.train_loss) < 500


def test_nan_loss_is_reported() -> None:
    net, data = _regression(0)
    with pytest.raises(TrainingError, match="loss became nan"):
        train(net, lambda b: net(b[0]).sum() * float("nan"), data, TrainConfig(progress=False))


def test_bad_inputs() -> None:
    net, (x, y) = _regression(0)
    with pytest.raises(DataError, match="tensor 1 has 10 rows"):
        train(net, _mse(net), [x, y[:10]], TrainConfig(progress=False))
    with pytest.raises(ValueError, match="validation_fraction"):
        TrainConfig(validation_fraction=1.5)
    with pytest.raises(ValueError, match="unknown device"):
        resolve_device("tpu-9000")


def test_validation_split_is_the_one_train_uses() -> None:
    from deepcausal.nn import validation_split

    cfg = TrainConfig(max_epochs=1, batch_size=64, progress=False, random_state=3)
    tr, va = validation_split(100, cfg)
    assert len(va) == 20 and sorted(torch.cat([tr, va]).tolist()) == list(range(100))
    seen: list[torch.Tensor] = []
    rows = torch.arange(100).float().unsqueeze(1)
    net = MLP(1, 1, hidden=())

    def loss(b: tuple[torch.Tensor, ...]) -> torch.Tensor:
        if not net.training:
            seen.append(b[0].squeeze(1).long())
        return (net(b[0]) ** 2).mean()

    train(net, loss, [rows], cfg)
    assert sorted(torch.cat(seen).tolist()) == sorted(va.tolist())
    seen.clear()
    train(net, loss, [rows], cfg, split=(tr, va))  # an explicit split is honoured
    assert sorted(torch.cat(seen).tolist()) == sorted(va.tolist())
