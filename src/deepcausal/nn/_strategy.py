"""Where the training loop runs: the strategy decides devices, which rows each process sees, and
how gradients and scores are combined.

:class:`SingleDevice` is one process on one device (``"auto"``: CUDA when present). A distributed
strategy implements the same four methods, so the one loop serves both.
"""

from __future__ import annotations

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
        """Whether this process reports progress (rank 0)."""
        return self.rank == 0

    def shard(self, order: Tensor) -> Tensor:
        """The part of an epoch's shuffled row order that this process trains on."""
        return order

    def sync_gradients(self, parameters: list[nn.Parameter]) -> None:
        """Combine the gradients of every process (nothing to do in one process)."""

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


def as_strategy(device: DeviceLike | Strategy) -> Strategy:
    """A strategy from a device name, or the strategy itself."""
    if isinstance(device, Strategy):
        return device
    return SingleDevice(device)
