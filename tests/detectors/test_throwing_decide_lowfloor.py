"""Decisions on short falls: from the lowest floors the ground comes before 1.5 m of fall shows."""

from __future__ import annotations

import numpy as np
import pytest

from detectors.throwing.detector import ThrowingDetector
from detectors.throwing.physics import G_MPS2, judge_fall
from detectors.throwing.tracker import Track
from ingest.registry import Facade

FPS = 25.0
FACADE = Facade(corners_px=[[512, 32], [768, 32], [936, 656], [344, 656]], floors=16, lowest_floor=3, columns=6)


def _found_falling(n: int, v0: float, accel: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A track first seen already going down at v0 (m/s), gaining speed at `accel` (m/s²)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / FPS + 5.0
    tau = t - t[0]
    # A blob's centroid at a low floor (50 px/m and more) is known to about a centimetre.
    y = 1.1 - v0 * tau - 0.5 * accel * tau**2 + rng.normal(0, 0.01, n)
    x = 6.4 - 0.3 * tau + rng.normal(0, 0.01, n)
    return t, x, y


@pytest.mark.parametrize("seed", range(5))
def test_object_from_a_low_floor_seen_falling_one_metre_at_gravity_s_rate_is_a_fall(seed: int) -> None:
    # Recorded low-floor throws are found about 0.3 s after release, already at 2.5-3 m/s,
    # and reach the ground clutter after 8-10 sightings and 1.0-1.3 m of seen fall.
    t, x, y = _found_falling(9, 2.6, G_MPS2, seed)
    assert 1.0 < y[0] - y[-1] < 1.5
    verdict, _ = judge_fall(t, x, y, FPS)
    assert verdict.is_fall and verdict.kind == "heavy"


@pytest.mark.parametrize("seed", range(5))
def test_something_sinking_steadily_one_metre_is_still_too_short(seed: int) -> None:
    # A leaf or a bird gliding down at the same speed, without gravity's acceleration.
    t, x, y = _found_falling(9, 3.6, 0.0, seed)
    verdict, _ = judge_fall(t, x, y, FPS)
    assert not verdict.is_fall and verdict.reason == "not_far_enough"


def test_a_swing_down_and_back_is_not_a_short_fall() -> None:
    # Laundry swinging 1.2 m down from its peg and back: gains speed at first, then slows.
    t = np.arange(12) / FPS + 5.0
    y = 8.0 - 0.6 * (1 - np.cos(2 * np.pi * (t - t[0]) / 1.0))
    x = 4.0 + 0.5 * np.sin(2 * np.pi * (t - t[0]) / 1.0)
    verdict, _ = judge_fall(t, x, y, FPS)
    assert not verdict.is_fall


def test_a_short_fall_needs_its_acceleration_measured_not_guessed() -> None:
    # Seven sightings with a pixel's jitter at a low floor (0.1 m): the acceleration's error
    # is too large to call it gravity's.
    rng = np.random.default_rng(7)
    t, x, y = _found_falling(7, 2.6, G_MPS2, 0)
    y = y + rng.normal(0, 0.1, len(y))
    y = np.minimum.accumulate(y) - np.arange(len(y)) * 1e-3  # still going down at every sighting
    verdict, _ = judge_fall(t, x, y, FPS)
    assert not verdict.is_fall


def _track(track_id: int, frames: range, xy: list[tuple[float, float]]) -> Track:
    track = Track(track_id)
    for f, (x, y) in zip(frames, xy, strict=True):
        track.add(f, x, y, 20)
    return track


def test_a_heavy_fall_below_an_alarmed_bag_is_another_object() -> None:
    detector = ThrowingDetector(FACADE, FPS)
    detector._start(0, np.zeros((720, 1280), np.uint8))
    # A bag alarmed high up, last seen at frame 100 still sinking.
    bag = _track(1, range(60, 101), [(600.0, 100.0 + 2 * k) for k in range(41)])
    detector._light[bag.id] = [(bag, 2**62)], len(bag.frames)
    # Eight seconds later a new fall begins far below it: within a bag's reach, so a light
    # fall there is the bag again; a heavy one gains speed as no bag does.
    new = _track(2, range(300, 310), [(610.0, 560.0 + 0.5 * k * k) for k in range(10)])
    assert detector._continues_alarm(new, "light")
    assert not detector._continues_alarm(new, "heavy")
