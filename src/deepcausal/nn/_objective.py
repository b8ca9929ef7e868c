"""What a model asks the training loop to optimise: an :class:`Objective` of one or more steps.

A model hands the one training loop (:func:`deepcausal.nn.train`) an objective rather than running a
loop of its own, the split Lightning makes between a ``LightningModule``'s optimisers and its
``Trainer``. An objective is a tuple of :class:`Step` — each a loss, the parameter group it
updates, and its own optimiser settings — and a validation score for early stopping:

* likelihood, ELBO and denoising objectives have one step (:meth:`Objective.minimise`);
* adversarial objectives have two, alternated: a critic step on every batch and a generator step
  every ``k``-th batch (WGAN-GP's ``n_critic``), each with its own Adam.

A loss may return a scalar or a mapping of named terms (summed for the gradient); the loop checks
every term and names the one that became non-finite.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from torch import Tensor, nn

__all__ = ["Batch", "LossTerms", "Objective", "Step", "total_loss"]

#: One mini-batch: a slice of every training tensor, on the training device.
Batch = tuple[Tensor, ...]
#: What a loss returns: a scalar, or named scalar terms that are summed.
LossTerms = Tensor | Mapping[str, Tensor]


def total_loss(terms: LossTerms) -> Tensor:
    """The scalar a step minimises: the loss itself, or the sum of its named terms."""
    if isinstance(terms, Tensor):
        return terms
    values = list(terms.values())
    if not values:
        raise ValueError("a loss returned no terms")
    total = values[0]
    for value in values[1:]:
        total = total + value
    return total


@dataclass(frozen=True)
class Step:
    """One optimiser of an :class:`Objective`: a loss and the parameter group it updates.

    Attributes:
        name: what the step is (``"nll"``, ``"elbo"``, ``"denoising"``, ``"critic"``,
            ``"generator"``); error messages and the history use it.
        loss: maps a batch to a scalar loss or to named terms (summed).
        parameters: the parameter group this step's optimiser updates.
        lr: learning rate; ``None`` takes the training configuration's.
        betas: Adam's moment coefficients (GANs use ``(0.5, 0.9)``).
        weight_decay: decoupled weight decay; ``None`` takes the configuration's.
        every: take this step on every ``every``-th batch only (the generator of WGAN-GP steps
            once per ``n_critic`` critic steps).
    """

    name: str
    loss: Callable[[Batch], LossTerms]
    parameters: Sequence[nn.Parameter]
    lr: float | None = None
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float | None = None
    every: int = 1

    def __post_init__(self) -> None:
        if self.every < 1:
            raise ValueError(f"step {self.name!r}: every must be >= 1, got {self.every}")
        if self.lr is not None and self.lr <= 0:
            raise ValueError(f"step {self.name!r}: lr must be positive, got {self.lr}")


@dataclass(frozen=True)
class Objective:
    """Everything the training loop optimises for one model.

    Attributes:
        steps: the optimisers, taken in this order on each batch they are due.
        validation: a score of a held-out batch, lower is better, for early stopping and for
            keeping the best weights (averaged over chunks of the held-out rows); ``None`` trains
            for the full number of epochs and keeps the last weights.
    """

    steps: tuple[Step, ...]
    validation: Callable[[Batch], Tensor] | None = field(default=None)

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError("an objective needs at least one step")
        names = [s.name for s in self.steps]
        if len(set(names)) != len(names):
            raise ValueError(f"step names must differ, got {names}")

    @classmethod
    def minimise(
        cls,
        loss: Callable[[Batch], LossTerms],
        parameters: Iterable[nn.Parameter],
        name: str = "loss",
        validation: Callable[[Batch], Tensor] | None = None,
    ) -> Objective:
        """One loss over one parameter group, validated by the same loss unless told otherwise.

        >>> import torch
        >>> w = nn.Parameter(torch.zeros(1))
        >>> obj = Objective.minimise(lambda b: ((w - b[0]) ** 2).mean(), [w])
        >>> [s.name for s in obj.steps], obj.validation is not None
        (['loss'], True)
        """

        def score(batch: Batch) -> Tensor:
            return total_loss(loss(batch))

        return cls((Step(name, loss, list(parameters)),), validation or score)

    @property
    def parameters(self) -> list[nn.Parameter]:
        """Every parameter some step updates, each once."""
        seen: dict[int, nn.Parameter] = {}
        for step in self.steps:
            for p in step.parameters:
                seen.setdefault(id(p), p)
        return list(seen.values())
