"""Device and seed helpers: the one place that decides where tensors live and how runs are seeded."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator

import numpy as np
import torch

DeviceLike = str | torch.device


def resolve_device(device: DeviceLike = "auto") -> torch.device:
    """Return a torch device; ``"auto"`` picks CUDA when available, else the CPU.

    >>> resolve_device("cpu").type
    'cpu'
    """
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except RuntimeError as exc:
        raise ValueError(f"unknown device {device!r}: use 'auto', 'cpu' or 'cuda[:i]'") from exc


def derive_seed(random_state: int | None) -> int:
    """The integer seed that :func:`seed_everything` uses for ``random_state``, without seeding
    anything (fresh entropy when ``None``)."""
    return int(np.random.SeedSequence(random_state).generate_state(1)[0])


def seed_everything(random_state: int | None) -> int:
    """Seed Python, NumPy and torch from ``random_state`` and return the seed used.

    ``None`` draws a fresh seed, so a run stays reproducible from the returned value.
    """
    seed = derive_seed(random_state)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return seed


def torch_generator(random_state: int | None, device: DeviceLike = "cpu") -> torch.Generator:
    """A torch generator seeded from ``random_state`` (fresh entropy when ``None``)."""
    gen = torch.Generator(device=resolve_device(device))
    gen.manual_seed(int(np.random.SeedSequence(random_state).generate_state(1)[0]))
    return gen


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run a block with ``n`` intra-op torch threads, restoring the previous setting afterwards.

    The small networks of SCM mechanisms and effect estimators are often fastest on one thread,
    and much faster than on oversubscribed cores. ``None`` leaves the setting alone.

    >>> with torch_threads(1):
    ...     torch.get_num_threads()
    1
    """
    if n is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, int(n)))
    try:
        yield
    finally:
        torch.set_num_threads(before)
