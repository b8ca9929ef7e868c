"""Data-parallel training over ``torch.distributed`` processes, one per device, as ``torchrun``
launches them (gloo on CPUs, NCCL on GPUs).

Every process holds the whole model and the whole table, and they all draw the same shuffled row
order each epoch (one seed, agreed at the start). Each global mini-batch is split as evenly as
possible between the processes; each computes its rows' mean loss and gradient, and one
all-reduce combines the gradients weighted by each process's share of the batch, so the update is
the global batch's gradient, as in one process with the same ``batch_size`` (the pattern of PyTorch's
``DistributedDataParallel``, written out so that objectives with several optimisers and alternating
steps keep working). The validation split is scored whole by every process, so early stopping
decides the same everywhere. A non-finite loss in any process stops all of them with the same
error, instead of leaving the others waiting.

:func:`as_strategy` chooses between this strategy and one device: data-parallel when torchrun
started the process, so a script needs no change to run under it.
"""

from __future__ import annotations

import atexit
import os
import sys
from collections.abc import Iterator
from typing import Any

import torch
from torch import Tensor, nn

from deepcausal.errors import CapabilityError, TrainingError
from deepcausal.nn._device import DeviceLike, derive_seed
from deepcausal.nn._strategy import SingleDevice, Strategy

__all__ = ["DataParallel", "as_strategy", "launched_by_torchrun"]

_ENV = ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


class DataParallel(Strategy):
    """One process per device, the global batch split between them.

    Started by ``torchrun --nproc-per-node K script.py``, any model of deepcausal trains this way
    with no change to the script: :func:`~deepcausal.nn._strategy.as_strategy` picks this strategy
    when ``torchrun``'s environment is set. The process group is created here when the script has
    not created one (NCCL when the device is a GPU, gloo otherwise).

    Args:
        device: ``"auto"`` takes the GPU of this process's ``LOCAL_RANK`` when CUDA is present,
            else the CPU.
        backend: ``"gloo"`` or ``"nccl"``; ``None`` picks by device.
    """

    name = "data-parallel"

    def __init__(self, device: DeviceLike = "auto", backend: str | None = None) -> None:
        dist = torch.distributed
        if not dist.is_available():  # pragma: no cover - every supported build has it
            raise CapabilityError("this build of torch has no torch.distributed")
        local = int(os.environ.get("LOCAL_RANK", "0"))
        if device == "auto" and torch.cuda.is_available():
            device = f"cuda:{local % torch.cuda.device_count()}"
        super().__init__(device)
        if not dist.is_initialized():
            missing = [k for k in _ENV if k not in os.environ]
            if missing:
                raise CapabilityError(
                    f"data-parallel training needs the environment torchrun sets ({', '.join(missing)} "
                    "missing): launch the script with torchrun --nproc-per-node K"
                )
            chosen = backend or ("nccl" if self.device.type == "cuda" else "gloo")
            dist.init_process_group(chosen)
            # a group left to the interpreter's teardown can abort a process whose peer has
            # already exited ("terminate called without an active exception"): close it first
            atexit.register(_close_group)
            _watch_failures()
        self.rank = dist.get_rank()
        self.world_size = dist.get_world_size()

    def common_seed(self, random_state: int | None) -> int | None:
        if random_state is not None:
            return random_state
        seed = torch.tensor([derive_seed(None) % 2**62], dtype=torch.long)
        self._broadcast(seed)
        return int(seed.item())

    def prepare(self, model: nn.Module, batch_size: int) -> None:
        if batch_size % self.world_size:
            lower = batch_size - batch_size % self.world_size
            raise TrainingError(
                f"batch_size {batch_size} does not divide among {self.world_size} processes; use "
                f"a multiple of {self.world_size} (e.g. {max(lower, self.world_size)} or "
                f"{lower + self.world_size}), or launch a number of processes that divides it"
            )
        with torch.no_grad():
            for tensor in [*model.parameters(), *model.buffers()]:
                self._broadcast(tensor.data)

    def batches(self, order: Tensor, batch_size: int) -> Iterator[tuple[Tensor, float]]:
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            mine = torch.tensor_split(rows, self.world_size)[self.rank]
            yield mine, len(mine) / len(rows)

    def sync_gradients(
        self, parameters: list[nn.Parameter], share: float, failed: bool = False
    ) -> bool:
        grads = [
            torch.zeros_like(p) if p.grad is None or failed else p.grad * share for p in parameters
        ]
        flag = torch.tensor([float(failed)], device=self.device)
        buffer = torch.cat([*(g.reshape(-1) for g in grads), flag])
        torch.distributed.all_reduce(buffer)
        if float(buffer[-1]) > 0:
            return True
        offset = 0
        for p, g in zip(parameters, grads, strict=True):
            size = g.numel()
            p.grad = buffer[offset : offset + size].view_as(p).clone()
            offset += size
        return False

    def reduce_mean(self, total: float, count: int) -> float:
        both = torch.tensor([total, float(count)], dtype=torch.float64, device=self.device)
        torch.distributed.all_reduce(both)
        return float(both[0]) / max(float(both[1]), 1.0)

    def _broadcast(self, tensor: Tensor) -> None:
        moved = tensor.to(self.device)
        torch.distributed.broadcast(moved, src=0)
        if moved is not tensor:
            tensor.copy_(moved)


def launched_by_torchrun() -> bool:
    """Whether this process is one of several that ``torchrun`` started."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1 and "RANK" in os.environ


def as_strategy(device: DeviceLike | Strategy) -> Strategy:
    """A strategy from a device name, or the strategy itself: data-parallel when the process was
    launched by ``torchrun`` with several processes, else one device."""
    if isinstance(device, Strategy):
        return device
    if launched_by_torchrun() or _initialised():
        return DataParallel(device)
    return SingleDevice(device)


def _initialised() -> bool:
    dist = torch.distributed
    return bool(dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1)


def _close_group() -> None:
    """Close the process group this module opened. A process that ends normally first waits for
    the others (closing while a peer still talks to it can abort that peer); one that ends on an
    error closes at once, so that it exits and the launcher stops the rest."""
    dist = torch.distributed
    if not (dist.is_available() and dist.is_initialized()):
        return
    if not _FAILED:
        dist.barrier()
    dist.destroy_process_group()


_FAILED = False


def _note_failure(kind: type[BaseException], value: BaseException, tb: Any) -> None:
    global _FAILED
    _FAILED = True
    _previous_hook(kind, value, tb)


_previous_hook = sys.excepthook


def _watch_failures() -> None:
    """Note an uncaught error (then :func:`_close_group` does not wait for the other processes)."""
    global _previous_hook
    if sys.excepthook is not _note_failure:
        _previous_hook = sys.excepthook
        sys.excepthook = _note_failure
