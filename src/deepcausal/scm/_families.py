"""Which mechanism families a DeepSCM fits for a node, and what a counterfactual may ask of them."""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

from deepcausal.data import Schema, Variable
from deepcausal.errors import AbductionError
from deepcausal.mechanisms import (
    MECHANISMS,
    Mechanism,
    families_for,
    make_mechanism,
    resolve_mechanism,
)
from deepcausal.scm._features import node_dim
from deepcausal.scm._fit import AUTO_CONTINUOUS

__all__ = ["MechanismSpec", "build_mechanism", "candidates", "check_abduction", "check_families"]

#: What ``mechanisms=`` takes: a family name or ``"auto"``, a list of families to choose among, or
#: a mapping node -> either (nodes it leaves out get ``"auto"``).
MechanismSpec = str | Sequence[str] | Mapping[str, str | Sequence[str]]

#: The family ``"auto"`` gives an image node (a continuous variable of shape ``(C, H, W)``).
IMAGE_FAMILY = "conv-vae"


def check_families(value: Any, where: str) -> None:
    """Refuse an unknown family now, listing the registered ones, rather than at fit time."""
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, Sequence) or isinstance(names, bytes) or not names:
        raise ValueError(
            f"{where} must be a family name, a list of family names or a dict node -> name, "
            f"got {value!r}"
        )
    for name in names:
        if name == "auto" and isinstance(value, str):
            continue
        if not isinstance(name, str) or name not in MECHANISMS:
            raise ValueError(
                f"{where}: unknown mechanism family {name!r}; the registered families are "
                f"{sorted(MECHANISMS)}" + (" (or 'auto')" if isinstance(value, str) else "")
            )


def candidates(
    node: str,
    spec: str | tuple[str, ...],
    kind: str,
    has_parents: bool,
    shape: tuple[int, ...] = (),
) -> tuple[str, ...]:
    """The families fitted for ``node``: under ``"auto"`` an image node gets the convolutional
    VAE, a continuous node with parents tries an additive noise model and a conditional flow (a
    root the first alone); a list of families tries those of them that model the node's kind."""
    if spec == "auto" and len(shape) == 3:
        return (IMAGE_FAMILY,)
    if spec == "auto" and kind == "continuous":
        return AUTO_CONTINUOUS if has_parents else AUTO_CONTINUOUS[:1]
    if isinstance(spec, str):
        return (spec,)
    usable = tuple(f for f in spec if f in families_for(kind, shape=shape))
    if not usable:
        what = f"an image {shape}" if len(shape) == 3 else kind
        raise ValueError(
            f"node {node!r} is {what}, and none of the families {list(spec)} models a {kind} "
            f"node{' of this shape' if shape else ''}; for it use one of "
            f"{families_for(kind, shape=shape)} (or 'auto')"
        )
    return usable


def check_abduction(mechanisms: Mapping[str, Mechanism], schema: Schema, nodes: list[str]) -> None:
    """Refuse a counterfactual that recomputes a node whose mechanism cannot abduct its noise,
    naming the node and the families that can."""
    blocked = [v for v in nodes if mechanisms[v].abduction == "none"]
    if not blocked:
        return
    node = blocked[0]
    kind, shape = schema[node].kind, schema[node].shape
    able = {
        how: families_for(kind, (how,), shape)
        for how in ("exact", "posterior", "approximate")
        if families_for(kind, (how,), shape)
    }
    offer = "; ".join(f"{how}: {', '.join(names)}" for how, names in able.items())
    raise AbductionError(
        f"this counterfactual recomputes node {node!r}"
        + (f" (and {blocked[1:]})" if len(blocked) > 1 else "")
        + f", but its {mechanisms[node].name!r} mechanism cannot recover a unit's noise "
        f"from data (abduction 'none'). Families that can abduct a {kind} node: {offer}. Fit "
        f"it with one of them (e.g. mechanisms={{{node!r}: 'flow'}}), or ask a population "
        "question instead: scm.do(...).sample(n)"
    )


def build_mechanism(
    node: str,
    var: Variable,
    family: str,
    parent_dim: int,
    mechanism_kwargs: Mapping[str, Mapping[str, Any]] | None,
    defaults: Mapping[str, Any] | None = None,
) -> Mechanism:
    """A fresh mechanism of ``family`` for ``node``, with ``defaults`` overridden by the
    hyper-parameters given for its family and then by those for the node itself (the node's win)."""
    kwargs = dict(mechanism_kwargs or {})
    hyper: dict[str, Any] = dict(defaults or {})
    try:
        cls = resolve_mechanism(family, var.kind)
        resolved = cls.name
        if len(var.shape) == 3 and "shape" in inspect.signature(cls.__init__).parameters:
            hyper["shape"] = var.shape  # an image family reads the node's (C, H, W)
        hyper.update(kwargs.get(resolved, {}))
        hyper.update(kwargs.get(node, {}))
        return make_mechanism(resolved, var.kind, node_dim(var), parent_dim, **hyper)
    except ValueError as exc:
        raise ValueError(f"node {node!r} ({var.kind}): {exc}") from None
