"""The pendulum scene of CausalVAE (Yang, Liu, Chen, Shen, Hao & Wang 2021, "CausalVAE:
disentangled representation learning via neural structural causal models", CVPR), rendered with
NumPy, deterministic from a seed.

Four concepts: the pendulum's angle and the light's position cause the shadow's length and
position. The geometry is that of the paper's generator, in scene units (x in [0, 20], y in
[-1, 21]): the pendulum hangs from (10, 10.5) with a rod of length 8 and a ball of radius 1.5 at
distance 9.5 (the ball's centre); the light is a sun of radius 3 on the line y = 20.5, and rays at the
light's angle φ project the pivot and the ball onto the ground y = -0.5::

    θ = pendulum · π / 200,  φ = light · π / 200
    proj(x, y) = (-0.5 - (y - x tan φ)) / tan φ
    shadow position = (proj(pivot) + proj(ball)) / 2
    shadow length   = max(3, |proj(pivot) - proj(ball)|)

The paper draws pendulum angles on the grid -40..43 and light angles 60..147 (light 100, a vertical
ray, is left out); :func:`simulate_pendulum` draws both uniformly on those ranges.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from deepcausal.errors import DataError

__all__ = [
    "PENDULUM_GRAPH",
    "Pendulum",
    "measure_pendulum",
    "measure_shadow",
    "pendulum_factors",
    "render_pendulum",
    "simulate_pendulum",
]

#: The scene's causal graph.
PENDULUM_GRAPH = (
    "pendulum -> shadow_length; pendulum -> shadow_position; light -> shadow_length; "
    "light -> shadow_position"
)
_PIVOT = (10.0, 10.5)
_X_RANGE, _Y_RANGE = (0.0, 20.0), (-1.0, 21.0)
_GROUND, _SUN_Y = -0.5, 20.5
# colours (RGB in [0, 1]) on a white background: rod and shadow black, ball red, sun orange
_ROD, _BALL, _SUN, _SHADOW = (0.0, 0.0, 0.0), (0.70, 0.13, 0.13), (1.0, 0.65, 0.0), (0.0, 0.0, 0.0)


def _projection(phi: np.ndarray, x: np.ndarray, y: np.ndarray, base: float = _GROUND) -> np.ndarray:
    """Where the ray at angle ``phi`` through ``(x, y)`` meets the line ``y = base``."""
    tan = np.tan(phi)
    return np.asarray((base - (y - x * tan)) / tan)


def pendulum_factors(pendulum: np.ndarray, light: np.ndarray) -> pd.DataFrame:
    """The scene's geometry for pendulum and light angles (in the paper's units, see the module
    docstring): the ball's centre, the sun's x, and the shadow's position and length.

    >>> f = pendulum_factors(np.array([0.0]), np.array([60.0]))
    >>> round(float(f.shadow_length[0]), 3), round(float(f.ball_x[0]), 3)
    (6.902, 10.0)
    """
    p = np.asarray(pendulum, dtype=float)
    light_angle = np.asarray(light, dtype=float)
    if np.any(np.abs(light_angle - 100.0) < 0.25):
        raise DataError("a light angle of 100 is a vertical ray: its shadow is undefined")
    theta, phi = p * math.pi / 200.0, light_angle * math.pi / 200.0
    ball_x, ball_y = _PIVOT[0] + 9.5 * np.sin(theta), _PIVOT[1] - 9.5 * np.cos(theta)
    pivot = _projection(phi, np.full_like(p, _PIVOT[0]), np.full_like(p, _PIVOT[1]))
    ball = _projection(phi, ball_x, ball_y)
    return pd.DataFrame({
        "ball_x": ball_x, "ball_y": ball_y,
        "sun_x": _projection(phi, np.full_like(p, _PIVOT[0]), np.full_like(p, _PIVOT[1]), _SUN_Y),
        "shadow_position": (pivot + ball) / 2.0,
        "shadow_length": np.maximum(3.0, np.abs(pivot - ball)),
    })  # fmt: skip


def render_pendulum(pendulum: np.ndarray, light: np.ndarray, size: int = 64) -> np.ndarray:
    """RGB images ``(n, 3, size, size)`` in ``[0, 1]`` of the scenes (anti-aliased edges)."""
    factors = pendulum_factors(pendulum, light)
    n = len(factors)
    xs = _X_RANGE[0] + (np.arange(size) + 0.5) / size * (_X_RANGE[1] - _X_RANGE[0])
    ys = _Y_RANGE[1] - (np.arange(size) + 0.5) / size * (_Y_RANGE[1] - _Y_RANGE[0])
    gx, gy = np.meshgrid(xs, ys)  # (size, size): row 0 at the top
    soft = (_X_RANGE[1] - _X_RANGE[0]) / size  # one pixel, in scene units
    out = np.ones((n, 3, size, size))
    theta = np.asarray(pendulum, dtype=float) * math.pi / 200.0
    rod_x, rod_y = _PIVOT[0] + 8.0 * np.sin(theta), _PIVOT[1] - 8.0 * np.cos(theta)
    bx, by, sx = (factors[c].to_numpy(dtype=float) for c in ("ball_x", "ball_y", "sun_x"))
    mid, half = factors.shadow_position.to_numpy(float), factors.shadow_length.to_numpy(float) / 2
    for i in range(n):
        layers = [
            (_segment(gx, gy, _PIVOT, (float(rod_x[i]), float(rod_y[i]))) - 0.25, _ROD),
            (np.hypot(gx - bx[i], gy - by[i]) - 1.5, _BALL),
            (np.hypot(gx - sx[i], gy - _SUN_Y) - 3.0, _SUN),
            (_segment(gx, gy, (float(mid[i] - half[i]), _GROUND),
                      (float(mid[i] + half[i]), _GROUND)) - 0.25, _SHADOW),
        ]  # fmt: skip
        for distance, colour in layers:
            alpha = np.clip(0.5 - distance / soft, 0.0, 1.0)
            for c in range(3):
                out[i, c] = out[i, c] * (1 - alpha) + colour[c] * alpha
    return out


def _segment(gx: np.ndarray, gy: np.ndarray, a: tuple[float, float], b: tuple[float, float]
             ) -> np.ndarray:  # fmt: skip
    """Distance from each point to the segment ``a``-``b``."""
    ax, ay = a
    dx, dy = b[0] - ax, b[1] - ay
    length2 = dx * dx + dy * dy
    t = np.clip(((gx - ax) * dx + (gy - ay) * dy) / length2, 0.0, 1.0) if length2 > 0 else 0.0
    return np.asarray(np.hypot(gx - (ax + t * dx), gy - (ay + t * dy)))


def _scene_x(columns: np.ndarray, size: int) -> np.ndarray:
    return _X_RANGE[0] + (columns + 0.5) / size * (_X_RANGE[1] - _X_RANGE[0])


def measure_shadow(images: np.ndarray) -> pd.DataFrame:
    """The shadow's ``shadow_position`` and ``shadow_length`` (scene units) measured on images
    ``(n, 3, H, W)`` of this scene: the dark pixels of the rows around the ground line. A shadow
    that leaves the frame is measured to the frame's edge."""
    arr = np.asarray(images, dtype=float)
    if arr.ndim != 4 or arr.shape[1] != 3:
        raise DataError(f"expected RGB images (n, 3, H, W), got shape {arr.shape}")
    size_y, size_x = arr.shape[2:]
    row = (_Y_RANGE[1] - _GROUND) / (_Y_RANGE[1] - _Y_RANGE[0]) * size_y
    band = arr[:, :, max(int(row) - 1, 0) : min(int(row) + 2, size_y), :]
    darkness = 1.0 - band.mean(axis=1).min(axis=1)  # (n, W): 1 where black
    out = []
    for profile in darkness:
        mass = np.clip(profile - 0.1, 0.0, None)
        if mass.sum() <= 0:
            out.append((math.nan, 0.0))
            continue
        cols = np.arange(size_x)
        centre = float((mass * cols).sum() / mass.sum())
        width = float(mass.sum() / mass.max()) if mass.max() > 0 else 0.0
        # the drawn line has round caps of half its width (0.25) at each end
        out.append((float(_scene_x(np.asarray(centre), size_x)), width * 20.0 / size_x - 0.5))
    return pd.DataFrame(out, columns=["shadow_position", "shadow_length"])


