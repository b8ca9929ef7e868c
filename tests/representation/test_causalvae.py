"""CausalVAE on a few pendulum scenes: it trains through the one loop, learns an adjacency over the
concepts, answers interventions with images, and names bad input. (Whether do(light) moves the
shadow as the physics says is measured in benchmarks/pendulum.py.)"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from deepcausal.datasets import simulate_pendulum
from deepcausal.errors import DataError, NotFittedError
from deepcausal.nn import TrainConfig
from deepcausal.representation import CausalVAE

CONCEPTS = ["pendulum", "light", "shadow_length", "shadow_position"]


def test_causalvae_learns_concepts_and_intervenes() -> None:
    scenes = simulate_pendulum(96, random_state=0, size=32)
    quick = TrainConfig(max_epochs=3, batch_size=32, progress=False)
    model = CausalVAE(CONCEPTS, hidden=32, train_config=quick, random_state=0)
    model.fit(scenes.images, scenes.labels)
    assert model.adjacency_.shape == (4, 4) and np.allclose(np.diag(model.adjacency_), 0)
    assert all(a in CONCEPTS and b in CONCEPTS for a, b in model.learned_edges())
    assert model.concepts(scenes.images[:5]).shape == (5, 4)
    cf = model.intervene(scenes.images[:5], {"light": 130.0})
    assert cf.shape == (5, 3, 32, 32) and ((cf >= 0) & (cf <= 1)).all()
    own = model.concepts(scenes.images[:5])["light"].to_numpy()  # the null intervention
    same = model.intervene(scenes.images[:5], {"light": own})
    np.testing.assert_allclose(same, model.reconstruct(scenes.images[:5]), atol=1e-4)
    with pytest.raises(DataError, match="unknown concept"):
        model.intervene(scenes.images[:2], {"sun": 1.0})


def test_a_given_graph_is_the_only_support_of_the_causal_layer() -> None:
    scenes = simulate_pendulum(64, random_state=2, size=32)
    quick = TrainConfig(max_epochs=2, batch_size=32, progress=False)
    graph = "light -> shadow_position; pendulum -> shadow_position"
    model = CausalVAE(CONCEPTS, graph=graph, hidden=32, train_config=quick)
    model.fit(scenes.images, scenes.labels)
    A = model.adjacency_
    allowed = {("light", "shadow_position"), ("pendulum", "shadow_position")}
    assert all(A.loc[a, b] == 0 for a in CONCEPTS for b in CONCEPTS if (a, b) not in allowed)
    assert set(model.learned_edges()) <= allowed
    # the mask layer reads a concept's parents through the graph's 0/1 pattern: a non-parent
    # (shadow_length) leaves shadow_position's mechanism alone, a parent (light) moves it
    net, k = model.net_, CONCEPTS.index("shadow_position")
    pattern = net.parents(model.threshold, True)
    z = torch.randn(8, 4)
    with torch.no_grad():
        base = net.mechanisms(z, pattern)[:, k]
        other = z.clone()
        other[:, CONCEPTS.index("shadow_length")] += 3.0
        assert torch.equal(net.mechanisms(other, pattern)[:, k], base)
        other = z.clone()
        other[:, CONCEPTS.index("light")] += 3.0
        assert not torch.equal(net.mechanisms(other, pattern)[:, k], base)
    with pytest.raises(DataError, match="not concepts"):
        CausalVAE(CONCEPTS, graph="sun -> light").fit(scenes.images, scenes.labels)


def test_causalvae_bad_input_is_named() -> None:
    scenes = simulate_pendulum(10, random_state=1, size=32)
    with pytest.raises(NotFittedError):
        CausalVAE(CONCEPTS).concepts(scenes.images)
    with pytest.raises(DataError, match=r"lack the concept column\(s\) \['colour'\]"):
        CausalVAE([*CONCEPTS, "colour"]).fit(scenes.images, scenes.labels)
    with pytest.raises(DataError, match="10 images for 9 rows"):
        CausalVAE(CONCEPTS).fit(scenes.images, scenes.labels.head(9))
    with pytest.raises(DataError, match=r"must be \(n, H, W\) or \(n, C, H, W\)"):
        CausalVAE(CONCEPTS).fit(scenes.images[:, 0, 0], scenes.labels)
