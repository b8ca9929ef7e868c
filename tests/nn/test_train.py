"""The shared training loop."""

from __future__ import annotations

import pytest
import torch

from deepcausal.errors import DataError, TrainingError
from deepcausal.nn import (
    MLP,
    Callback,
    Objective,
    Step,
    TrainConfig,
    TrainState,
    resolve_device,
    train,
)


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


def _two_player() -> tuple[torch.nn.Module, Objective, list[int]]:
    """Two parameter groups with their own optimisers: ``a`` fits the mean of the data, ``b``
    (stepped every third batch only) fits half of it. Both converge only if each step updates its
    own group with its own learning rate."""
    model = torch.nn.Module()
    model.a = torch.nn.Parameter(torch.zeros(1))
    model.b = torch.nn.Parameter(torch.zeros(1))
    calls = [0, 0]

    def loss_a(batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        calls[0] += 1
        return ((model.a - batch[0]) ** 2).mean()

    def loss_b(batch: tuple[torch.Tensor, ...]) -> dict[str, torch.Tensor]:
        calls[1] += 1
        return {"fit": ((model.b - 0.5 * batch[0]) ** 2).mean(), "ridge": 0.0 * model.b.sum()}

    objective = Objective(
        (
            Step("a", loss_a, [model.a], lr=0.1),
            Step("b", loss_b, [model.b], lr=0.1, betas=(0.5, 0.9), every=3),
        ),
        validation=lambda b: ((model.a - b[0]) ** 2 + (model.b - 0.5 * b[0]) ** 2).mean(),
    )
    return model, objective, calls


def test_several_optimisers_alternate_over_their_own_parameter_groups() -> None:
    model, objective, calls = _two_player()
    data = [torch.full((150, 1), 2.0) + 0.01 * torch.randn(150, 1, generator=_gen(0))]
    cfg = TrainConfig(max_epochs=60, batch_size=10, progress=False, random_state=0, patience=100)
    result = train(model, objective, data, cfg)
    assert set(result.step_loss) == {"a", "b"} and len(result.step_loss["b"]) == result.epochs
    assert calls[0] == 3 * calls[1]  # 12 training batches per epoch, b on every third
    assert abs(model.a.item() - 2.0) < 0.05 and abs(model.b.item() - 1.0) < 0.05
    assert result.train_loss == result.step_loss["a"]


def test_a_non_finite_term_names_the_step_the_term_and_the_epoch() -> None:
    model, objective, _ = _two_player()
    data = [torch.ones(40, 1)]

    def broken(batch: tuple[torch.Tensor, ...]) -> dict[str, torch.Tensor]:
        return {"fit": model.b.sum(), "penalty": model.b.sum() * float("inf")}

    objective = Objective((objective.steps[0], Step("critic", broken, [model.b])))
    cfg = TrainConfig(max_epochs=3, batch_size=10, progress=False, random_state=0)
    with pytest.raises(TrainingError, match=r"node z: the critic loss \(term 'penalty'\) became "
                       r"(inf|nan) at epoch 0, batch 0"):  # fmt: skip
        train(model, objective, data, cfg, description="node z")


def test_callbacks_see_every_epoch_and_can_stop_training() -> None:
    net, data = _regression(0)
    seen: list[tuple[int, float]] = []

    class StopAtFive(Callback):
        def on_epoch_end(self, state: TrainState) -> None:
            seen.append((state.epoch, state.monitored))
            state.stop = state.epoch == 4

    cfg = TrainConfig(max_epochs=50, progress=False, random_state=0)
    result = train(net, _mse(net), data, cfg, callbacks=[StopAtFive()])
    assert [e for e, _ in seen] == [0, 1, 2, 3, 4] and result.epochs == 5
    assert [v for _, v in seen] == result.val_loss


def test_without_a_validation_score_the_last_weights_are_kept() -> None:
    model, objective, _ = _two_player()
    objective = Objective(objective.steps, validation=None)
    data = [torch.full((40, 1), 2.0)]
    cfg = TrainConfig(max_epochs=7, batch_size=10, progress=False, random_state=0, patience=1)
    result = train(model, objective, data, cfg)
    assert result.epochs == 7 and not result.stopped_early and result.best_epoch == 6
    assert result.val_loss == []


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)
