"""ChiRho's Deep SCM of Morpho-MNIST, the peer of benchmarks/morphomnist.py.

The model follows ChiRho's tutorial "Deep structural causal model counterfactuals"
(docs/source/deepscm.ipynb of BasisResearch/chirho, for chirho 0.3.0), after Pawlowski, Castro &
Glocker (2020):

* thickness: a learnable spline of N(0, 1), an affine map and ``exp`` (``ThicknessTransform``);
* intensity | thickness: a spline whose parameters an MLP (one hidden layer of 16, ELU) computes
  from log-thickness, an affine map and ``softplus`` (``IntensityTransform``, 4 bins);
* image | (thickness, intensity): dequantisation, eight masked affine coupling layers with
  checkerboard masks and gated convolutional networks (3 layers, 16 channels), then one
  conditional affine autoregressive flow over the flattened pixels (``ImageTransform``); the
  generative direction is this transform's inverse;
* training: maximum likelihood of the conditioned model with Pyro's ``Trace_ELBO`` (the model has
  no latent sites, so the ELBO is the log-likelihood), Adam at 1e-3, batch 128, gradient clipping
  at 1, one uniform dequantisation draw per batch;
* counterfactuals: ``MultiWorldCounterfactual`` with ``do`` and ``condition`` on the observed
  thickness, intensity and image; ChiRho abducts each observed transformed distribution's noise by
  its transform's inverse and pushes it through the intervened world (``FactualConditioningMessenger``).

Where this differs from the tutorial, and why:

* the digit is a parent of the image here (graph ``digit -> image`` as in deepcausal's model, so
  both fit the same graph); it enters the conditional flow's context one-hot, beside thickness and
  intensity. The tutorial keeps only the digit 5;
* the flow's context is standardised (the tutorial feeds raw intensity, in the hundreds, to the
  network);
* the tutorial's affine maps pass ``weight`` and ``bias`` the wrong way round (``loc`` = the mean
  of log-thickness, ``scale`` = its sd, swapped); here ``loc`` is the mean and ``scale`` the sd;
* images are 2x2 block means (14 x 14), as in the tutorial. The metrics see them at 28 x 28 by
  pixel replication, and the peer is scored against real digits put through the same round trip
  (``resample_floor``), whose morphometrics against the labels are reported as its floor;
* the training loop is plain PyTorch (PyTorch Lightning is not installed here) and runs for a fixed
  number of epochs (the tutorial's 100 epochs ran on a GPU).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyro
import pyro.distributions as dist
import torch
from chirho.counterfactual.handlers import MultiWorldCounterfactual
from chirho.indexed.ops import IndexSet, gather
from chirho.interventional.handlers import do
from chirho.observational.handlers import condition
from torch import nn

from deepcausal.data import image_table

SIZE = 14  # the tutorial's resolution: 28 x 28 images as 2 x 2 block means
SCALARS = ("thickness", "intensity")


def downsample(images: np.ndarray) -> np.ndarray:
    """``(n, 1, 28, 28)`` -> ``(n, 1, 14, 14)`` 2 x 2 block means (``skimage.block_reduce``)."""
    n = len(images)
    return images.reshape(n, 1, SIZE, 2, SIZE, 2).mean(axis=(3, 5))


def upsample(images: np.ndarray) -> np.ndarray:
    """``(n, 1, 14, 14)`` -> ``(n, 1, 28, 28)`` by pixel replication, clipped to [0, 255]; so that
    ``downsample(upsample(y)) == y`` and a null intervention can be applied again exactly."""
    return np.clip(np.repeat(np.repeat(images, 2, axis=2), 2, axis=3), 0.0, 255.0).astype(
        np.float64
    )


def resample_floor(images: np.ndarray) -> np.ndarray:
    """Real digits at the model's resolution (block means, replicated back to 28 x 28): the peer
    is scored on these, and their morphometrics against the labels are what the resolution alone
    costs."""
    return upsample(downsample(images))


class _ConstantParam(dist.torch_transform.TransformModule):
    """A parameter-free transform as a module, so that it composes with learnable ones."""

    def __init__(self, transform: dist.transforms.Transform) -> None:
        super().__init__()
        self._transform = transform
        self.domain, self.codomain = transform.domain, transform.codomain
        self.bijective = transform.bijective

    @property
    def sign(self) -> Any:
        return self._transform.sign

    def _call(self, x: torch.Tensor) -> torch.Tensor:
        return self._transform(x)

    def _inverse(self, y: torch.Tensor) -> torch.Tensor:
        return self._transform.inv(y)

    def log_abs_det_jacobian(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self._transform.log_abs_det_jacobian(x, y)

    def with_cache(self, cache_size: int = 1) -> dist.transforms.Transform:
        return self._transform.with_cache(cache_size)


class _Compose(dist.transforms.ComposeTransformModule):
    def __init__(self, parts: list[dist.transforms.Transform]) -> None:
        super().__init__([p if isinstance(p, nn.Module) else _ConstantParam(p) for p in parts])


class _ConcatELU(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([nn.functional.elu(x), nn.functional.elu(-x)], dim=-3)


class _LayerNormChannels(nn.Module):
    def __init__(self, channels: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(1, channels, 1, 1))
        self.beta = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean, var = x.mean(dim=-3, keepdim=True), x.var(dim=-3, unbiased=False, keepdim=True)
        return (x - mean) / torch.sqrt(var + self.eps) * self.gamma + self.beta


class _GatedConv(nn.Module):
    def __init__(self, channels: int, hidden: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            _ConcatELU(), nn.Conv2d(2 * channels, hidden, 3, padding=1),
            _ConcatELU(), nn.Conv2d(2 * hidden, 2 * channels, 1),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        value, gate = self.net(x).chunk(2, dim=-3)
        return x + value * torch.sigmoid(gate)


def _gated_conv_net(channels: int, hidden: int, layers: int) -> nn.Module:
    parts: list[nn.Module] = [nn.Conv2d(channels, hidden, 3, padding=1)]
    for _ in range(layers):
        parts += [_GatedConv(hidden, hidden), _LayerNormChannels(hidden)]
    parts += [_ConcatELU(), nn.Conv2d(2 * hidden, 2 * channels, 3, padding=1)]
    net = nn.Sequential(*parts)
    nn.init.zeros_(net[-1].weight)
    nn.init.zeros_(net[-1].bias)
    return net


class _MaskedAffineCoupling(dist.torch_transform.TransformModule):
    """The tutorial's ``MaskedAffineCouplingLayer`` (RealNVP with a checkerboard mask)."""

    bijective = True
    domain = dist.constraints.independent(dist.constraints.real, 3)
    codomain = dist.constraints.independent(dist.constraints.real, 3)

    def __init__(self, network: nn.Module, mask: torch.Tensor, channels: int) -> None:
        super().__init__(cache_size=1)  # the log-density reuses the pass that inverted it
        self.network = network
        self.scaling_factor = nn.Parameter(torch.zeros(channels))
        self.register_buffer("mask", mask)
        self._last: tuple[torch.Tensor | None, torch.Tensor] = (None, torch.zeros(()))

    def with_cache(self, cache_size: int = 1) -> dist.transforms.Transform:
        return self

    def _net(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        flat = x.reshape((-1, *x.shape[-3:]))
        out = self.network(flat * self.mask).reshape((*x.shape[:-3], -1, *x.shape[-2:]))
        s, t = out.chunk(2, dim=-3)
        factor = self.scaling_factor.exp().view(1, -1, 1, 1)
        s = torch.tanh(s / factor) * factor
        return s * (1 - self.mask), t * (1 - self.mask)

    def log_abs_det_jacobian(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        cached_x, s = self._last
        if cached_x is not x:  # the masked half is shared by x and y: either gives s
            s = self._net(x)[0]
        return s.sum(dim=(-1, -2, -3))

    def _inverse(self, y: torch.Tensor) -> torch.Tensor:
        s, t = self._net(y)
        x = y * torch.exp(-s) - t
        self._last = (x, s)
        return x

    def _call(self, x: torch.Tensor) -> torch.Tensor:
        s, t = self._net(x)
        self._last = (x, s)
        return (x + t) * torch.exp(s)


class _Broadcast(dist.transforms.Transform):
    """A conditioned transform whose inputs are first broadcast to its context's batch shape.

    Under ``MultiWorldCounterfactual`` the context carries the worlds' batch dimensions while
    an observed value does not; Pyro's spline then fails to index its output with its input's
    mask. Broadcasting first is the identity on every value it changes nothing for.
    """

    bijective = True

    def __init__(self, inner: dist.transforms.Transform, shape: tuple[int, ...]) -> None:
        super().__init__(cache_size=0)
        self.inner, self.shape = inner, shape
        self.domain, self.codomain = inner.domain, inner.codomain

    def _expand(self, x: torch.Tensor) -> torch.Tensor:
        shape = torch.broadcast_shapes(x.shape, self.shape)
        return x if shape == x.shape else x.expand(shape)  # the same object keeps caches valid

    def _call(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(self._expand(x))

    def _inverse(self, y: torch.Tensor) -> torch.Tensor:
        return self.inner.inv(self._expand(y))

    def log_abs_det_jacobian(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.inner.log_abs_det_jacobian(self._expand(x), self._expand(y))


def _checkerboard(size: int, invert: bool) -> torch.Tensor:
    grid = torch.arange(size)
    mask = ((grid[:, None] + grid[None, :]) % 2).float().view(1, 1, size, size)
    return 1.0 - mask if invert else mask


def _image_transform(context_dim: int, blocks: int = 8, layers: int = 3, hidden: int = 16) -> Any:
    """Data -> noise: dequantisation, coupling blocks, one conditional autoregressive flow."""
    flat = SIZE * SIZE
    dequantise = dist.transforms.IndependentTransform(
        dist.transforms.ComposeTransform([
            dist.transforms.AffineTransform(0.0, 1.0 / 256),
            dist.transforms.AffineTransform(1e-5, 1 - 1e-5),
            dist.transforms.SigmoidTransform().inv,
        ]), 3,
    )  # fmt: skip
    couplings = [
        _MaskedAffineCoupling(
            _gated_conv_net(1, hidden, layers), _checkerboard(SIZE, i % 2 == 1), 1
        )
        for i in range(blocks)
    ]
    unconditional = _Compose([dequantise, *couplings])
    arn = pyro.nn.ConditionalAutoRegressiveNN(
        flat, context_dim, [2 * flat] * 2, nonlinearity=nn.ELU(), skip_connections=True
    )
    conditional = dist.conditional.ConditionalComposeTransformModule([
        dist.transforms.ReshapeTransform((1, SIZE, SIZE), (flat,), cache_size=1),
        dist.transforms.ConditionalAffineAutoregressive(arn),
        dist.transforms.ReshapeTransform((flat,), (1, SIZE, SIZE), cache_size=1),
    ])  # fmt: skip
    return dist.conditional.ConditionalComposeTransformModule([unconditional, conditional])


class _Model(pyro.nn.PyroModule):
    """thickness -> intensity; (thickness, intensity, digit) -> image, as a Pyro program."""

    def __init__(self, thickness: np.ndarray, intensity: np.ndarray) -> None:
        super().__init__()
        log_t = np.log(thickness)
        self.thickness_flow = _Compose([
            dist.transforms.Spline(1, bound=1.0),
            dist.transforms.AffineTransform(float(log_t.mean()), float(log_t.std())),
            dist.transforms.ExpTransform(),
        ])  # fmt: skip
        intensity_nn = pyro.nn.DenseNN(1, [16], param_dims=[4, 4, 3, 4], nonlinearity=nn.ELU())
        self.intensity_flow = dist.conditional.ConditionalComposeTransformModule([
            dist.transforms.ConditionalSpline(intensity_nn, 1, count_bins=4),
            _ConstantParam(dist.transforms.AffineTransform(
                float(intensity.mean()), float(intensity.std()))),
            _ConstantParam(dist.transforms.SoftplusTransform()),
        ])  # fmt: skip
        self.image_flow = _image_transform(context_dim=2 + 10).inv  # generative direction
        stats = [float(log_t.mean()), float(log_t.std()), float(intensity.mean()),
                 float(intensity.std())]  # fmt: skip
        self.register_buffer("stats", torch.tensor(stats))
        self.register_buffer("zero", torch.tensor(0.0))
        self.register_buffer("one", torch.tensor(1.0))

    def _normal(self, *shape: int) -> dist.Distribution:
        return dist.Normal(self.zero, self.one).expand(shape).to_event(len(shape))

    @staticmethod
    def _conditioned(transform: Any, base: dist.Distribution, context: torch.Tensor) -> Any:
        batch = torch.broadcast_shapes(context.shape[:-1], base.batch_shape)
        shape = (*batch, *base.event_shape)
        return dist.TransformedDistribution(
            base.expand(batch), _Broadcast(transform.condition(context), shape)
        )

    def forward(self, digit: torch.Tensor) -> tuple[torch.Tensor, ...]:
        t = pyro.sample(
            "thickness", dist.TransformedDistribution(self._normal(1), self.thickness_flow)
        )
        log_t = torch.log(t)
        i = pyro.sample("intensity", self._conditioned(self.intensity_flow, self._normal(1), log_t))
        i_free = dist.transforms.SoftplusTransform().inv(i)
        m = self.stats
        context = [(log_t - m[0]) / m[1], (i_free - m[2]) / m[3]]
        batch = torch.broadcast_shapes(*(c.shape[:-1] for c in context), digit.shape[:-1])
        context = torch.cat([c.expand((*batch, -1)) for c in [*context, digit]], dim=-1)
        x = pyro.sample(
            "image", self._conditioned(self.image_flow, self._normal(1, SIZE, SIZE), context)
        )
        return t, i, x


def _one_hot(digits: np.ndarray) -> torch.Tensor:
    return nn.functional.one_hot(torch.as_tensor(np.asarray(digits, dtype=np.int64)), 10).float()


class ChiRhoDeepSCM:
    """The tutorial's Deep SCM behind the interface of deepcausal's image metrics:
    ``fit(frame)``, ``counterfactual(frame, interventions)`` and ``sample(n)`` on frames of
    ``thickness``, ``intensity``, ``digit`` and ``image`` (28 x 28 array cells)."""

    def __init__(self, epochs: int = 20, batch_size: int = 128, lr: float = 1e-3,
                 seed: int = 0, chunk: int = 500) -> None:  # fmt: skip
        self.epochs, self.batch_size, self.lr = epochs, batch_size, lr
        self.seed, self.chunk = seed, chunk
        self.history_: list[float] = []

    @staticmethod
    def _tensors(frame: pd.DataFrame) -> tuple[torch.Tensor, ...]:
        from deepcausal.data import stack_columns

        t = torch.tensor(frame.thickness.to_numpy(dtype=np.float64), dtype=torch.float32)[:, None]
        i = torch.tensor(frame.intensity.to_numpy(dtype=np.float64), dtype=torch.float32)[:, None]
        images = downsample(np.clip(stack_columns(frame, "image", (1, 28, 28)), 0, 255))
        x = torch.tensor(images, dtype=torch.float32)
        d = _one_hot(frame.digit.astype(int).to_numpy())
        return t, i, x, d

    def fit(self, frame: pd.DataFrame, progress: bool = True) -> ChiRhoDeepSCM:
        pyro.clear_param_store()
        pyro.settings.set(module_local_params=True)
        pyro.set_rng_seed(self.seed)
        t, i, x, d = self._tensors(frame)
        self.digits_ = frame.digit.astype(int).to_numpy()
        self.model = _Model(t.numpy().ravel(), i.numpy().ravel())

        def conditioned(t_obs: torch.Tensor, i_obs: torch.Tensor, x_obs: torch.Tensor,
                        d_obs: torch.Tensor) -> Any:  # fmt: skip
            with condition(data={"thickness": t_obs, "intensity": i_obs, "image": x_obs}), \
                    pyro.poutine.scale(scale=1 / x_obs.shape[0]), \
                    pyro.plate("observations", size=x_obs.shape[0], dim=-1):  # fmt: skip
                return self.model(d_obs)

        elbo = pyro.infer.Trace_ELBO()(conditioned, lambda *args: None)
        optimiser = torch.optim.Adam(self.model.parameters(), lr=self.lr)
        generator = torch.Generator().manual_seed(self.seed)
        tick = time.perf_counter()
        for epoch in range(self.epochs):
            order = torch.randperm(len(t), generator=generator)
            total = 0.0
            for start in range(0, len(t), self.batch_size):
                rows = order[start : start + self.batch_size]
                xb = x[rows] + torch.rand(x[rows].shape, generator=generator)
                loss = elbo(t[rows], i[rows], xb, d[rows])
                optimiser.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
                optimiser.step()
                total += float(loss) * len(rows)
            self.history_.append(total / len(t))
            if progress:
                print(f"chirho epoch {epoch + 1}/{self.epochs}: loss {self.history_[-1]:.1f} "
                      f"({time.perf_counter() - tick:.0f} s)", flush=True)  # fmt: skip
        self.model.eval()
        return self

    def _frame(
        self, frame: pd.DataFrame, t: np.ndarray, i: np.ndarray, x: np.ndarray
    ) -> pd.DataFrame:
        table = pd.DataFrame({"thickness": t, "intensity": i, "digit": frame.digit.to_numpy()},
                             index=frame.index)  # fmt: skip
        return image_table(table, upsample(x), "image")

    def counterfactual(
        self,
        factual: pd.DataFrame,
        interventions: Mapping[str, Any],
        random_state: int | None = None,
    ) -> pd.DataFrame:
        """Twin-world counterfactuals (deterministic: every mechanism is a flow)."""
        del random_state
        digits = np.asarray(interventions.get("digit", factual.digit)).astype(int)
        if (digits != factual.digit.astype(int).to_numpy()).any():
            raise ValueError("the ChiRho model takes the digit as given: it cannot intervene on it")
        acts = {k: v for k, v in interventions.items() if k in SCALARS}
        unknown = set(interventions) - set(SCALARS) - {"digit"}
        if unknown:
            raise ValueError(f"unknown node(s) {sorted(unknown)}")
        t, i, x, d = self._tensors(factual)
        values = {k: np.broadcast_to(np.asarray(v, dtype=np.float64), (len(t),))
                  for k, v in acts.items()}  # fmt: skip
        outs: list[tuple[np.ndarray, ...]] = []
        for start in range(0, len(t), self.chunk):
            rows = slice(start, start + self.chunk)
            actions = {k: torch.as_tensor(v[rows].copy(), dtype=torch.float32)[:, None]
                       for k, v in values.items()}  # fmt: skip
            outs.append(self._twin_world(t[rows], i[rows], x[rows], d[rows], actions))
        t_cf, i_cf, x_cf = (np.concatenate(parts) for parts in zip(*outs, strict=True))
        return self._frame(factual, t_cf, i_cf, x_cf)

    @torch.no_grad()
    def _twin_world(self, t: torch.Tensor, i: torch.Tensor, x: torch.Tensor, d: torch.Tensor,
                    actions: dict[str, torch.Tensor]) -> tuple[np.ndarray, ...]:  # fmt: skip
        world = IndexSet(**{k: {1} for k in actions})
        handlers = [do(actions={k: v}) for k, v in actions.items()]
        with MultiWorldCounterfactual(), pyro.plate("observations", size=len(t), dim=-1), \
                contextlib.ExitStack() as stack:  # fmt: skip
            for handler in handlers:
                stack.enter_context(handler)
            stack.enter_context(condition(data={"thickness": t, "intensity": i, "image": x}))
            values = self.model(d)
            out = [gather(v, world, event_dim=e) for v, e in zip(values, (1, 1, 3), strict=True)]
        n = len(t)
        return (out[0].reshape(n).numpy().astype(np.float64),
                out[1].reshape(n).numpy().astype(np.float64),
                out[2].reshape(n, 1, SIZE, SIZE).clamp(0, 255).numpy().astype(np.float64))  # fmt: skip

    @torch.no_grad()
    def sample(self, n: int, random_state: int | None = None) -> pd.DataFrame:
        """Observational samples; the digit (a given covariate here) drawn from the fit rows."""
        rng = np.random.default_rng(random_state)
        pyro.set_rng_seed(0 if random_state is None else random_state)
        digits = rng.choice(self.digits_, size=n)
        parts = []
        for start in range(0, n, self.chunk):
            d = _one_hot(digits[start : start + self.chunk])
            with pyro.plate("observations", size=len(d), dim=-1):
                t, i, x = self.model(d)
            parts.append((t.reshape(-1).numpy(), i.reshape(-1).numpy(),
                          x.reshape(-1, 1, SIZE, SIZE).clamp(0, 255).numpy()))  # fmt: skip
        t_s, i_s, x_s = (np.concatenate(p).astype(np.float64) for p in zip(*parts, strict=True))
        frame = pd.DataFrame({"digit": pd.Categorical(digits.astype(str),
                                                      categories=[str(k) for k in range(10)])})  # fmt: skip
        return self._frame(frame, t_s, i_s, x_s)
