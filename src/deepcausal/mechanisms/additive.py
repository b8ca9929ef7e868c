"""Additive-noise mechanisms ``x = f(pa) + u`` with a learned noise distribution."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Literal

import torch
from torch import Tensor, nn

from deepcausal.mechanisms._base import Mechanism
from deepcausal.mechanisms._checks import (
    _apply_parent_net,
    _check_activation,
    _check_choice,
    _check_float,
    _check_hidden,
    _check_int,
    _parent_net,
)
from deepcausal.mechanisms._flows import DEFAULT_BOUND, build_flow
from deepcausal.mechanisms._registry import register_mechanism
from deepcausal.nn import minimise_lbfgs

__all__ = ["AdditiveNoiseMechanism"]


@register_mechanism
class AdditiveNoiseMechanism(Mechanism):
    r"""An additive noise model ``x = f(pa) + u`` with ``u ~ p_u`` learned.

    ``f`` is an MLP of the parents (a learned constant for a root node) and the noise density
    ``p_u`` is an unconditional normalising flow over ``u`` (a neural spline flow by default). Since
    ``x -> u`` is a shift, the likelihood is

    .. math:: \log p(x \mid pa) = \log p_u(x - f(pa)),

    maximised jointly over ``f`` and ``p_u``. Abduction is exact: ``u = x - f(pa)``, and the
    counterfactual under new parents is ``f(pa') + x - f(pa)``. Additive noise models are the
    identifiable model class of Hoyer et al. (NeurIPS 2008) and Peters et al. (JMLR 2014), and the
    default invertible mechanism of DoWhy's ``gcm`` (Blöbaum et al., JMLR 2024).

    Why a flow rather than a mixture of Gaussians for ``p_u``: it shares the flow machinery of the
    project, models dependence between the coordinates of a multivariate node without a full
    covariance per component, and its density is bounded (spline slopes are bounded below), so
    maximum likelihood cannot collapse a component onto a single residual as it can for a
    Gaussian mixture.

    Fitting (``regression="lbfgs"``, the default) is two-stage, as in DoWhy's ``gcm`` additive
    noise models: :meth:`prefit` first fits ``f`` by least squares, full-batch L-BFGS from the
    ordinary least-squares solution, with early stopping on the held-out rows, then ``p_u`` to the
    residuals by maximum likelihood, also by L-BFGS. For an additive noise model the least-squares
    ``f`` is the conditional mean up to a constant that ``p_u`` absorbs, and its error is what a
    counterfactual ``f(pa') - f(pa) + x`` inherits, so fitting it to convergence matters far more
    than it does for the likelihood. ``regression="joint"`` instead maximises the likelihood over
    ``f`` and ``p_u`` together by stochastic gradient descent.

    ``f(pa) = g(pa) + MLP(pa)`` with ``g`` a polynomial skip term of degree ``skip_degree``
    (linear, or quadratic where there are at most :data:`MAX_QUADRATIC_PARENTS` parent features).
    The least-squares stage proceeds from simple to complex, as ``gcm``'s model selection chooses
    between linear, quadratic and non-linear regressors: ordinary least squares for the linear
    ``g``, then for the quadratic one (kept where the nested-model F-test on the training rows
    rejects the linear one at level 0.01), then L-BFGS on the linear part of ``g`` plus the MLP,
    starting from the linear least-squares fit with the MLP's last layer at zero, kept only if it
    lowers the held-out squared error of the polynomial by more than two standard errors of the
    paired per-row difference. The quadratic terms are dropped in that stage because a quadratic
    in several parents grows without bound off their joint support, where counterfactuals are
    often evaluated (``benchmarks/scm_ladder.py``, diamond-nonlinear). The MLP stage is skipped where Ramsey's
    RESET test finds no sign that the polynomial is misspecified. A model that stays polynomial
    is refitted on every row. So a linear mechanism is found exactly, and the MLP does not fit
    noise as structure.

    Args:
        dim: event size of the node.
        parent_dim: width of the parent features (0 for a root).
        hidden: hidden widths of the MLP ``f``.
        activation: activation of the MLP. ``tanh`` by default: the MLP's correction to the
            polynomial then levels off outside the data instead of growing linearly, so the
            linear part carries the trend where a counterfactual leaves the observed support.
        noise_transform: ``"nsf"`` or ``"maf"`` for the noise flow.
        noise_transforms: number of transforms of the noise flow.
        noise_hidden_features: hidden widths of the noise flow's conditioners.
        noise_bins: spline bins of the noise flow.
        bound: the noise flow's splines act on ``[-bound, bound]`` (identity outside).
        regression: ``"lbfgs"`` (two-stage, see above) or ``"joint"``.
        skip_degree: degree of the polynomial skip term ``g`` (0: none, the MLP alone).
        max_lbfgs_iter: upper bound on L-BFGS iterations of the least-squares stage.

    Examples:
        >>> m = AdditiveNoiseMechanism(dim=1, parent_dim=2, hidden=(8,))
        >>> pa, x = torch.randn(4, 2), torch.randn(4, 1)
        >>> u = m.abduct(x, pa)
        >>> torch.allclose(u, x - m.mean(pa)), torch.allclose(m.sample(pa, u), x, atol=1e-6)
        (True, True)
    """

    name = "additive"
    noise_loc: Tensor
    noise_scale: Tensor
    abduction = "exact"
    kinds = frozenset({"continuous"})

    def __init__(
        self,
        dim: int,
        parent_dim: int,
        *,
        hidden: Sequence[int] = (64, 64),
        activation: str = "tanh",
        noise_transform: Literal["nsf", "maf"] = "nsf",
        noise_transforms: int = 1,
        noise_hidden_features: Sequence[int] = (32, 32),
        noise_bins: int = 8,
        bound: float = DEFAULT_BOUND,
        regression: Literal["lbfgs", "joint"] = "lbfgs",
        skip_degree: int = 2,
        max_lbfgs_iter: int = 500,
    ) -> None:
        super().__init__(dim, parent_dim)
        self._hyper = {
            "hidden": _check_hidden("hidden", hidden),
            "activation": _check_activation("activation", activation),
            "noise_transform": _check_choice("noise_transform", noise_transform, ("nsf", "maf")),
            "noise_transforms": _check_int("noise_transforms", noise_transforms, minimum=1),
            "noise_hidden_features": _check_hidden("noise_hidden_features", noise_hidden_features),
            "noise_bins": _check_int("noise_bins", noise_bins, minimum=2),
            "bound": _check_float("bound", bound),
            "regression": _check_choice("regression", regression, ("lbfgs", "joint")),
            "skip_degree": _check_int("skip_degree", skip_degree, minimum=0),
            "max_lbfgs_iter": _check_int("max_lbfgs_iter", max_lbfgs_iter, minimum=1),
        }
        self.net, self.const = _parent_net(
            self.parent_dim, self.dim, self._hyper["hidden"], self._hyper["activation"]
        )
        if self._hyper["skip_degree"] > 2:
            raise ValueError(f"skip_degree must be 0, 1 or 2, got {skip_degree!r}")
        self.linear: nn.Linear | None = None
        self._quadratic = (
            self._hyper["skip_degree"] == 2 and 0 < self.parent_dim <= MAX_QUADRATIC_PARENTS
        )
        if self._hyper["skip_degree"] > 0 and self.parent_dim > 0:
            self.linear = nn.Linear(_skip_width(self.parent_dim, self._quadratic), self.dim)
            with torch.no_grad():  # f starts as the MLP alone until prefit sets the OLS solution
                self.linear.weight.zero_()
                self.linear.bias.zero_()
        # The noise flow models the residual in normalised coordinates (u - loc) / scale; prefit
        # sets loc and scale to the least-squares residuals' mean and sd, so that the flow starts
        # at the right scale (a near-deterministic child has a residual sd far below 1).
        self.register_buffer("noise_loc", torch.zeros(self.dim))
        self.register_buffer("noise_scale", torch.ones(self.dim))
        self.noise_flow = build_flow(
            self.dim,
            0,
            transform=self._hyper["noise_transform"],
            transforms=self._hyper["noise_transforms"],
            hidden_features=self._hyper["noise_hidden_features"],
            bins=self._hyper["noise_bins"],
            bound=self._hyper["bound"],
        )

    def mean(self, parents: Tensor) -> Tensor:
        """The regression function ``f(pa)``, ``(n, dim)`` (the conditional mean up to ``E[u]``)."""
        return self._f(self._parents(parents))

    def _f(self, parents: Tensor) -> Tensor:
        out = _apply_parent_net(self.net, self.const, parents)
        if self.linear is not None:
            out = out + self.linear(_skip_features(parents, self._quadratic))
        return out

    def prefit(
        self, x: Tensor, parents: Tensor, train_idx: Tensor, val_idx: Tensor
    ) -> list[nn.Parameter] | None:
        """Fit ``f`` by least squares (L-BFGS, early stopping on ``val_idx``) and freeze it.

        For a root node ``f`` is the constant mean. The noise density is then fitted to the
        residuals by L-BFGS too (early stopping on ``val_idx``), so nothing is left for the
        training loop, which only records the losses: returns ``[]``. ``regression="joint"`` skips
        the stage (returns ``None``: the loop fits everything).
        """
        if self._hyper["regression"] != "lbfgs":
            return None
        max_iter = int(self._hyper["max_lbfgs_iter"])
        x, parents = self._observed(x, parents)
        train_idx, val_idx = train_idx.to(x.device), val_idx.to(x.device)
        xt, pt = x[train_idx], parents[train_idx]
        xv, pv = (x[val_idx], parents[val_idx]) if len(val_idx) else (xt, pt)
        regression = [p for name, p in self.named_parameters() if not name.startswith("noise_")]
        if self.net is None:  # a root: f is a constant, the mean
            assert self.const is not None
            with torch.no_grad():
                self.const.copy_(xt.mean(0))
        elif self.linear is None:
            _lbfgs_least_squares(self._f, regression, (xt, pt), (xv, pv), max_iter)
        else:
            last = self.net[-1]
            assert isinstance(last, nn.Linear)
            ft, fv = _skip_features(pt, self._quadratic), _skip_features(pv, self._quadratic)
            linear_cols = self.parent_dim
            with torch.no_grad():
                last.weight.zero_()
                last.bias.zero_()
                _ols(self.linear, ft, xt, linear_cols)
                cols, error = linear_cols, ((self.linear(fv) - xv) ** 2).sum(1)
                if self._quadratic:
                    linear_rss = float(((self.linear(ft) - xt) ** 2).sum())
                    _ols(self.linear, ft, xt)
                    quad_rss = float(((self.linear(ft) - xt) ** 2).sum())
                    if _nested_f_test(linear_rss, quad_rss, linear_cols, ft.shape[1], xt.shape):
                        cols, error = ft.shape[1], ((self.linear(fv) - xv) ** 2).sum(1)
                    else:
                        _ols(self.linear, ft, xt, linear_cols)
            with torch.no_grad():
                specified = _reset_accepts(self.linear(ft), ft[:, :cols], xt)
            if not specified:
                # The MLP stage builds on the linear part only: a quadratic in several parents
                # grows without bound off their joint support (e.g. at a parent value that is
                # common on its own but never observed with the other parents' values), where a
                # counterfactual is evaluated, while the tanh MLP's correction levels off.
                with torch.no_grad():
                    _ols(self.linear, ft, xt, linear_cols)
                mask = torch.zeros_like(self.linear.weight)
                mask[:, :linear_cols] = 1.0
                handle = self.linear.weight.register_hook(lambda grad: grad * mask)
                try:
                    _lbfgs_least_squares(self._f, regression, (xt, pt), (xv, pv), max_iter)
                finally:
                    handle.remove()
            with torch.no_grad():
                if (
                    specified
                    or len(val_idx) < 2
                    or not _better(error, ((self._f(pv) - xv) ** 2).sum(1))
                ):
                    # the MLP does not improve on the polynomial: keep that, refitted on every row
                    last.weight.zero_()
                    last.bias.zero_()
                    _ols(self.linear, _skip_features(parents, self._quadratic), x, cols)
        for p in regression:
            p.requires_grad_(False)
        with torch.no_grad():
            residual = xt - self._f(pt)
            self.noise_loc.copy_(residual.mean(0))
            self.noise_scale.copy_(residual.std(0).clamp_min(1e-6))
            val_residual = xv - self._f(pv)
        # the noise density too, by L-BFGS on the residuals: a few dozen full-batch steps where
        # Adam needs hundreds of mini-batch epochs for a sharp-edged density
        noise = list(self.noise_flow.parameters())
        if noise:
            minimise_lbfgs(
                lambda: -self._noise_log_prob(residual).mean(),
                lambda: -self._noise_log_prob(val_residual).mean(),
                noise,
                NOISE_LBFGS_ITER,
            )
        for p in noise:
            p.requires_grad_(False)
        return []

    def refine_parameters(self) -> list[nn.Parameter]:
        """After :meth:`prefit` on a sample, further epochs train the noise density and, where
        the prefit kept it, the MLP of ``f``; a polynomial's least-squares coefficients (a handful,
        already precise on the sample) and the selection between polynomial and MLP stay as the
        prefit left them."""
        if self._hyper["regression"] != "lbfgs":
            return super().refine_parameters()
        free = list(self.noise_flow.parameters())
        if self.net is None:
            free += [p for p in (self.const,) if p is not None]
        else:
            last = self.net[-1]
            kept = not isinstance(last, nn.Linear) or bool(last.weight.detach().abs().sum() > 0)
            if self.linear is None or kept:
                free += list(self.net.parameters())
        for p in free:
            p.requires_grad_(True)
        return free

    def _noise_log_prob(self, u: Tensor) -> Tensor:
        z = (u - self.noise_loc) / self.noise_scale
        out: Tensor = self.noise_flow().log_prob(z) - torch.log(self.noise_scale).sum()
        return out

    def residual_dependence(self, x: Tensor, parents: Tensor) -> float:
        """p-value of White's (1980) test that the residuals' spread does not depend on the parents.

        Regresses the squared standardised residuals ``u^2`` (each coordinate) on the parents and
        their squares and cross-products; under an additive noise model ``n R^2`` is asymptotically
        chi-squared with as many degrees of freedom as regressors. A small p-value says the noise
        is not additive (heteroscedastic or otherwise dependent on the parents). Returns 1.0 for a
        root node. The smallest p-value over the node's coordinates, Bonferroni-corrected.
        """
        from scipy import stats

        if self.parent_dim == 0:
            return 1.0
        with torch.no_grad():
            x, parents = self._observed(x, parents)
            u = x - self._f(parents)
            z = ((u - u.mean(0)) / u.std(0).clamp_min(1e-12)) ** 2
            features = _skip_features(parents, self.parent_dim <= MAX_QUADRATIC_PARENTS)
            _, fit, design = _least_squares(features, z)
            target = z.double().cpu()
            ss_res = ((target - fit) ** 2).sum(0)
            ss_tot = ((target - target.mean(0)) ** 2).sum(0).clamp_min(1e-300)
            r2 = (1 - ss_res / ss_tot).clamp(0, 1)
        df = int(torch.linalg.matrix_rank(design)) - 1
        if df < 1:
            return 1.0
        lm = (x.shape[0] * r2).numpy()
        p = float(min(stats.chi2.sf(lm, df)))
        return min(1.0, p * self.dim)

    def log_prob(self, x: Tensor, parents: Tensor) -> Tensor:
        x = self._values(x)
        u = x - self._f(self._parents(parents, x.shape[0]))
        if x.shape[0] == 0:  # zuko cannot reshape an empty batch
            return x.new_zeros(0)
        return self._noise_log_prob(u)

    def noise(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        e = self._randn(n, generator)
        z: Tensor = self.noise_flow.transform(None).inv(e)
        u = self.noise_loc + self.noise_scale * z
        return u

    def sample(
        self, parents: Tensor, noise: Tensor | None = None, generator: torch.Generator | None = None
    ) -> Tensor:
        parents, u = self._sample_inputs(parents, noise, generator)
        return self._finite(self._f(parents) + u, "sample")

    def abduct(
        self, x: Tensor, parents: Tensor, generator: torch.Generator | None = None
    ) -> Tensor:
        x = self._values(x)
        u = x - self._f(self._parents(parents, x.shape[0]))
        return self._finite(u, "abduct")


#: L-BFGS iterations for the unconditional noise density (of one coordinate, for scalar nodes).
NOISE_LBFGS_ITER = 40

#: Validation checks (every 20 L-BFGS iterations) without improvement before the regression stops;
#: a third check never changed a counterfactual in benchmarks/scm_ladder.py.
REGRESSION_PATIENCE = 2

#: The quadratic skip term has p (p + 1) / 2 extra features; above this many parent features it is
#: linear only.
MAX_QUADRATIC_PARENTS = 20


def _skip_width(parent_dim: int, quadratic: bool) -> int:
    return parent_dim + (parent_dim * (parent_dim + 1) // 2 if quadratic else 0)


def _skip_features(parents: Tensor, quadratic: bool) -> Tensor:
    """``parents`` and, if ``quadratic``, their products ``pa_i pa_j`` for ``i <= j``."""
    if not quadratic:
        return parents
    i, j = torch.triu_indices(parents.shape[1], parents.shape[1], device=parents.device)
    return torch.cat([parents, parents[:, i] * parents[:, j]], dim=1)


#: Significance level of the F-test that keeps the quadratic terms.
QUADRATIC_ALPHA = 0.01


def _nested_f_test(
    rss_small: float, rss_large: float, k_small: int, k_large: int, shape: torch.Size
) -> bool:
    """Whether the F-test of nested least-squares fits rejects the smaller model at
    :data:`QUADRATIC_ALPHA` (``k`` regressors besides the intercept, per output coordinate)."""
    from scipy import stats

    n, dim = int(shape[0]), int(shape[1])
    q, dof = (k_large - k_small) * dim, (n - k_large - 1) * dim
    if q <= 0 or dof <= 0 or rss_large <= 0:
        return False
    f = ((rss_small - rss_large) / q) / (rss_large / dof)
    return bool(stats.f.sf(f, q, dof) < QUADRATIC_ALPHA)


def _reset_accepts(fitted: Tensor, features: Tensor, x: Tensor) -> bool:
    """Ramsey's (1969) RESET test of the polynomial fit: regress ``x`` on its features plus the
    squared and cubed fitted values; ``True`` where the F-test does not reject the polynomial at
    :data:`QUADRATIC_ALPHA` (so there is no evidence of a misspecified regression and the MLP
    stage is skipped). A node of several coordinates always goes on to the MLP."""
    if x.shape[1] != 1:
        return False
    z = (fitted - fitted.mean()) / fitted.std().clamp_min(1e-12)
    augmented = torch.cat([features, z**2, z**3], dim=1)
    target = x.double().cpu()
    rss = [float(((_least_squares(f, x)[1] - target) ** 2).sum()) for f in (features, augmented)]
    k = features.shape[1]
    return not _nested_f_test(rss[0], rss[1], k, k + 2, x.shape)


def _better(current: Tensor, candidate: Tensor) -> bool:
    """Whether ``candidate``'s held-out per-row errors beat ``current``'s by more than two
    standard errors of the paired difference."""
    gain = (current - candidate).double()
    if len(gain) < 2:
        return False
    return float(gain.mean()) > 2 * float(gain.std()) / math.sqrt(len(gain))


def _least_squares(features: Tensor, target: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Ordinary least squares of ``target`` on ``features`` plus an intercept, in float64 on the
    CPU, whose default driver (gelsy) copes with rank-deficient designs (e.g. the square of a 0/1
    parent column, which equals the column). Returns the coefficients ``(k + 1, dim)`` (intercept
    last), the fitted values and the design matrix, all on the CPU."""
    design = torch.cat([features, torch.ones_like(features[:, :1])], dim=1).double().cpu()
    coef = torch.linalg.lstsq(design, target.double().cpu()).solution
    return coef, design @ coef, design


def _ols(layer: nn.Linear, features: Tensor, x: Tensor, columns: int | None = None) -> None:
    """Set ``layer`` to the least-squares fit of ``x`` on the first ``columns`` of ``features``
    (all by default; the other weights are set to zero)."""
    k = features.shape[1] if columns is None else columns
    coef = _least_squares(features[:, :k], x)[0].to(layer.weight.device)
    layer.weight.zero_()
    layer.weight[:, :k] = coef[:-1].T.to(layer.weight.dtype)
    layer.bias.copy_(coef[-1].to(layer.bias.dtype))


def _lbfgs_least_squares(
    f: Callable[[Tensor], Tensor],
    params: list[nn.Parameter],
    train: tuple[Tensor, Tensor],
    val: tuple[Tensor, Tensor],
    max_iter: int,
) -> None:
    """Minimise the mean squared error of ``f(parents)`` against ``x`` by L-BFGS."""
    (xt, pt), (xv, pv) = train, val
    minimise_lbfgs(
        lambda: ((f(pt) - xt) ** 2).mean(),
        lambda: ((f(pv) - xv) ** 2).mean(),
        params,
        max_iter,
        patience=REGRESSION_PATIENCE,
    )
