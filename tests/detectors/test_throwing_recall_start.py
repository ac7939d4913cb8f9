"""Recall: the start speed of a fall at the top floors, where a pixel is over 0.1 m."""

from __future__ import annotations

import numpy as np

from detectors.throwing.physics import judge_fall

FPS = 25.0
T = np.array([123, 124, 125, 126, 127, 128, 129, 130, 131, 132, 134, 135, 136, 137, 138, 139, 140, 141, 142, 143, 144,
              145, 146]) / FPS  # fmt: skip


def test_bag_at_the_top_floor_whose_blob_changes_shape_as_it_starts_to_fall_is_a_fall() -> None:
    # Recorded (facade metres) from a bag thrown at floor 18 at night, 0.115 m a pixel: as it
    # tipped over its blob shrank and its centroid moved 4 px in two frames (0.43 m in 0.08 s).
    x = [4.44, 4.42, 4.37, 4.3, 4.28, 4.2, 4.11, 4.07, 3.99, 3.95, 3.64, 3.62, 3.59, 3.56, 3.55, 3.52, 3.48, 3.44,
         3.38, 3.34, 3.29, 3.24, 3.22]  # fmt: skip
    y = [44.21, 44.3, 44.41, 44.43, 44.5, 44.52, 44.56, 44.53, 44.53, 44.48, 44.05, 43.98, 43.87, 43.75, 43.69,
         43.53, 43.38, 43.3, 43.1, 42.97, 42.86, 42.68, 42.56]  # fmt: skip
    verdict, _ = judge_fall(T, np.array(x), np.array(y), FPS, m_per_px=0.115)
    assert verdict.is_fall


def test_something_arriving_at_bird_speed_at_the_top_floor_still_arrived_moving() -> None:
    # The same place and pixels, but the first steps at 8 m/s (a bird, a leaf blown in).
    tau = T - T[0]
    y = 44.5 - 8.0 * tau + 2.0 * tau**2
    x = 4.4 - 0.3 * tau
    verdict, _ = judge_fall(T, x, y, FPS, m_per_px=0.115)
    assert not verdict.is_fall and verdict.reason == "arrived_moving"
