"""Where the training loop runs: the strategy decides devices, which rows each process sees, and
how gradients and scores are combined.

:class:`SingleDevice` is one process on one device (``"auto"``: CUDA when present).
:class:`~deepcausal.nn.DataParallel` (``deepcausal.nn._distributed``) is one process per device under
``torchrun``; it implements the same methods, so the one loop serves both.
"""

from __future__ import annotations

from collections.abc import Iterator

from torch import Tensor, nn

from deepcausal.nn._device import DeviceLike, resolve_device

__all__ = ["SingleDevice", "Strategy"]


class Strategy:
    """How the one training loop spreads its work. Subclasses override what differs."""

    name = "strategy"
    world_size = 1
    rank = 0

    def __init__(self, device: DeviceLike = "auto") -> None:
        self.device = resolve_device(device)

    @property
    def is_main(self) -> bool:
        """Whether this process reports progress and writes files (rank 0)."""
        return self.rank == 0

    def common_seed(self, random_state: int | None) -> int | None:
        """The seed every process uses (one process: ``random_state`` itself)."""
        return random_state

    def prepare(self, model: nn.Module, batch_size: int) -> None:
        """Check the settings and make every process start from the same weights."""

    def batches(self, order: Tensor, batch_size: int) -> Iterator[tuple[Tensor, float]]:
        """This process's rows of each global batch of an epoch's shuffled ``order``, with their
        share of the global batch."""
        for start in range(0, len(order), batch_size):
            yield order[start : start + batch_size], 1.0

    def sync_gradients(
        self, parameters: list[nn.Parameter], share: float, failed: bool = False
    ) -> bool:
        """Combine the processes' gradients into the global batch's (each weighted by its
        ``share``) and return whether any process ``failed`` (one process: its own flag)."""
        return failed

    def reduce_mean(self, total: float, count: int) -> float:
        """The mean of a sum over all processes' rows."""
        return total / max(count, 1)

    def describe(self) -> dict[str, object]:
        """How a model was trained, for the metadata of a saved model."""
        return {"strategy": self.name, "world_size": self.world_size, "device": str(self.device)}


class SingleDevice(Strategy):
    """One process, one device.

    >>> SingleDevice("cpu").describe()
    {'strategy': 'single-device', 'world_size': 1, 'device': 'cpu'}
    """

    name = "single-device"
