"""Decisions on tracks that look like a fall for a moment: leaves, birds, gliders (facade metres)."""

from __future__ import annotations

import numpy as np
import pytest

from detectors.throwing.physics import G_MPS2, judge_fall

FPS = 25.0


def test_leaf_found_sinking_fast_at_the_top_of_a_tall_facade_is_not_a_fall() -> None:
    # Recorded (facade metres) from a leaf re-found mid-facade at about 7 px/m: one pixel is
    # 0.15 m, so nine sightings over 0.32 s cannot show gravity's curvature (about 0.1 m).
    t = np.arange(110, 119) / FPS
    x = np.array([7.20, 7.29, 7.25, 7.30, 7.42, 7.24, 7.29, 7.35, 7.52])
    y = np.array([38.43, 38.06, 37.87, 37.53, 37.43, 36.83, 36.51, 36.21, 35.88])
    verdict, _ = judge_fall(t, x, y, FPS)
    assert not verdict.is_fall and verdict.reason == "arrived_moving"


@pytest.mark.parametrize("seed", range(5))
def test_object_found_fast_with_its_acceleration_measured_is_a_fall(seed: int) -> None:
    # The same place and pixel noise, but seen long enough that gravity shows.
    rng = np.random.default_rng(seed)
    t = np.arange(14) / FPS + 4.4
    tau = t - 4.0  # released 0.4 s before it was first seen
    y = 41.0 - 0.5 * G_MPS2 * tau**2 + rng.normal(0, 0.08, len(t))
    x = 7.3 + rng.normal(0, 0.08, len(t))
    verdict, release = judge_fall(t, x, y, FPS)
    assert verdict.is_fall and verdict.kind == "heavy"
    assert release is not None and abs(release.y_m - 41.0) < 1.5
