"""The mechanism contract, checked for every family by what it declares.

Adding a family is one line in ``FAMILIES``: its name, a kind it models and small hyper-parameters.
Each check asks a family only what it declares: an exact round trip where abduction is exact, a
reconstruction where it is a posterior draw or an approximation, a refusal where it is ``"none"``;
a log-density only where ``has_log_prob``. The checks that need a trained model (a two-sample test
of samples against data, the calibration of a posterior) are in ``test_mechanism_fit.py``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file, save_file

from deepcausal.errors import AbductionError, CapabilityError, DataError
from deepcausal.mechanisms import (
    ABDUCTIONS,
    KINDS,
    MECHANISMS,
    FlowMechanism,
    GumbelMaxMechanism,
    Mechanism,
    make_mechanism,
    mechanism_from_config,
    resolve_mechanism,
)
from deepcausal.nn import Objective, total_loss

# (family, kind, small hyper-parameters)
FAMILIES: list[tuple[str, str, dict[str, Any]]] = [
    ("flow", "continuous", {"transforms": 2, "hidden_features": (16,), "bins": 4}),
    ("flow", "continuous", {"transform": "maf", "transforms": 2, "hidden_features": (16,)}),
    (
        "additive",
        "continuous",
        {"hidden": (16,), "noise_transforms": 1, "noise_hidden_features": (8,), "noise_bins": 4},
    ),
    ("location_scale", "continuous", {"hidden": (16,)}),
    ("gumbel", "categorical", {"hidden": (16,)}),
    ("diffusion", "continuous", {"hidden": (16,), "steps": 20}),
    ("diffusion", "continuous", {"hidden": (16,), "steps": 20, "mean": "none"}),
    ("flow", "continuous", {"transforms": 1, "hidden_features": (16,), "mean": "regression"}),
    ("vae", "continuous", {"hidden": (16,)}),
    ("vae", "continuous", {"hidden": (16,), "mean": "none"}),
    ("conv-vae", "continuous", {"shape": (1, 4, 4), "channels": (4, 8), "hidden": 16}),
    ("hvae", "continuous", {"shape": (1, 4, 4), "channels": (4, 8), "hidden": 16, "top_dim": 2}),
    ("gan", "continuous", {"hidden": (16,)}),
    ("gan", "continuous", {"hidden": (16,), "inversion": "optimise"}),
    ("gan", "categorical", {"hidden": (16,)}),
]

#: Largest RMS reconstruction error ``sample(pa, abduct(x, pa)) - x``, relative to the sd of ``x``,
#: that an approximate abduction of an untrained model may leave on its own draws: DDIM with 20
#: steps, L-BFGS latent inversion.
APPROXIMATE_TOLERANCE = {"diffusion": 0.05, "gan": 0.1}

# node sizes: event dims for continuous nodes, category counts for discrete ones
SIZES = {"continuous": (1, 3), "categorical": (2, 4)}
PARENT_DIMS = (0, 2)


def _cases() -> list[Any]:
    cases = []
    for name, kind, hyper in FAMILIES:
        variant = hyper.get("transform") or hyper.get("inversion") or hyper.get("mean")
        tag = name + (f"-{variant}" if variant else "")
        sizes = (math.prod(hyper["shape"]),) if "shape" in hyper else SIZES[kind]  # an image
        for dim in sizes:
            node_kind = "binary" if kind != "continuous" and dim == 2 else kind
            for parent_dim in PARENT_DIMS:
                cases.append(
                    pytest.param(
                        (name, node_kind, dim, parent_dim, hyper),
                        id=f"{tag}-{node_kind}{dim}-pa{parent_dim}",
                    )
                )
    return cases


@pytest.fixture(params=_cases())
def case(request: pytest.FixtureRequest) -> tuple[str, str, int, int, dict[str, Any]]:
    return request.param


def _make(case: tuple[str, str, int, int, dict[str, Any]], seed: int = 0) -> Mechanism:
    name, kind, dim, parent_dim, hyper = case
    torch.manual_seed(seed)
    return make_mechanism(name, kind, dim, parent_dim, **hyper)


def _data(m: Mechanism, n: int, seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    parents = torch.randn(n, m.parent_dim, generator=g)
    if m.discrete:
        x = torch.randint(0, m.dim, (n,), generator=g)
    else:
        x = torch.randn(n, m.dim, generator=g)
    return x, parents


def _same_values(m: Mechanism, a: torch.Tensor, b: torch.Tensor) -> bool:
    if m.discrete:
        return bool(torch.equal(a, b))
    return bool(torch.allclose(a, b, atol=1e-4, rtol=1e-4))


def test_every_registered_family_is_tested() -> None:
    assert {name for name, _, _ in FAMILIES} == set(MECHANISMS)


def test_declarations(case: Any) -> None:
    m = _make(case)
    assert m.abduction in ABDUCTIONS
    assert isinstance(m.has_log_prob, bool)
    assert m.kinds and m.kinds <= KINDS
    assert isinstance(m.objective(), Objective)


def test_objective_steps_give_finite_scalar_losses(case: Any) -> None:
    m = _make(case)
    x, parents = _data(m, 16)
    objective = m.objective()
    for step in objective.steps:
        loss = total_loss(step.loss((x, parents)))
        assert loss.shape == () and math.isfinite(float(loss.detach())), step.name
    if objective.validation is not None:
        with torch.no_grad():
            score = objective.validation((x, parents))
        assert score.shape == () and math.isfinite(float(score))


def test_shapes_and_dtypes(case: Any) -> None:
    m = _make(case)
    n = 7
    x, parents = _data(m, n)
    if m.has_log_prob:
        assert m.log_prob(x, parents).shape == (n,)
    else:
        with pytest.raises(CapabilityError, match="no log-density"):
            m.log_prob(x, parents)
    assert m.noise(n).shape == (n, m.noise_dim)
    assert m.noise(n).dtype == torch.float32
    s = m.sample(parents)
    if m.discrete:
        assert s.shape == (n,) and s.dtype == torch.int64
        assert int(s.min()) >= 0 and int(s.max()) < m.dim
    else:
        assert s.shape == (n, m.dim) and s.dtype == torch.float32
    if m.abduction == "none":
        with pytest.raises(AbductionError, match="cannot recover a unit's noise"):
            m.abduct(x, parents)
    else:
        u = m.abduct(x, parents)
        assert u.shape == (n, m.noise_dim) and u.dtype == torch.float32


def test_zero_rows(case: Any) -> None:
    m = _make(case)
    x, parents = _data(m, 0)
    if m.has_log_prob:
        assert m.log_prob(x, parents).shape == (0,)
    assert m.noise(0).shape == (0, m.noise_dim)
    assert m.sample(parents).shape[0] == 0
    if m.abduction != "none":
        assert m.abduct(x, parents).shape == (0, m.noise_dim)


def test_loss_is_mean_negative_log_likelihood(case: Any) -> None:
    m = _make(case)
    if not m.has_log_prob:
        pytest.skip(f"{m.name} declares no log-density")
    x, parents = _data(m, 9)
    assert torch.allclose(m.loss(x, parents), -m.log_prob(x, parents).mean(), atol=1e-5)


def test_gradients_reach_every_parameter_of_each_step(case: Any) -> None:
    m = _make(case)
    x, parents = _data(m, 32)
    objective = m.objective()
    trainable = {id(p) for p in m.parameters() if p.requires_grad}
    assert {id(p) for p in objective.parameters} == trainable
    for step in objective.steps:
        m.zero_grad(set_to_none=True)
        total_loss(step.loss((x, parents))).backward()
        for p in step.parameters:
            pname = next(k for k, q in m.named_parameters() if q is p)
            assert p.grad is not None, f"{step.name}: no gradient reaches {pname}"
            assert torch.isfinite(p.grad).all(), pname
            assert bool((p.grad != 0).any()), f"{step.name}: zero gradient for {pname}"


def test_abduct_then_sample_reproduces_the_data(case: Any) -> None:
    """Exact and posterior abduction reproduce the observation; an approximate one comes close."""
    m = _make(case)
    if m.abduction == "none":
        pytest.skip(f"{m.name} declares no abduction")
    x, parents = _data(m, 500)
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        if m.abduction == "approximate":  # an untrained model's own draws: within its support
            x = m.sample(parents, generator=torch.Generator().manual_seed(2))
        u = m.abduct(x, parents, generator=g)
        again = m.sample(parents, u)
    if m.abduction == "approximate":
        error = float((again - x).square().mean().sqrt() / x.std())
        assert error < APPROXIMATE_TOLERANCE[m.name], f"{m.name}: relative RMS error {error}"
    else:
        assert _same_values(m, again, x)


def test_sample_then_abduct_recovers_exact_noise(case: Any) -> None:
    """Only an exact abduction recovers the very noise a value was drawn from."""
    m = _make(case)
    if m.abduction != "exact":
        pytest.skip(f"{m.name} abducts {m.abduction!r}, not exactly")
    _, parents = _data(m, 200)
    with torch.no_grad():
        u = m.noise(200, generator=torch.Generator().manual_seed(4))
        x = m.sample(parents, u)
        assert torch.allclose(m.abduct(x, parents), u, atol=1e-4, rtol=1e-4)


def test_generator_makes_draws_reproducible(case: Any) -> None:
    m = _make(case)
    x, parents = _data(m, 50)
    with torch.no_grad():
        a = m.sample(parents, generator=torch.Generator().manual_seed(5))
        b = m.sample(parents, generator=torch.Generator().manual_seed(5))
        c = m.sample(parents, generator=torch.Generator().manual_seed(6))
        assert torch.equal(a, b)
        assert not torch.equal(a, c) or m.discrete  # a discrete draw may repeat by chance
        if m.abduction == "none":
            return
        u1 = m.abduct(x, parents, generator=torch.Generator().manual_seed(7))
        u2 = m.abduct(x, parents, generator=torch.Generator().manual_seed(7))
        assert torch.equal(u1, u2)


def test_config_is_json_and_save_load_round_trips(case: Any, tmp_path: Path) -> None:
    m = _make(case, seed=0)
    config = json.loads(json.dumps(m.config()))
    assert config["name"] == case[0] and config["dim"] == case[2]
    assert config["parent_dim"] == case[3]
    path = tmp_path / "mechanism.safetensors"
    save_file({k: v.contiguous() for k, v in m.state_dict().items()}, str(path))

    torch.manual_seed(123)  # a different initialisation, replaced by the loaded weights
    twin = mechanism_from_config(config)
    twin.load_state_dict(load_file(str(path)))
    assert twin.config() == m.config()

    x, parents = _data(m, 20)
    u = m.noise(20, generator=torch.Generator().manual_seed(8))
    assert twin.abduction == m.abduction
    with torch.no_grad():
        if m.has_log_prob:
            assert torch.equal(twin.log_prob(x, parents), m.log_prob(x, parents))
        assert torch.equal(twin.sample(parents, u), m.sample(parents, u))
        if m.abduction != "none":
            g1, g2 = torch.Generator().manual_seed(9), torch.Generator().manual_seed(9)
            assert torch.equal(twin.abduct(x, parents, g1), m.abduct(x, parents, g2))


def test_device_and_dtype_handling(case: Any) -> None:
    m = _make(case).to("cpu")
    assert m.device == torch.device("cpu")
    x, parents = _data(m, 10)
    assert m.noise(10).device.type == "cpu"
    assert m.sample(parents).device.type == "cpu"
    # float64 parents/values are cast to the module's dtype; a float64 module computes in float64
    out = m.sample(parents.double())
    assert out.dtype == (torch.int64 if m.discrete else torch.float32)
    m64 = _make(case).double()
    assert m64.dtype == torch.float64
    assert m64.noise(4).dtype == torch.float64
    if m.has_log_prob:
        assert (
            m.log_prob(x.double() if not m.discrete else x, parents.double()).dtype == torch.float32
        )
        assert m64.log_prob(x, parents).dtype == torch.float64
    if not m.discrete:
        assert m64.sample(parents).dtype == torch.float64


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda(case: Any) -> None:  # pragma: no cover - runs where a GPU is present
    m = _make(case).to("cuda")
    x, parents = _data(m, 64)  # CPU inputs are moved to the module's device
    cpu_gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        assert m.noise(5, generator=torch.Generator("cuda").manual_seed(0)).device.type == "cuda"
        assert m.sample(parents, generator=cpu_gen).device.type == "cuda"
        if m.abduction in ("exact", "posterior"):
            u = m.abduct(x, parents, generator=cpu_gen)
            assert u.device.type == "cuda"
            assert _same_values(m, m.sample(parents, u).cpu(), x)


def test_bad_inputs_name_the_problem(case: Any) -> None:
    m = _make(case)
    x, parents = _data(m, 6)
    # every family scores a batch through its objective's first step
    score = m.objective().steps[0].loss
    with pytest.raises(DataError, match="parents must have shape"):
        score((x, torch.zeros(6, m.parent_dim + 1)))
    with pytest.raises(DataError, match="parents must have shape"):
        m.sample(torch.zeros(6, m.parent_dim + 1))
    with pytest.raises(DataError, match="noise must be"):
        m.sample(parents, torch.zeros(6, m.noise_dim + 1))
    if m.discrete:
        with pytest.raises(DataError, match="category codes"):
            score((torch.full((6,), m.dim), parents))
        with pytest.raises(DataError, match="integer tensor"):
            score((torch.zeros(6, 1), parents))
    else:
        with pytest.raises(DataError, match="float tensor"):
            score((torch.zeros(6, m.dim + 1), parents))
    if m.has_log_prob:
        with pytest.raises(DataError, match="rows"):
            m.log_prob(x, parents[:5])


# ------------------------------------------------------------------------------ the factory
def test_auto_picks_by_kind() -> None:
    assert resolve_mechanism("auto", "continuous") is FlowMechanism
    assert resolve_mechanism("auto", "binary") is GumbelMaxMechanism
    assert make_mechanism("auto", "continuous", 2, 1).name == "flow"
    assert make_mechanism("auto", "binary", 2, 0).name == "gumbel"
    assert make_mechanism("auto", "categorical", 5, 3).name == "gumbel"


@pytest.mark.parametrize(
    ("args", "hyper", "match"),
    [
        (("flow", "binary", 2, 1), {}, "'flow' models .*continuous.*not 'binary'"),
        (("gumbel", "continuous", 1, 1), {}, "'gumbel' models .*not 'continuous'"),
        (("nonsense", "continuous", 1, 1), {}, "unknown mechanism 'nonsense'"),
        (("auto", "image", 1, 1), {}, "unknown variable kind 'image'"),
        (("gumbel", "binary", 3, 1), {}, "binary node has 2 categories"),
        (("gumbel", "categorical", 1, 1), {}, "number of categories"),
        (("flow", "continuous", 0, 1), {}, "dim must be >= 1"),
        (("flow", "continuous", 1, -1), {}, "parent_dim must be >= 0"),
        (("flow", "continuous", 1, 1), {"transform": "realnvp"}, "transform must be one of"),
        (("flow", "continuous", 1, 1), {"bins": 1}, "bins must be >= 2"),
        (("flow", "continuous", 1, 1), {"bound": -1.0}, "bound must be positive"),
        (("flow", "continuous", 1, 1), {"hidden_features": "64"}, "hidden_features must be"),
        (
            ("flow", "continuous", 1, 1),
            {"hiden": (8,)},
            r"unknown hyper-parameter\(s\) \['hiden'\]",
        ),
        (("additive", "continuous", 1, 0), {"activation": "swish"}, "activation"),
        (("location_scale", "continuous", 1, 0), {"min_scale": 0}, "min_scale must be positive"),
        (("gumbel", "categorical", 3, 0), {"hidden": (8, 0)}, r"hidden\[1\] must be >= 1"),
        (("diffusion", "categorical", 3, 0), {}, "'diffusion' models .*not 'categorical'"),
        (("diffusion", "continuous", 1, 0), {"beta_end": 0.5, "beta_start": 0.6}, "beta_start"),
        (("vae", "continuous", 1, 0), {"latent_dim": 0}, "latent_dim must be >= 1"),
        (("gan", "continuous", 1, 0), {"inversion": "magic"}, "inversion must be one of"),
        (("gan", "continuous", 1, 0), {"n_critic": 0}, "n_critic must be >= 1"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(
    args: tuple[str, str, int, int], hyper: dict[str, Any], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        make_mechanism(*args, **hyper)


def test_bad_configs_raise_value_error() -> None:
    with pytest.raises(ValueError, match="inversion='optimise' needs a continuous node"):
        make_mechanism("gan", "categorical", 3, 1, inversion="optimise")
    with pytest.raises(ValueError, match="unknown mechanism 'magic'"):
        mechanism_from_config({"name": "magic", "dim": 1, "parent_dim": 0})
    with pytest.raises(ValueError, match="lacks"):
        mechanism_from_config({"name": "flow", "dim": 1})
    with pytest.raises(ValueError, match="mapping"):
        mechanism_from_config(["flow"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown hyper-parameter"):
        mechanism_from_config({"name": "gumbel", "dim": 3, "parent_dim": 0, "bins": 4})
