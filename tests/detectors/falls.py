"""Paths of light objects in facade metres, for the physics tests (25 frames/s)."""

from __future__ import annotations

import numpy as np

FPS = 25.0
FacadePath = tuple[np.ndarray, np.ndarray, np.ndarray]  # t (s), x_m, y_m


def sinking_paper(
    start: tuple[float, float, float],
    n_rest: int,
    n_fall: int,
    sink_mps: float,
    settle_s: float,
    drift_mps: float,
    flutter_m: float,
    seed: int,
) -> FacadePath:
    """Paper at `start` = (t, x, y), still for `n_rest` frames, then sinking: it reaches
    `sink_mps` within about `settle_s`, drifts sideways and flutters, with 2 cm of noise."""
    rng = np.random.default_rng(seed)
    t0, x0, y0 = start
    t = np.arange(n_rest + n_fall) / FPS + t0
    tau = np.maximum(t - t[max(n_rest - 1, 0)], 0.0)
    speed = sink_mps * (1 - np.exp(-tau / settle_s))
    y = y0 - np.cumsum(speed) / FPS + rng.normal(0, 0.02, len(t))
    x = x0 + drift_mps * tau + flutter_m * np.sin(2 * np.pi * 0.8 * tau) + rng.normal(0, 0.02, len(t))
    return t, x, y
