"""Fixtures shared by the whole suite, doctests under src/ included."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from deepcausal.nn import torch_threads


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    """Run on one intra-op thread: the small networks of the tests are slower with more threads,
    and far slower on a shared, oversubscribed CPU."""
    with torch_threads(1):
        yield
