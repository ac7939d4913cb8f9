"""Recall: falls whose path climbs a little first, or shows a single sighting off the path."""

from __future__ import annotations

import numpy as np

from detectors.throwing.physics import judge_fall

FPS = 25.0


def test_bag_whose_blob_merges_once_with_a_raindrop_is_still_a_fall() -> None:
    # Recorded (facade metres) from a bag thrown at floor 10 in the rain: at 3.44 s its blob
    # merged for one frame with a raindrop's streak and its centroid rose half a metre.
    t = np.arange(54, 90) / FPS
    x = [14.92, 14.98, 14.99, 15.07, 15.06, 15.09, 15.14, 15.15, 15.19, 15.22, 15.27, 15.31, 15.41, 15.47, 15.49,
         15.61, 15.63, 15.72, 15.8, 15.92, 15.97, 16.01, 16.12, 16.21, 16.27, 16.33, 16.39, 16.5, 16.5, 16.56,
         16.64, 16.66, 16.76, 16.71, 16.79, 16.83]  # fmt: skip
    y = [22.63, 22.76, 22.81, 22.8, 22.85, 22.78, 22.79, 22.81, 22.77, 22.7, 22.66, 22.66, 22.53, 22.56, 22.49,
         22.41, 22.34, 22.26, 22.23, 22.16, 22.11, 22.01, 22.03, 21.87, 21.86, 21.8, 21.7, 21.62, 21.55, 21.52,
         21.42, 21.4, 21.88, 21.24, 21.13, 21.12]  # fmt: skip
    verdict, _ = judge_fall(t, np.array(x), np.array(y), FPS, m_per_px=0.074)
    assert verdict.is_fall and verdict.kind == "light"


def test_a_fall_that_climbs_for_a_moment_and_then_rises_back_is_not_a_fall() -> None:
    # The same bag, but a rise of most of a metre that lasts: what climbs back is not falling.
    t = np.arange(54, 100) / FPS
    y = 22.8 - 0.07 * np.arange(46)
    y[25:] += 0.8
    x = 15.0 + 0.05 * np.arange(46)
    verdict, _ = judge_fall(t, x, y, FPS, m_per_px=0.074)
    assert not verdict.is_fall and verdict.reason == "climbs"


def test_heavy_object_pushed_out_of_a_high_window_falls_from_the_top_of_its_climb() -> None:
    # Recorded (facade metres) from a heavy object thrown at floor 11 and seen from below: the
    # push towards the camera shows as a climb of half a metre (and one stray sighting above
    # it) before the fall. Its speed is that of a fall from the top of the climb, not from the
    # window, where the sightings began.
    t = np.array([58, 59, 60, 61, 62, 63, 64, 65, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83]) / FPS
    x = [1.12, 1.13, 1.12, 1.13, 1.11, 1.15, 1.15, 1.15, 1.29, 1.02, 1.03, 1.05, 0.98, 1.04, 0.99, 0.97, 0.96,
         0.98, 0.94, 0.9, 0.89, 0.87, 0.86]  # fmt: skip
    y = [26.06, 26.17, 26.23, 26.36, 26.4, 26.5, 26.53, 26.61, 27.11, 26.36, 26.33, 26.27, 26.24, 26.24, 26.05,
         25.94, 25.77, 25.56, 25.39, 25.21, 25.01, 24.64, 24.38]  # fmt: skip
    verdict, _ = judge_fall(t, np.array(x), np.array(y), FPS, m_per_px=0.065)
    assert verdict.is_fall and verdict.kind == "heavy"
