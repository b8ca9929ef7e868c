"""Independent fits in parallel: one map over local worker processes (joblib's loky) or a running
Ray cluster, with results in input order and equal to a sequential run.

The library does many fits that do not depend on each other: one mechanism per node of a DeepSCM,
bootstrap refits of an effect estimator, the candidates of an :class:`~deepcausal.estimators.EffectSearch`,
discovery on bootstrap resamples. Each receives its own seed before it is sent out, so where it
runs does not change what it returns. Set the workers for one call with its ``n_jobs`` /
``backend`` parameters, or for a block of code::

    from deepcausal.parallel import parallel

    with parallel(n_jobs=4):                     # local processes (loky)
        est.fit(X, t, y)                         # its bootstrap refits run four at a time
    with parallel(n_jobs=-1, backend="ray"):     # a running cluster: ray.init(address="auto")
        scm.fit(data)

``n_jobs=-1`` uses every core (or every CPU of the Ray cluster). Ray is an optional extra
(``pip install "deepcausal[ray]"``).
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from deepcausal.errors import CapabilityError

__all__ = ["BACKENDS", "ParallelConfig", "parallel", "parallel_map"]

T = TypeVar("T")
R = TypeVar("R")

#: The backends: local worker processes, or tasks on a Ray cluster.
BACKENDS = ("loky", "ray")


@dataclass(frozen=True)
class ParallelConfig:
    """Where independent fits run.

    Attributes:
        n_jobs: workers at once; 1 runs in this process, -1 uses every core (every CPU of the
            Ray cluster).
        backend: ``"loky"`` (local processes) or ``"ray"``.
        address: the Ray cluster to join when none is connected (``None``: ``"auto"``, the
            cluster started on this machine by ``ray start``).
    """

    n_jobs: int = 1
    backend: str = "loky"
    address: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.n_jobs, int) or isinstance(self.n_jobs, bool) or self.n_jobs == 0:
            raise ValueError(f"n_jobs must be a positive integer or -1, got {self.n_jobs!r}")
        if self.n_jobs < -1:
            raise ValueError(f"n_jobs must be a positive integer or -1, got {self.n_jobs}")
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {self.backend!r}")


_CURRENT: ContextVar[ParallelConfig | None] = ContextVar("deepcausal_parallel", default=None)


@contextlib.contextmanager
def parallel(
    n_jobs: int = -1, backend: str = "loky", address: str | None = None
) -> Iterator[ParallelConfig]:
    """Run the independent fits inside the block on ``n_jobs`` workers of ``backend``.

    >>> with parallel(n_jobs=2) as config:
    ...     config.n_jobs
    2
    """
    config = ParallelConfig(n_jobs, backend, address)
    token = _CURRENT.set(config)
    try:
        yield config
    finally:
        _CURRENT.reset(token)


def current(n_jobs: int | None = None, backend: str | None = None) -> ParallelConfig:
    """The configuration in force: explicit arguments over the enclosing :func:`parallel` block."""
    base = _CURRENT.get() or ParallelConfig()
    return ParallelConfig(
        base.n_jobs if n_jobs is None else n_jobs,
        base.backend if backend is None else backend,
        base.address,
    )


def parallel_map(
    fn: Callable[[T], R],
    items: Sequence[T],
    *,
    n_jobs: int | None = None,
    backend: str | None = None,
    description: str = "fits",
    progress: bool = False,
) -> list[R]:
    """``[fn(item) for item in items]``, spread over workers; results in the order of ``items``.

    ``fn`` and the items travel to the workers by cloudpickle, so they must not hold open files or
    locks; every random choice inside ``fn`` must come from the item (a seed), never from global
    state, for the result to equal a sequential run.

    >>> parallel_map(abs, [-1, 2, -3], n_jobs=1)
    [1, 2, 3]
    """
    config = current(n_jobs, backend)
    items = list(items)
    from tqdm.auto import tqdm

    from deepcausal._progress import tqdm_disable

    bar = tqdm(total=len(items), desc=description, disable=tqdm_disable(progress), leave=False)
    try:
        if config.n_jobs == 1 or len(items) <= 1:
            out = []
            for item in items:
                out.append(fn(item))
                bar.update(1)
            return out
        if config.backend == "ray":
            return _ray_map(fn, items, config, bar)
        return _loky_map(fn, items, config, bar)
    finally:
        bar.close()


def _loky_map(fn: Callable[[T], R], items: list[T], config: ParallelConfig, bar: Any) -> list[R]:
    from joblib import Parallel, delayed

    jobs = min(len(items), os.cpu_count() or 1) if config.n_jobs == -1 else config.n_jobs
    runner = Parallel(n_jobs=min(jobs, len(items)), backend="loky", return_as="generator")
    out = []
    for result in runner(delayed(fn)(item) for item in items):
        out.append(result)
        bar.update(1)
    return out


def _ray_map(fn: Callable[[T], R], items: list[T], config: ParallelConfig, bar: Any) -> list[R]:
    ray = connect_ray(config.address)
    remote = ray.remote(num_cpus=1)(_call)
    window = len(items) if config.n_jobs == -1 else config.n_jobs
    pending: list[Any] = []
    out: list[R] = []
    for item in items:  # at most n_jobs tasks in flight, collected in order
        pending.append(remote.remote(fn, item))
        if len(pending) >= window:
            out.append(ray.get(pending.pop(0)))
            bar.update(1)
    for ref in pending:
        out.append(ray.get(ref))
        bar.update(1)
    return out


def _call(fn: Callable[[T], R], item: T) -> R:
    return fn(item)


def connect_ray(address: str | None = None) -> Any:
    """The ``ray`` module, connected to a cluster (the running one, or ``address``).

    Raises:
        CapabilityError: Ray is not installed, or no cluster answers at the address.
    """
    try:
        import ray
    except ImportError as exc:
        raise CapabilityError(
            "backend='ray' needs Ray, an optional extra: pip install \"deepcausal[ray]\" "
            "(or use backend='loky' for local processes)"
        ) from exc
    if ray.is_initialized():
        return ray
    target = address or "auto"
    _probe(target)
    try:
        ray.init(address=target, log_to_driver=False, configure_logging=False)
    except (ConnectionError, RuntimeError, ValueError, TimeoutError) as exc:
        raise CapabilityError(
            f"cannot reach a Ray cluster at {target!r} ({type(exc).__name__}: {exc}); start one "
            "with `ray start --head`, pass its address, or call ray.init() before fitting"
        ) from None
    return ray


#: Seconds to wait for a Ray address to accept a connection (Ray itself retries for minutes).
PROBE_SECONDS = 5.0


def _probe(address: str) -> None:
    """Refuse at once a ``host:port`` that accepts no connection, instead of waiting on Ray."""
    if address in ("auto", "local"):
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise CapabilityError(
            f"the Ray address {address!r} is not host:port (or 'auto', or ray://host:port)"
        )
    try:
        socket.create_connection((host, int(port)), timeout=PROBE_SECONDS).close()
    except OSError as exc:
        raise CapabilityError(
            f"cannot reach a Ray cluster at {address!r} ({exc}); start one with `ray start --head` "
            "or pass the address it prints"
        ) from None
