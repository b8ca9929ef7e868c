"""The mechanism contract: a conditional generative model of one causal node given its parents.

A mechanism is the structural equation ``x = f(pa, u)`` of one node of a structural causal model
together with the distribution of its exogenous noise ``u``. It can

* score data: ``log_prob(x, parents)`` and the training objective ``loss(x, parents)``;
* generate: ``noise(n)`` draws ``u`` and ``sample(parents, noise)`` evaluates ``f``;
* abduct: ``abduct(x, parents)`` returns noise consistent with an observation, the deterministic
  inverse ``u = f^{-1}_pa(x)`` where ``f`` is invertible (``exact_abduction = True``) and a draw from
  the posterior ``p(u | x, pa)`` where it is not.

Whatever the family, ``sample(parents, abduct(x, parents))`` reproduces ``x``: up to float tolerance
for continuous nodes and exactly for discrete ones. This is the abduction step of Pearl's
counterfactual recipe (abduction, action, prediction) as used by Deep SCMs (Pawlowski, Castro &
Glocker, 2020).

Data representation, shared with :class:`deepcausal.scm.DeepSCM`:

* a continuous node's value is a float tensor of shape ``(n, dim)``;
* a binary or categorical node's value is an integer tensor of shape ``(n,)`` of category codes
  in ``[0, dim)`` (``dim`` is the number of categories; 2 for a binary node);
* ``parents`` is a float tensor ``(n, parent_dim)`` of parent features; ``parent_dim`` may be 0;
* noise is a float tensor ``(n, noise_dim)``.
"""

from __future__ import annotations

import abc
import inspect
import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal, TypeVar

import torch
from torch import Tensor, nn

from deepcausal.errors import DataError
from deepcausal.nn import MLP

__all__ = [
    "KINDS",
    "MECHANISMS",
    "Mechanism",
    "make_mechanism",
    "mechanism_from_config",
    "register_mechanism",
    "resolve_mechanism",
]

Kind = Literal["continuous", "binary", "categorical"]

#: The variable kinds that mechanisms model.
KINDS: frozenset[str] = frozenset({"continuous", "binary", "categorical"})

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


