"""Building zuko normalising flows for the mechanism families (conditional or unconditional)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any, Literal

import torch
import zuko
from zuko.distributions import DiagNormal
from zuko.flows import (
    ElementWiseTransform,
    MaskedAutoregressiveTransform,
    UnconditionalDistribution,
)
from zuko.transforms import MonotonicAffineTransform, MonotonicRQSTransform

__all__ = ["DEFAULT_BOUND", "FlowTransform", "build_flow"]

FlowTransform = Literal["nsf", "maf"]

#: Spline (co)domain half-width: the splines act on [-bound, bound] and are the identity outside.
#: Standardised data lie well inside [-6, 6]; values beyond pass through unchanged (finite, with
#: Gaussian tails) instead of being folded or producing NaN.
DEFAULT_BOUND = 6.0


def build_flow(
    features: int,
    context: int,
    *,
    transform: str,
    transforms: int,
    hidden_features: Sequence[int],
    bins: int,
    bound: float,
) -> zuko.flows.Flow:
    """A zuko masked autoregressive flow ``u = T_c(x)`` with a standard normal base.

    ``transform="nsf"`` is a neural spline flow (Durkan et al., 2019): ``transforms`` layers of
    monotonic rational-quadratic splines on ``[-bound, bound]``, as :class:`zuko.flows.NSF` builds
    them, preceded by one (conditional) affine autoregressive layer. The affine layer carries the
    conditional location and scale, so the splines see residuals of roughly unit scale inside
    their bound even where the node's conditional spread differs from that of standardised data
    (a spline alone can only rescale inside ``[-bound, bound]``); it costs a handful of weights.
    ``"maf"`` stacks ``transforms`` affine layers (Papamakarios et al., 2017). With one feature zuko
    turns each autoregressive layer into an element-wise transform whose parameters come from an
    MLP of the context, or are free parameters when ``context == 0``.
    """
    spline = partial(MonotonicRQSTransform, bound=bound)
    spline_shapes: list[tuple[int, ...]] = [(bins,), (bins,), (bins - 1,)]
    affine_shapes: list[tuple[int, ...]] = [(), ()]
    layers: list[tuple[Any, list[tuple[int, ...]]]]
    if transform == "nsf":
        layers = [(MonotonicAffineTransform, affine_shapes)] + [
            (spline, spline_shapes)
        ] * transforms
    else:
        layers = [(MonotonicAffineTransform, affine_shapes)] * transforms
    ascending, descending = torch.arange(features), torch.arange(features).flip(0)
    lazy = [
        MaskedAutoregressiveTransform(
            features=features,
            context=context,
            order=ascending if i % 2 == 0 else descending,
            univariate=univariate,
            shapes=shapes,
            hidden_features=tuple(hidden_features),
        )
        for i, (univariate, shapes) in enumerate(layers)
    ]
    for layer in lazy:
        if isinstance(layer, ElementWiseTransform) and context == 0:
            # zuko draws a root's free spline/affine parameters from N(0, 1): a random warp. Zeros
            # make every layer the identity at the start (equal bins, unit knot slopes, unit
            # scale), so training starts from the N(0, I) base, the right guess for standardised data.
            with torch.no_grad():
                for phi in layer.phi:
                    phi.zero_()
    base = UnconditionalDistribution(
        DiagNormal, loc=torch.zeros(features), scale=torch.ones(features), buffer=True
    )
    return zuko.flows.Flow(lazy, base)
