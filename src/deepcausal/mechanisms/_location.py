"""A regression ``f(pa)`` fitted before the training loop, for families that model what is left.

Flows and diffusion models fit the whole conditional ``p(x | pa)`` with a network of the parents,
whose guess off the data's support is arbitrary; a counterfactual that moves the parents there
inherits it. Modelling the residual ``x - f(pa)`` of a regression instead, as CARD conditions its
diffusion on a pre-trained mean (Han, Zheng & Zhou, NeurIPS 2022), leaves the trend to ``f`` —
the additive family's least-squares stage: OLS, an F-tested quadratic term, and a tanh MLP only
where Ramsey's RESET test rejects the polynomial, fitted by L-BFGS with early stopping.
"""

from __future__ import annotations

from torch import Tensor, nn

from deepcausal.mechanisms.additive import AdditiveNoiseMechanism

__all__ = ["FittedMean", "residual", "restore"]


class FittedMean(nn.Module):
    """``f(pa)``, zero for a root node; :meth:`fit` sets it, no optimiser ever moves it."""

    def __init__(self, dim: int, parent_dim: int) -> None:
        super().__init__()
        self.dim = dim
        # the additive family's regression; its noise density (a one-layer affine flow) goes unused
        self.model = (
            AdditiveNoiseMechanism(
                dim, parent_dim, noise_transform="maf", noise_transforms=1,
                noise_hidden_features=(2,),
            )
            if parent_dim > 0
            else None
        )  # fmt: skip
        self.requires_grad_(False)
        self._adopted = False

    def adopt(self, fitted: nn.Module) -> bool:
        """Take the regression of ``fitted``, an additive noise model already fitted to the same
        node and rows, instead of solving the same least squares again; :meth:`fit` then keeps it.
        Returns whether it was taken: not where ``fitted`` is another family or its regression is
        built differently (other hidden widths, activation, polynomial degree or regression mode).
        """
        if self.model is None or not isinstance(fitted, AdditiveNoiseMechanism):
            return False
        mine, theirs = self.model.config(), fitted.config()
        keys = ("dim", "parent_dim", "hidden", "activation", "skip_degree", "regression")
        if any(mine[k] != theirs[k] for k in keys):  # its own regression is "lbfgs"
            return False
        target = self.model.state_dict()
        source = {k: v for k, v in fitted.state_dict().items() if not k.startswith("noise_")}
        if any(k not in target or target[k].shape != v.shape for k, v in source.items()):
            return False
        self.model.load_state_dict(source, strict=False)
        self._adopted = True
        return True

    def fit(self, x: Tensor, parents: Tensor, train_idx: Tensor, val_idx: Tensor) -> None:
        """Least squares on the rows ``train_idx``, early stopping on ``val_idx`` (nothing to do
        after :meth:`adopt`)."""
        if self.model is None or self._adopted:
            return
        self.model.requires_grad_(True)
        self.model.prefit(x, parents, train_idx, val_idx)
        self.model.requires_grad_(False)

    def forward(self, parents: Tensor) -> Tensor:
        if self.model is None:
            return parents.new_zeros(parents.shape[0], self.dim)
        return self.model.mean(parents)


def residual(location: FittedMean | None, x: Tensor, parents: Tensor) -> Tensor:
    """``x - f(pa)``, what a family with a regression stage models; ``x`` itself without one."""
    if location is None:
        return x
    out: Tensor = x - location(parents)
    return out


def restore(location: FittedMean | None, r: Tensor, parents: Tensor) -> Tensor:
    """``r + f(pa)``: a modelled residual back in the node's units (``r`` without a stage)."""
    if location is None:
        return r
    out: Tensor = r + location(parents)
    return out
