"""The registry of mechanism families and the factories that build a mechanism for a node.

A new family is one file that defines a :class:`~deepcausal.mechanisms.Mechanism` subclass
decorated with :func:`register_mechanism`, and one import line in ``mechanisms/__init__.py``.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any, TypeVar

from deepcausal.mechanisms._base import KINDS, Mechanism

__all__ = [
    "MECHANISMS",
    "families_for",
    "make_mechanism",
    "mechanism_from_config",
    "register_mechanism",
    "resolve_mechanism",
]

#: The registry: mechanism name -> class. Filled by :func:`register_mechanism`.
MECHANISMS: dict[str, type[Mechanism]] = {}

_AUTO: dict[str, str] = {"continuous": "flow", "binary": "gumbel", "categorical": "gumbel"}

M = TypeVar("M", bound="type[Mechanism]")


def register_mechanism(cls: M) -> M:
    """Class decorator that adds a mechanism family to :data:`MECHANISMS` under ``cls.name``."""
    name = cls.name
    if name in MECHANISMS and MECHANISMS[name] is not cls:
        raise ValueError(f"a mechanism named {name!r} is already registered")
    if name == "auto":
        raise ValueError("'auto' is reserved: it picks a family by the node's kind")
    MECHANISMS[name] = cls
    return cls


def families_for(
    kind: str, abduction: tuple[str, ...] | None = None, shape: tuple[int, ...] | None = None
) -> list[str]:
    """The registered families that model ``kind``, optionally only those whose class-level
    abduction is one of ``abduction``, and only those that model a node of ``shape`` (image-only
    families, such as ``"conv-vae"``, model shapes ``(C, H, W)`` alone).

    >>> families_for("binary")
    ['gan', 'gumbel']
    >>> families_for("binary", abduction=("posterior",))
    ['gumbel']
    >>> families_for("continuous", ("posterior",), shape=())
    ['vae']
    """
    return sorted(
        name
        for name, cls in MECHANISMS.items()
        if kind in cls.kinds
        and (abduction is None or getattr(cls, "abduction", None) in abduction)
        and (shape is None or len(shape) == 3 or not cls.image_only)
    )


def resolve_mechanism(name: str, kind: str) -> type[Mechanism]:
    """The family class that :func:`make_mechanism` would build for ``name`` and ``kind``.

    Validates without building any network: ``"auto"`` resolves to ``"flow"`` or ``"gumbel"``.

    Raises:
        ValueError: an unknown name or kind, or a family that does not model this kind.

    Examples:
        >>> resolve_mechanism("auto", "categorical").name
        'gumbel'
    """
    if kind not in KINDS:
        raise ValueError(f"unknown variable kind {kind!r}; mechanisms model {sorted(KINDS)}")
    if name == "auto":
        name = _AUTO[kind]
    cls = _lookup(name)
    if kind not in cls.kinds:
        fits = sorted(n for n, c in MECHANISMS.items() if kind in c.kinds)
        raise ValueError(
            f"mechanism {name!r} models {sorted(cls.kinds)} nodes, not {kind!r}; "
            f"for a {kind} node use one of {fits} (or 'auto')"
        )
    return cls


def make_mechanism(name: str, kind: str, dim: int, parent_dim: int, **hyper: Any) -> Mechanism:
    """Build a mechanism of family ``name`` for a node of the given kind.

    Args:
        name: a key of :data:`MECHANISMS`, or ``"auto"``: ``"flow"`` for continuous nodes and
            ``"gumbel"`` for binary and categorical ones.
        kind: ``"continuous"``, ``"binary"`` or ``"categorical"``.
        dim: event size (continuous) or number of categories (discrete; 2 for binary).
        parent_dim: width of the parent feature matrix.
        **hyper: the family's hyper-parameters.

    Raises:
        ValueError: an unknown name or kind, a family that does not model this kind, a binary node
            whose ``dim`` is not 2, or a bad hyper-parameter.

    Examples:
        >>> m = make_mechanism("auto", "binary", dim=2, parent_dim=3, hidden=(8,))
        >>> m.name, m.noise_dim
        ('gumbel', 2)
    """
    cls = resolve_mechanism(name, kind)
    if kind == "binary" and dim != 2:
        raise ValueError(f"a binary node has 2 categories, got dim={dim}")
    if "kind" in inspect.signature(cls.__init__).parameters:  # a family of several kinds
        hyper = {**hyper, "kind": kind}
    return _build(cls, dim, parent_dim, hyper)


def mechanism_from_config(config: Mapping[str, Any]) -> Mechanism:
    """Rebuild an untrained mechanism from :meth:`Mechanism.config`.

    Examples:
        >>> m = make_mechanism("additive", "continuous", dim=1, parent_dim=2, hidden=(8,))
        >>> twin = mechanism_from_config(m.config())
        >>> twin.config() == m.config()
        True

    Raises:
        ValueError: the config is not a mapping, lacks ``name``/``dim``/``parent_dim``, names an
            unknown family, or holds a bad hyper-parameter.
    """
    if not isinstance(config, Mapping):
        raise ValueError(f"a mechanism config must be a mapping, got {type(config).__name__}")
    missing = [k for k in ("name", "dim", "parent_dim") if k not in config]
    if missing:
        raise ValueError(f"mechanism config lacks {missing}: got keys {sorted(config)}")
    hyper = {k: v for k, v in config.items() if k not in ("name", "dim", "parent_dim")}
    cls = _lookup(config["name"])
    hyper = {**cls.saved_defaults, **hyper}  # a model saved before a hyper-parameter existed
    return _build(cls, config["dim"], config["parent_dim"], hyper)


def _lookup(name: Any) -> type[Mechanism]:
    if not isinstance(name, str) or name not in MECHANISMS:
        raise ValueError(f"unknown mechanism {name!r}; choose from {sorted(MECHANISMS)} or 'auto'")
    return MECHANISMS[name]


def _build(cls: type[Mechanism], dim: Any, parent_dim: Any, hyper: Mapping[str, Any]) -> Mechanism:
    params = inspect.signature(cls.__init__).parameters
    accepted = [p for p in params if p not in ("self", "dim", "parent_dim")]
    unknown = sorted(set(hyper) - set(accepted))
    if unknown:
        raise ValueError(
            f"unknown hyper-parameter(s) {unknown} for mechanism {cls.name!r}; "
            f"it accepts {accepted}"
        )
    return cls(dim, parent_dim, **hyper)
