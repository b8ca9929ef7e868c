"""The pendulum scene (CausalVAE): its geometry, a deterministic renderer, and measurements that
read the concepts back off the images."""

from __future__ import annotations

import math

import numpy as np
import pytest

from deepcausal.datasets import (
    measure_pendulum,
    measure_shadow,
    pendulum_factors,
    render_pendulum,
    simulate_pendulum,
)
from deepcausal.errors import DataError


def test_the_geometry_follows_the_light() -> None:
    # hanging straight down, the shadow's ends are the projections of the pivot and the ball
    f = pendulum_factors(np.zeros(3), np.array([60.0, 80.0, 140.0]))
    phi = np.array([60.0, 80.0, 140.0]) * math.pi / 200
    pivot = (-0.5 - (10.5 - 10 * np.tan(phi))) / np.tan(phi)
    ball = (-0.5 - (1.0 - 10 * np.tan(phi))) / np.tan(phi)
    np.testing.assert_allclose(f.shadow_position, (pivot + ball) / 2)
    np.testing.assert_allclose(f.shadow_length, np.maximum(3, np.abs(pivot - ball)))
    # light from the left (angle above 100) throws the shadow to the right, and vice versa
    assert f.shadow_position[2] > 10 > f.shadow_position[0]
    with pytest.raises(DataError, match="vertical ray"):
        pendulum_factors(np.zeros(1), np.array([100.0]))


def test_measurements_read_the_concepts_back_off_the_images() -> None:
    scenes = simulate_pendulum(200, random_state=0)
    assert scenes.images.shape == (200, 3, 64, 64)
    again = simulate_pendulum(200, random_state=0)
    np.testing.assert_array_equal(scenes.images, again.images)  # deterministic from the seed
    lab = scenes.labels
    inside = ((lab.shadow_position - lab.shadow_length / 2 > 0.5)
              & (lab.shadow_position + lab.shadow_length / 2 < 19.5)).to_numpy()  # fmt: skip
    shadow = measure_shadow(scenes.images)
    pixel = 20 / 64
    assert np.abs(shadow.shadow_position - lab.shadow_position)[inside].mean() < pixel
    assert np.abs(shadow.shadow_length - lab.shadow_length)[inside].mean() < pixel
    assert np.abs(measure_pendulum(scenes.images) - lab.pendulum).mean() < 1.0
    # moving the light moves the shadow and leaves the pendulum where it was
    moved = render_pendulum(lab.pendulum.to_numpy()[:20], np.full(20, 140.0))
    np.testing.assert_allclose(measure_pendulum(moved), lab.pendulum[:20], atol=1.0)
    with pytest.raises(DataError, match="RGB images"):
        measure_shadow(np.zeros((2, 1, 8, 8)))
