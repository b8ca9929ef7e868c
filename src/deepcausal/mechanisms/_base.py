"""The mechanism contract: a conditional generative model of one causal node given its parents.

A mechanism is the structural equation ``x = f(pa, u)`` of one node of a structural causal model
together with the distribution of its exogenous noise ``u``. Every family can generate —
``noise(n)`` draws ``u`` and ``sample(parents, noise)`` evaluates ``f`` — and hands its training
objective to the one training loop (``objective()``, see :class:`deepcausal.nn.Objective`). What
else it can do it declares, and the library asks only that of it:

* ``abduction`` — how it recovers the noise of an observed unit, the first step of Pearl's
  counterfactual recipe (abduction, action, prediction; Deep SCMs, Pawlowski, Castro & Glocker
  2020):

  - ``"exact"``: a deterministic inverse ``u = f_pa^{-1}(x)`` (flows, additive and location-scale
    noise models); ``abduct`` then ``sample`` reproduces ``x`` and ``sample`` then ``abduct``
    reproduces ``u``;
  - ``"posterior"``: a draw from ``p(u | x, pa)``, exact (Gumbel-max) or amortised (a VAE's
    encoder); ``sample(parents, abduct(x, parents))`` still reproduces ``x``;
  - ``"approximate"``: an encoder or an optimisation that is neither (DDIM encoding of a diffusion
    model, latent inversion of a GAN); the round trip holds up to the family's error;
  - ``"none"``: the family cannot abduct; ``abduct`` raises :class:`~deepcausal.errors.AbductionError`.

* ``has_log_prob`` — whether ``log_prob(x, parents)`` gives a (normalised) log-density: flows,
  noise models and Gumbel-max do; GANs, diffusion models and VAEs (whose ELBO is only a bound) do
  not, and ``log_prob`` raises :class:`~deepcausal.errors.CapabilityError`.

Data representation, shared with :class:`deepcausal.scm.DeepSCM`:

* a continuous node's value is a float tensor of shape ``(n, dim)``;
* a binary or categorical node's value is an integer tensor of shape ``(n,)`` of category codes
  in ``[0, dim)`` (``dim`` is the number of categories; 2 for a binary node);
* ``parents`` is a float tensor ``(n, parent_dim)`` of parent features; ``parent_dim`` may be 0;
* noise is a float tensor ``(n, noise_dim)``.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal, get_args

import torch
from torch import Tensor, nn

from deepcausal.errors import AbductionError, CapabilityError, DataError
from deepcausal.mechanisms._checks import _check_int
from deepcausal.nn import Objective

__all__ = ["ABDUCTIONS", "KINDS", "Abduction", "Mechanism"]

Kind = Literal["continuous", "binary", "categorical"]
Abduction = Literal["exact", "posterior", "approximate", "none"]

#: The variable kinds that mechanisms model.
KINDS: frozenset[str] = frozenset(get_args(Kind))
#: How a mechanism may abduct, from the strongest guarantee to none.
ABDUCTIONS: tuple[str, ...] = get_args(Abduction)


class Mechanism(nn.Module, abc.ABC):
    """A conditional generative model ``p(x | pa)`` written as a structural equation ``x = f(pa, u)``.

    Subclasses set the class attributes, take ``(dim, parent_dim)`` and their hyper-parameters as
    keyword-only arguments of ``__init__`` (:func:`make_mechanism` checks names against that
    signature), store the validated hyper-parameters in ``self._hyper`` (what :meth:`config`
    returns), register with :func:`register_mechanism`, build their networks and implement
    :meth:`sample` (and :meth:`noise` where the noise prior is not the standard normal); then, by
    what they declare, :meth:`log_prob` (or a whole :meth:`objective`) and :meth:`abduct`. Every
    method accepts tensors on any device and of any floating dtype and works on the module's own
    device and dtype; results live there too.
    Nothing here switches off autograd: wrap inference in ``torch.no_grad()``.

    Attributes:
        name: registry name (``"flow"``, ``"additive"``, ``"diffusion"``, ...).
        abduction: ``"exact"``, ``"posterior"``, ``"approximate"`` or ``"none"`` (module docstring).
        has_log_prob: whether :meth:`log_prob` is a normalised log-density.
        kinds: the variable kinds this family models.
        preferred_training: training settings the family works best with.
        dim: event size of a continuous node, number of categories of a discrete one.
        parent_dim: width of the parent feature matrix (0 for a root node).
    """

    name: ClassVar[str]
    abduction: Abduction
    has_log_prob: ClassVar[bool] = True
    kinds: ClassVar[frozenset[str]]
    #: Training settings the family works best with (fields of :class:`deepcausal.nn.TrainConfig`),
    #: applied over the library's defaults when the user gives no training settings of their own.
    preferred_training: ClassVar[Mapping[str, Any]] = {}
    #: Whether the family models image nodes (a continuous variable of shape ``(C, H, W)``) only.
    image_only: ClassVar[bool] = False
    #: Values of hyper-parameters added after a family first shipped, as models saved before then
    #: were built: a saved config that lacks one is rebuilt with this value, not today's default.
    saved_defaults: ClassVar[Mapping[str, Any]] = {}

    _anchor: Tensor

    def __init__(self, dim: int, parent_dim: int) -> None:
        super().__init__()
        self.dim = _check_int("dim", dim, minimum=1)
        self.parent_dim = _check_int("parent_dim", parent_dim, minimum=0)
        # An empty, non-persistent buffer that follows .to(): it tells the module's device and dtype
        # even for families whose parameters may all sit in submodules.
        self.register_buffer("_anchor", torch.empty(0), persistent=False)
        self._hyper: dict[str, Any] = {}

    # ----------------------------------------------------------------------------- the contract
    @property
    def noise_dim(self) -> int:
        """Width of the exogenous noise tensor."""
        return self.dim

    @property
    def discrete(self) -> bool:
        """Whether the node's values are category codes (``(n,)`` int64) rather than floats."""
        return "continuous" not in self.kinds

    @property
    def device(self) -> torch.device:
        """The device holding the module's tensors."""
        return self._anchor.device

    @property
    def dtype(self) -> torch.dtype:
        """The floating dtype of the module's tensors (float32 unless converted)."""
        return self._anchor.dtype

    def log_prob(self, x: Tensor, parents: Tensor) -> Tensor:
        """Log-density (continuous) or log-probability (discrete) of ``x`` given ``parents``.

        Args:
            x: node values, ``(n, dim)`` floats or ``(n,)`` category codes.
            parents: parent features ``(n, parent_dim)``.

        Returns:
            A tensor of shape ``(n,)``.

        Raises:
            CapabilityError: the family has no log-density (``has_log_prob`` is false).
        """
        raise CapabilityError(
            f"the {self.name!r} mechanism has no log-density (has_log_prob is False); compare it "
            "with others by a two-sample statistic of its samples instead"
        )

    def loss(self, x: Tensor, parents: Tensor) -> Tensor:
        """The likelihood families' training loss: the mean negative log-likelihood."""
        return -self.log_prob(x, parents).mean()

    def objective(self, parameters: Sequence[nn.Parameter] | None = None) -> Objective:
        """What the training loop optimises, on batches ``(x, parents)``.

        The default, for likelihood families, minimises :meth:`loss` over ``parameters`` (all of
        the module's when ``None``; :meth:`prefit` may have fitted some) and validates by it.
        Families trained otherwise — a denoising loss, an ELBO, an adversarial game with two
        optimisers — override this.
        """
        params = (
            [p for p in self.parameters() if p.requires_grad]
            if parameters is None
            else list(parameters)
        )
        return Objective.minimise(lambda batch: self.loss(batch[0], batch[1]), params, name="nll")

    def noise(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """Draw ``n`` exogenous noise vectors from the noise prior, on the module's device.

        The default prior is the standard normal; families with another prior override this.

        Args:
            n: number of draws.
            generator: source of randomness (on any device); the global RNG when ``None``.

        Returns:
            A tensor of shape ``(n, noise_dim)``.
        """
        return self._randn(n, generator)

    @abc.abstractmethod
    def sample(
        self, parents: Tensor, noise: Tensor | None = None, generator: torch.Generator | None = None
    ) -> Tensor:
        """Evaluate the structural equation ``x = f(parents, noise)``.

        Args:
            parents: parent features ``(n, parent_dim)``; its first dimension gives ``n``.
            noise: exogenous noise ``(n, noise_dim)``; drawn with :meth:`noise` when ``None``.
            generator: source of randomness for the noise draw.

        Returns:
            ``(n, dim)`` floats for a continuous node, ``(n,)`` int64 codes for a discrete one.
        """

    def abduct(
        self, x: Tensor, parents: Tensor, generator: torch.Generator | None = None
    ) -> Tensor:
        """Noise consistent with ``(x, parents)``, as ``abduction`` declares.

        The exact inverse of :meth:`sample` (``"exact"``; ``generator`` is then ignored), a draw
        from the posterior ``p(u | x, parents)`` (``"posterior"``), or an encoding that inverts
        :meth:`sample` approximately (``"approximate"``).

        Returns:
            A tensor of shape ``(n, noise_dim)``.

        Raises:
            AbductionError: the family cannot abduct (``abduction == "none"``).
        """
        raise AbductionError(
            f"the {self.name!r} mechanism cannot recover a unit's noise from data "
            f"(abduction is {self.abduction!r})"
        )

    def prefit(
        self, x: Tensor, parents: Tensor, train_idx: Tensor, val_idx: Tensor
    ) -> list[nn.Parameter] | None:
        """An optional stage before the training loop; returns what the loop optimises.

        Families with a part that has a better estimator than stochastic gradient descent (a
        regression function fitted to convergence by a second-order method, say) fit it here on
        the rows ``train_idx`` (``val_idx`` are the held-out rows the training loop will use for
        early stopping) and return the parameters left for :meth:`objective`. The default does
        nothing and returns ``None``: the objective covers every parameter.
        """
        return None

    def reuse(self, fitted: Mechanism) -> bool:
        """Take from ``fitted`` (another family's mechanism already fitted to the same node and
        rows) what :meth:`prefit` would fit again, and return whether anything was taken. Families
        with ``mean="regression"`` take an additive model's regression (``"auto"`` fits that model
        first); others take nothing."""
        location = getattr(self, "location", None)
        return bool(location is not None and location.adopt(fitted))

    def refine_parameters(self) -> list[nn.Parameter]:
        """What further epochs over more rows train after a fit (the second stage of a streamed
        fit, where the first fitted a sample): by default every parameter that takes gradients.
        A family whose :meth:`prefit` froze a part it fitted on the sample overrides this to free
        it again."""
        return [p for p in self.parameters() if p.requires_grad]

    def config(self) -> dict[str, Any]:
        """The JSON-serialisable constructor arguments: ``{"name", "dim", "parent_dim", **hyper}``.

        :func:`mechanism_from_config` rebuilds an untrained twin; load the state dict into it.
        """
        return {"name": self.name, "dim": self.dim, "parent_dim": self.parent_dim, **self._hyper}

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.config().items() if k != "name")

    # ------------------------------------------------------------------ validation helpers
    def _parents(self, parents: Tensor, n: int | None = None) -> Tensor:
        """Check ``parents`` and move it to the module's device and dtype."""
        if not isinstance(parents, Tensor):
            raise DataError(
                f"{self.name} mechanism: parents must be a torch tensor, got {type(parents)}"
            )
        if parents.ndim != 2 or parents.shape[1] != self.parent_dim:
            raise DataError(
                f"{self.name} mechanism: parents must have shape (n, {self.parent_dim}), "
                f"got {tuple(parents.shape)}"
            )
        if n is not None and parents.shape[0] != n:
            raise DataError(
                f"{self.name} mechanism: parents have {parents.shape[0]} rows, the values have {n}"
            )
        if parents.is_complex():
            raise DataError(f"{self.name} mechanism: parents must be real, got {parents.dtype}")
        return parents.to(device=self.device, dtype=self.dtype)

    def _observed(self, x: Tensor, parents: Tensor) -> tuple[Tensor, Tensor]:
        """Check a batch of node values and their parents (as :meth:`_values` and
        :meth:`_parents`, with as many parent rows as values)."""
        x = self._values(x)
        return x, self._parents(parents, x.shape[0])

    def _sample_inputs(
        self, parents: Tensor, noise: Tensor | None, generator: torch.Generator | None
    ) -> tuple[Tensor, Tensor]:
        """What :meth:`sample` evaluates the structural equation on: the checked parents and the
        noise, checked where given and drawn with :meth:`noise` where ``None``."""
        parents = self._parents(parents)
        n = parents.shape[0]
        u = self.noise(n, generator) if noise is None else self._noise(noise, n)
        return parents, u

    def _values(self, x: Tensor) -> Tensor:
        """Check node values: ``(n, dim)`` floats or ``(n,)`` codes in ``[0, dim)``."""
        if not isinstance(x, Tensor):
            raise DataError(f"{self.name} mechanism: values must be a torch tensor, got {type(x)}")
        if self.discrete:
            if x.ndim != 1 or x.is_floating_point() or x.is_complex() or x.dtype == torch.bool:
                raise DataError(
                    f"{self.name} mechanism: a discrete node's values must be an integer tensor of "
                    f"shape (n,) holding category codes, got {x.dtype} {tuple(x.shape)}"
                )
            x = x.to(device=self.device, dtype=torch.long)
            if x.numel() and (int(x.min()) < 0 or int(x.max()) >= self.dim):
                raise DataError(
                    f"{self.name} mechanism: category codes must lie in [0, {self.dim}), "
                    f"got values in [{int(x.min())}, {int(x.max())}]"
                )
            return x
        if x.ndim != 2 or x.shape[1] != self.dim or not x.is_floating_point():
            raise DataError(
                f"{self.name} mechanism: a continuous node's values must be a float tensor of shape "
                f"(n, {self.dim}), got {x.dtype} {tuple(x.shape)}"
            )
        return x.to(device=self.device, dtype=self.dtype)

    def _noise(self, noise: Tensor, n: int) -> Tensor:
        """Check a noise tensor against ``(n, noise_dim)``."""
        if not isinstance(noise, Tensor):
            raise DataError(
                f"{self.name} mechanism: noise must be a torch tensor, got {type(noise)}"
            )
        if noise.ndim != 2 or noise.shape != (n, self.noise_dim) or not noise.is_floating_point():
            raise DataError(
                f"{self.name} mechanism: noise must be a float tensor of shape ({n}, "
                f"{self.noise_dim}), got {noise.dtype} {tuple(noise.shape)}"
            )
        return noise.to(device=self.device, dtype=self.dtype)

    def _finite(self, out: Tensor, what: str) -> Tensor:
        """Refuse to hand back NaN or infinite values silently."""
        if not bool(torch.isfinite(out).all()):
            raise DataError(
                f"{self.name} mechanism: {what} produced non-finite values; check the inputs for "
                "NaN/inf or values far outside the (standardised) training range"
            )
        return out

    def _randn(self, n: int, generator: torch.Generator | None) -> Tensor:
        """Standard normal draws ``(n, noise_dim)`` from ``generator``, moved to the module."""
        return self._normal((_check_int("n", n, minimum=0), self.noise_dim), generator)

    def _normal(
        self, shape: tuple[int, ...] | torch.Size, generator: torch.Generator | None
    ) -> Tensor:
        """Standard normal draws of ``shape`` in the module's dtype from ``generator``, moved to
        the module's device."""
        device = generator.device if generator is not None else self.device
        out = torch.randn(shape, generator=generator, device=device, dtype=self.dtype)
        return out.to(self.device)

    def _rand(self, shape: tuple[int, ...], generator: torch.Generator | None) -> Tensor:
        """Uniform draws on ``[0, 1)`` in float64 from ``generator``, moved to the module's device."""
        device = generator.device if generator is not None else self.device
        out = torch.rand(shape, generator=generator, device=device, dtype=torch.float64)
        return out.to(self.device)