def measure_pendulum(images: np.ndarray) -> np.ndarray:
    """The pendulum's angle (the paper's units) measured on images ``(n, 3, H, W)``: the centroid
    of the red ball's pixels, seen from the pivot."""
    arr = np.asarray(images, dtype=float)
    if arr.ndim != 4 or arr.shape[1] != 3:
        raise DataError(f"expected RGB images (n, 3, H, W), got shape {arr.shape}")
    size_y, size_x = arr.shape[2:]
    red = np.clip(arr[:, 0] - arr[:, 1] - 0.45, 0.0, None)  # the ball: red, not orange or black
    cols, rows = np.meshgrid(np.arange(size_x), np.arange(size_y))
    mass = red.sum(axis=(1, 2))
    cx = (red * cols).sum(axis=(1, 2)) / np.where(mass > 0, mass, 1.0)
    cy = (red * rows).sum(axis=(1, 2)) / np.where(mass > 0, mass, 1.0)
    x = _scene_x(cx, size_x)
    y = _Y_RANGE[1] - (cy + 0.5) / size_y * (_Y_RANGE[1] - _Y_RANGE[0])
    theta = np.arctan2(x - _PIVOT[0], _PIVOT[1] - y)
    return np.where(mass > 0, theta * 200.0 / math.pi, np.nan)


@dataclass(frozen=True)
class Pendulum:
    """Pendulum scenes and their concepts.

    Attributes:
        images: ``(n, 3, size, size)`` RGB in ``[0, 1]``.
        labels: ``pendulum``, ``light``, ``shadow_length``, ``shadow_position``.
    """

    images: np.ndarray
    labels: pd.DataFrame


def simulate_pendulum(n: int, random_state: int | None = None, size: int = 64) -> Pendulum:
    """``n`` scenes with pendulum angles uniform on [-40, 44) and light angles uniform on
    [60, 148) (the paper's ranges; within 0.5 of the vertical light, 100, redrawn)."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    rng = np.random.default_rng(random_state)
    pendulum = rng.uniform(-40.0, 44.0, size=n)
    light = rng.uniform(60.0, 148.0, size=n)
    while np.any(bad := np.abs(light - 100.0) < 0.5):
        light[bad] = rng.uniform(60.0, 148.0, size=int(bad.sum()))
    factors = pendulum_factors(pendulum, light)
    labels = pd.DataFrame({
        "pendulum": pendulum, "light": light,
        "shadow_length": factors.shadow_length, "shadow_position": factors.shadow_position,
    })  # fmt: skip
    return Pendulum(render_pendulum(pendulum, light, size), labels)
