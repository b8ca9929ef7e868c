"""Image nodes in a DeepSCM: fit, sample, do, counterfactual, save/load, with array columns or flat
columns, on tiny images (thickness of a bar -> its image)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from deepcausal.data import image_table, stack_columns
from deepcausal.errors import DataError
from deepcausal.nn import TrainConfig
from deepcausal.scm import DeepSCM

SHAPE = (1, 8, 8)


def _bars(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """A bar whose width is 1 + 2·sigmoid(t) pixels, its brightness 0.5 + 0.5·sigmoid(b)."""
    rng = np.random.default_rng(seed)
    t, b = rng.normal(size=(2, n))
    width = 1.0 + 3.0 / (1.0 + np.exp(-t))
    cols = np.arange(8) + 0.5
    profile = np.clip(width[:, None] / 2 - np.abs(cols[None, :] - 4.0) + 0.5, 0.0, 1.0)
    bright = 0.5 + 0.5 / (1.0 + np.exp(-b))
    images = (bright[:, None, None] * profile[:, None, :]).repeat(8, axis=1)[:, None]
    images = images + 0.02 * rng.normal(size=images.shape)
    return pd.DataFrame({"t": t, "b": b}), images


def _fit(frame: pd.DataFrame) -> DeepSCM:
    training = TrainConfig(max_epochs=150, batch_size=64, lr=3e-3, patience=30, progress=False)
    scm = DeepSCM("t -> img; b -> img", training=training, random_state=0, progress=False)
    scm.mechanism_kwargs = {"conv-vae": {"channels": (8, 16), "hidden": 64, "latent_dim": 4}}
    return scm.fit(frame)


@pytest.fixture(scope="module")
def fitted() -> tuple[DeepSCM, pd.DataFrame, np.ndarray]:
    table, images = _bars(600, 0)
    frame = image_table(table, images, "img")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the flat image columns are the node's, not extra
        scm = _fit(frame)
    return scm, frame, images


def test_an_image_node_gets_the_conv_vae_and_samples_images(fitted) -> None:
    scm = fitted[0]
    assert scm.schema_["img"].shape == SHAPE and scm.mechanisms_["img"].name == "conv-vae"
    sample = scm.sample(200, random_state=1)
    assert {"t", "b", "img[0]", "img[63]"} <= set(sample.columns) and sample.shape == (200, 66)
    drawn = stack_columns(sample, "img", SHAPE)
    assert drawn.shape == (200, *SHAPE) and np.isfinite(drawn).all()
    # the model learnt the causal effect of t on the bar's width: mass grows with t
    wide = stack_columns(scm.do(t=2.0).sample(200, random_state=2), "img", SHAPE).sum((1, 2, 3))
    thin = stack_columns(scm.do(t=-2.0).sample(200, random_state=2), "img", SHAPE).sum((1, 2, 3))
    assert wide.mean() > thin.mean() + 5.0, (wide.mean(), thin.mean())


def test_counterfactual_images_change_what_the_intervention_changes(fitted) -> None:
    scm, frame, images = fitted
    rows = frame.head(40)
    null = {"t": rows["t"].to_numpy()}  # each unit's own t: the null intervention
    same = stack_columns(scm.counterfactual(rows, null), "img", SHAPE)
    error = np.abs(same - images[:40]).mean()
    assert error < 0.02, error  # abduction then prediction reproduces the image
    wider = stack_columns(scm.counterfactual(rows, {"t": 2.5}), "img", SHAPE)
    assert (wider.sum((1, 2, 3)) > images[:40].sum((1, 2, 3))).mean() > 0.9


def test_save_and_load_keep_the_image_node(fitted, tmp_path) -> None:
    scm, frame, _ = fitted
    scm.save(tmp_path / "model")
    back = DeepSCM.load(tmp_path / "model")
    assert back.schema_["img"].shape == SHAPE
    a = scm.counterfactual(frame.head(5), {"t": 1.0}, random_state=0)
    b = back.counterfactual(frame.head(5), {"t": 1.0}, random_state=0)
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), atol=1e-5)


def test_bad_images_are_named(fitted) -> None:
    scm, frame, images = fitted
    wrong = frame.head(3).copy()
    wrong["img"] = pd.Series([np.zeros((1, 8, 7))] * 3, index=wrong.index, dtype=object)
    with pytest.raises(DataError, match=r"column 'img', row 0: an array of shape \(1, 8, 7\)"):
        scm.counterfactual(wrong, {"t": 1.0})
    table, _ = _bars(4, 1)
    bad = image_table(table, images[:4], "img")
    bad.loc[2, "img"][0, 3, 3] = np.nan
    with pytest.raises(DataError, match="'img' holds NaN or infinite values in 1 row"):
        DeepSCM("t -> img; b -> img").fit(bad)
    with pytest.raises(ValueError, match=r"node 't'.*conv-vae.*models image nodes"):
        DeepSCM("t -> img; b -> img", mechanisms={"t": "conv-vae"}).fit(frame.head(20))
    with pytest.raises(ValueError, match=r"node 't'.*'hvae'.*models image nodes"):
        DeepSCM("t -> img; b -> img", mechanisms={"t": "hvae"}).fit(frame.head(20))


def test_the_hierarchical_vae_answers_counterfactuals_and_round_trips(tmp_path) -> None:
    """``mechanisms={"img": "hvae"}``: abduction then prediction reproduces each image, a wider bar
    under do(t = 2.5) shows more mass, and a saved model gives the same counterfactuals."""
    table, images = _bars(600, 0)
    frame = image_table(table, images, "img")
    training = TrainConfig(max_epochs=80, batch_size=64, lr=3e-3, patience=20, progress=False)
    scm = DeepSCM("t -> img; b -> img", mechanisms={"img": "hvae"}, training=training,
                  random_state=0, progress=False,
                  mechanism_kwargs={"hvae": {"channels": (8, 16), "hidden": 64, "latent_dim": 4,
                                             "top_dim": 2}}).fit(frame)  # fmt: skip
    assert scm.mechanisms_["img"].name == "hvae"
    rows = frame.head(40)
    cf = scm.counterfactual(rows, {"t": rows["t"].to_numpy()})
    assert cf.attrs["abduction"]["img"] == "posterior"
    assert np.abs(stack_columns(cf, "img", SHAPE) - images[:40]).mean() < 0.02
    wider = stack_columns(scm.counterfactual(rows, {"t": 2.5}), "img", SHAPE)
    assert (wider.sum((1, 2, 3)) > images[:40].sum((1, 2, 3))).mean() > 0.9
    scm.save(tmp_path / "model")
    back = DeepSCM.load(tmp_path / "model")
    a = scm.counterfactual(frame.head(5), {"t": 1.0}, random_state=0)
    b = back.counterfactual(frame.head(5), {"t": 1.0}, random_state=0)
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), atol=1e-5)


def test_the_conv_vae_decoder_is_refined_and_old_models_keep_theirs() -> None:
    """``decoder="refined"`` is the default; a model saved before the option (no ``decoder`` in
    its config) is rebuilt with the decoder it was trained with, whose weights have other names;
    the hierarchical VAE does the same; a bad value is named."""
    from deepcausal.mechanisms import ConvVAEMechanism, HVAEMechanism, mechanism_from_config

    m = ConvVAEMechanism(dim=64, parent_dim=2, shape=(1, 8, 8), channels=(4, 8), hidden=16)
    assert m.config()["decoder"] == "refined"
    old = mechanism_from_config({k: v for k, v in m.config().items() if k != "decoder"})
    assert old.config()["decoder"] == "plain"
    assert "deconv.refine2.weight" in m.state_dict() and "deconv.0.weight" in old.state_dict()
    hvae = HVAEMechanism(dim=64, parent_dim=2, shape=(1, 8, 8), channels=(4, 8), hidden=16)
    assert hvae.config()["decoder"] == "refined"
    legacy = {k: v for k, v in hvae.config().items() if k != "decoder"}
    assert mechanism_from_config(legacy).config()["decoder"] == "plain"
    with pytest.raises(ValueError, match="decoder must be"):
        ConvVAEMechanism(dim=64, parent_dim=2, shape=(1, 8, 8), decoder="deep")
