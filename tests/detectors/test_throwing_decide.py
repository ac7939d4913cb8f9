"""Decisions on tracks that look like a fall for a moment: leaves, birds, gliders (facade metres)."""

from __future__ import annotations

import numpy as np
import pytest

from detectors.throwing.physics import G_MPS2, judge_fall
from detectors.throwing.tracker import Tracker

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
    t = np.arange(18) / FPS + 4.4
    tau = t - 4.0  # released 0.4 s before it was first seen
    y = 41.0 - 0.5 * G_MPS2 * tau**2 + rng.normal(0, 0.08, len(t))
    x = 7.3 + rng.normal(0, 0.08, len(t))
    verdict, release = judge_fall(t, x, y, FPS)
    assert verdict.is_fall and verdict.kind == "heavy"
    assert release is not None and abs(release.y_m - 41.0) < 1.5


def test_leaf_swinging_wide_while_it_sinks_is_not_a_fall() -> None:
    # A leaf sinks at a steady speed like paper, but swings most of a metre either side.
    t = np.arange(30) / FPS + 6.0
    y = 20.0 - 2.5 * (t - t[0])
    x = 10.0 + 0.8 * np.sin(2 * np.pi * 0.6 * (t - t[0]))
    verdict, _ = judge_fall(t, x, y, FPS)
    assert not verdict.is_fall and verdict.reason == "swerves"


def test_paper_fluttering_a_little_about_its_drift_is_still_a_fall() -> None:
    t = np.arange(30) / FPS + 6.0
    speed = 1.8 * (1 - np.exp(-(t - t[0]) / 0.2))
    y = 20.0 - np.cumsum(speed) / FPS
    x = 10.0 + 0.8 * (t - t[0]) + 0.25 * np.sin(2 * np.pi * 1.0 * (t - t[0]))
    verdict, _ = judge_fall(t, x, y, FPS)
    assert verdict.is_fall and verdict.kind == "light"


def test_heavy_fall_moving_sideways_faster_than_a_hand_pushes_is_not_a_throw() -> None:
    # Gravity's parabola downwards, but 4 m/s across: a bird stooping, not a dropped object.
    t = np.arange(16) / FPS + 3.0
    tau = t - t[0]
    y = 25.0 - 0.5 * G_MPS2 * tau**2
    x = 6.0 + 4.0 * tau
    verdict, _ = judge_fall(t, x, y, FPS)
    assert not verdict.is_fall and verdict.reason == "swerves"


def test_a_blob_split_off_a_moving_object_is_that_object_s_continuation() -> None:
    tracker = Tracker()
    for frame in range(8):
        y = 100.0 + 3.0 * frame
        tracker.update(frame, np.array([[200.0, y]]), np.array([20]), np.array([True]), np.array([False]))
    mover = tracker.tracks[0]
    assert mover.eligible and mover.is_mover()
    # It breaks into two blobs (a tumbling bag): the second is no new throw, but its history
    # is the object's.
    blobs = np.array([[200.0, 124.0], [212.0, 126.0]])
    tracker.update(8, blobs, np.array([20, 20]), np.array([True, True]), np.array([False, False]))
    split = next(t for t in tracker.tracks if t is not mover)
    assert not split.eligible and split.parent is mover


def _glide(n: int, v0: float, accel: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = np.arange(n) / FPS + 3.5
    tau = t - t[0]
    y = 23.4 - v0 * tau - 0.5 * accel * tau**2 + rng.normal(0, 0.03, n)
    x = 5.5 + 1.0 * tau + rng.normal(0, 0.03, n)
    return t, x, y


@pytest.mark.parametrize("seed", range(3))
def test_bird_gliding_down_gaining_speed_at_half_gravity_is_not_a_heavy_fall(seed: int) -> None:
    # First seen already sinking at 3.4 m/s and gaining speed at half of gravity, steadily:
    # a dropped object would gain it twice as fast, a bag would not gain it at all.
    verdict, _ = judge_fall(*_glide(20, 3.4, 0.48 * G_MPS2, seed), FPS)
    assert not verdict.is_fall and verdict.reason == "gentle"


@pytest.mark.parametrize("seed", range(3))
def test_sinking_faster_than_a_bag_without_gravity_s_acceleration_is_not_a_light_fall(seed: int) -> None:
    verdict, _ = judge_fall(*_glide(24, 3.0, 0.4 * G_MPS2, seed), FPS)
    assert not verdict.is_fall and verdict.reason == "gentle"


def _laundry(tracker: Tracker, frames: int) -> None:
    """A cloth swinging about its peg, found before the scene settled (not eligible)."""
    for frame in range(frames):
        x = 300.0 + 14.0 * np.sin(2 * np.pi * frame / 20)
        tracker.update(frame, np.array([[x, 200.0]]), np.array([30]), np.array([False]), np.array([False]))


def test_an_object_dropped_next_to_swinging_laundry_may_still_be_a_throw() -> None:
    tracker = Tracker()
    _laundry(tracker, 25)  # ends on the swing's far side, 14 px from where it began
    cloth = tracker.tracks[0]
    assert cloth.is_mover() and not cloth.travels()
    blobs = np.array([[300.0 + 14.0 * np.sin(2 * np.pi * 25 / 20), 200.0], [300.0, 214.0]])
    tracker.update(25, blobs, np.array([30, 20]), np.array([False, True]), np.array([False, False]))
    dropped = next(t for t in tracker.tracks if t is not cloth)
    assert dropped.eligible and dropped.parent is None


def test_a_bird_flying_on_still_vetoes_a_blob_found_where_it_is_heading() -> None:
    tracker = Tracker()
    for frame in range(10):
        tracker.update(frame, np.array([[100.0 + 6 * frame, 150.0]]), np.array([30]), np.array([False]), None)
    bird = tracker.tracks[0]
    assert bird.travels()
    blobs = np.array([[160.0, 150.0], [172.0, 152.0]])
    tracker.update(10, blobs, np.array([30, 20]), np.array([False, True]), np.array([False, False]))
    found = next(t for t in tracker.tracks if t is not bird)
    assert not found.eligible and found.parent is bird