class Mechanism(nn.Module, abc.ABC):
    """A conditional generative model ``p(x | pa)`` written as a structural equation ``x = f(pa, u)``.

    Subclasses set the class attributes, take ``(dim, parent_dim)`` and their hyper-parameters as
    keyword-only arguments of ``__init__`` (:func:`make_mechanism` checks names against that
    signature), store the validated hyper-parameters in ``self._hyper`` (what :meth:`config`
    returns), register with :func:`register_mechanism`, build their networks and implement
    :meth:`log_prob`, :meth:`noise`, :meth:`sample` and :meth:`abduct`. Every method accepts tensors on
    any device and of any floating dtype and works on the module's own device and dtype; results
    live there too. Nothing here switches off autograd: wrap inference in ``torch.no_grad()``.

    Attributes:
        name: registry name (``"flow"``, ``"additive"``, ...).
        exact_abduction: whether :meth:`abduct` is a deterministic inverse of :meth:`sample`.
        kinds: the variable kinds this family models.
        dim: event size of a continuous node, number of categories of a discrete one.
        parent_dim: width of the parent feature matrix (0 for a root node).
    """

    name: ClassVar[str]
    exact_abduction: ClassVar[bool]
    kinds: ClassVar[frozenset[str]]

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

    @abc.abstractmethod
    def log_prob(self, x: Tensor, parents: Tensor) -> Tensor:
        """Log-density (continuous) or log-probability (discrete) of ``x`` given ``parents``.

        Args:
            x: node values, ``(n, dim)`` floats or ``(n,)`` category codes.
            parents: parent features ``(n, parent_dim)``.

        Returns:
            A tensor of shape ``(n,)``.
        """

    def loss(self, x: Tensor, parents: Tensor) -> Tensor:
        """The training objective: the mean negative log-likelihood of ``x`` given ``parents``."""
        return -self.log_prob(x, parents).mean()

    @abc.abstractmethod
    def noise(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """Draw ``n`` exogenous noise vectors from the noise prior, on the module's device.

        Args:
            n: number of draws.
            generator: source of randomness (on any device); the global RNG when ``None``.

        Returns:
            A tensor of shape ``(n, noise_dim)``.
        """

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

    @abc.abstractmethod
    def abduct(
        self, x: Tensor, parents: Tensor, generator: torch.Generator | None = None
    ) -> Tensor:
        """Noise consistent with ``(x, parents)``: ``sample(parents, abduct(x, parents)) == x``.

        The exact inverse of :meth:`sample` when ``exact_abduction`` is true (``generator`` is then
        ignored), a draw from the posterior ``p(u | x, parents)`` otherwise.

        Returns:
            A tensor of shape ``(n, noise_dim)``.
        """

    def prefit(
        self, x: Tensor, parents: Tensor, train_idx: Tensor, val_idx: Tensor
    ) -> list[nn.Parameter] | None:
        """An optional stage before the likelihood training loop; returns what the loop optimises.

        Families with a part that has a better estimator than stochastic gradient descent on the
        likelihood (a regression function fitted to convergence by a second-order method, say)
        fit it here on the rows ``train_idx`` (``val_idx`` are the held-out rows the training loop
        will use for early stopping) and return the parameters left for the loop. The default
        does nothing and returns ``None``: the loop optimises every parameter.
        """
        return None

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
        n = _check_int("n", n, minimum=0)
        device = generator.device if generator is not None else self.device
        out = torch.randn(n, self.noise_dim, generator=generator, device=device, dtype=self.dtype)
        return out.to(self.device)

    def _rand(self, shape: tuple[int, ...], generator: torch.Generator | None) -> Tensor:
        """Uniform draws on ``[0, 1)`` in float64 from ``generator``, moved to the module's device."""
        device = generator.device if generator is not None else self.device
        out = torch.rand(shape, generator=generator, device=device, dtype=torch.float64)
        return out.to(self.device)


# ---------------------------------------------------------------------------- factory functions
def resolve_mechanism(name: str, kind: str) -> type[Mechanism]:
    """The family class that :func:`make_mechanism` would build for ``name`` and ``kind``.

    Validates without building any network: ``"auto"`` resolves to ``"flow"`` or ``"gumbel"``.

    Raises:
        ValueError: an unknown name or kind, or a family that does not model this kind.

    Example:
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

    Example:
        >>> m = make_mechanism("auto", "binary", dim=2, parent_dim=3, hidden=(8,))
        >>> m.name, m.noise_dim
        ('gumbel', 2)
    """
    cls = resolve_mechanism(name, kind)
    if kind == "binary" and dim != 2:
        raise ValueError(f"a binary node has 2 categories, got dim={dim}")
    return _build(cls, dim, parent_dim, hyper)


def mechanism_from_config(config: Mapping[str, Any]) -> Mechanism:
    """Rebuild an untrained mechanism from :meth:`Mechanism.config`.

    Example:
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


# ------------------------------------------------------------------ hyper-parameter checks
def _check_int(name: str, value: Any, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return int(value)


def _check_float(name: str, value: Any, *, positive: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return float(value)


def _check_hidden(name: str, value: Any) -> list[int]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ValueError(f"{name} must be a sequence of layer widths, got {value!r}")
    return [_check_int(f"{name}[{i}]", v, minimum=1) for i, v in enumerate(value)]


def _check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return str(value)


def _check_activation(name: str, value: Any) -> str:
    try:
        MLP(1, 1, hidden=(), activation=value)  # the MLP owns the list of activations
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None
    return str(value)


def _parent_net(
    parent_dim: int, out: int, hidden: Sequence[int], activation: str
) -> tuple[MLP | None, nn.Parameter | None]:
    """An MLP of the parents, or a learned constant (zero-initialised) for a root node."""
    if parent_dim == 0:
        return None, nn.Parameter(torch.zeros(out))
    return MLP(parent_dim, out, hidden=tuple(hidden), activation=activation), None  # type: ignore[arg-type]


def _apply_parent_net(net: MLP | None, const: nn.Parameter | None, parents: Tensor) -> Tensor:
    if net is not None:
        out: Tensor = net(parents)
        return out
    assert const is not None
    return const.expand(parents.shape[0], -1)
