"""Recall of heavy objects and bags in the fall model, on synthetic tracks in facade metres."""

from __future__ import annotations

import numpy as np

from detectors.throwing.physics import G_MPS2, find_release, judge_fall

FPS = 25.0


def _bag(lag_m: float, sink_mps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A bag held still at a top-floor window for 10 frames, then let go: it gains speed within
    a tenth of a second or two up to a steady sink of `sink_mps` (seen from below, on the
    facade), drifting left at 1 m/s. The frame after its release is missed, and its blob at the
    last sighting before it is seen falling is `lag_m` too high (still merged with the hand)."""
    frames = np.array([f for f in range(60) if f != 11], dtype=np.float64)
    t = frames / FPS
    tau = np.maximum(t - 10 / FPS, 0.0)
    sink = sink_mps * (tau - 0.15 * (1.0 - np.exp(-tau / 0.15)))
    rng = np.random.default_rng(3)
    x = 4.4 - 1.0 * tau + rng.normal(0.0, 0.02, len(t))
    y = 44.5 - sink + rng.normal(0.0, 0.02, len(t))
    before = find_release(t, x, y).onset - 1
    y[before] += lag_m
    return t + 5.0, x, y


def test_a_bag_whose_blob_lags_as_it_leaves_the_hand_is_a_light_throw() -> None:
    # At the top of a tall facade a pixel is 0.115 m: the lagging blob alone makes its first
    # two steps look like an arrival at 5 m/s, while from its first sighting below the hand on
    # it goes at a bag's speed.
    t, x, y = _bag(lag_m=0.35, sink_mps=4.2)
    verdict, release = judge_fall(t, x, y, FPS, m_per_px=0.115)
    assert verdict.is_fall and verdict.kind == "light"
    assert release is not None and abs(release.y_m - 44.5) < 0.3


def test_a_bird_leaving_the_sill_fast_is_still_no_throw() -> None:
    # The same timing, but what leaves the sill is fast from its first step on (a bird taking
    # off downwards): fast measured from both sightings.
    t, x, y = _bag(lag_m=0.35, sink_mps=12.0)
    verdict, _ = judge_fall(t, x, y, FPS, m_per_px=0.115)
    assert not verdict.is_fall


# A small heavy object from floor 8 (a pixel is 0.07 m there): seen resting frames 0-10, let go
# at frame 10, then seen ever more rarely as its blob fades with speed (the frames it was seen in).
_SEEN = [*range(0, 11), 12, 13, 14, 15, 17, 18, 19, 20, 28, 32, 34, 38, 39, 40]


def _patchy(off_line_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The heavy object's sightings; those after the long gaps `off_line_m` off to the side."""
    frames = np.array(_SEEN, dtype=np.float64)
    t = frames / FPS
    tau = np.maximum(t - 10 / FPS, 0.0)
    rng = np.random.default_rng(5)
    x = 8.5 - 0.4 * tau + rng.normal(0.0, 0.02, len(t))
    y = 19.65 - 0.5 * 0.95 * G_MPS2 * tau * tau + rng.normal(0.0, 0.02, len(t))
    x[np.isin(frames, (28, 34, 39))] += off_line_m
    return t + 2.0, x, y


def test_a_small_heavy_object_seen_in_patches_on_its_free_fall_is_a_throw() -> None:
    t, x, y = _patchy(0.0)
    verdict, release = judge_fall(t, x, y, FPS, m_per_px=0.07)
    assert verdict.is_fall and verdict.kind == "heavy"
    assert release is not None and release.held and abs(release.y_m - 19.65) < 0.2


def test_a_chance_chain_seen_as_patchily_off_a_straight_line_is_no_throw() -> None:
    # Noise or rain blobs linked below a still blob land near the parabola by chance, but not
    # on the straight sideways line a falling object keeps.
    t, x, y = _patchy(0.45)
    verdict, _ = judge_fall(t, x, y, FPS, m_per_px=0.07)
    assert not verdict.is_fall and verdict.reason == "gappy"


def test_blocks_hopping_on_from_a_still_place_are_no_patchy_fall() -> None:
    # An encoder's blocks copied at one place, then re-coded farther down now and then: the
    # same sightings from a fifth of a second after the onset on, none in between. An object
    # that has barely moved is still seen.
    t, x, y = _patchy(0.0)
    keep = (t * FPS - 50.0 <= 14.0) | (t * FPS - 50.0 >= 19.0)
    verdict, _ = judge_fall(t[keep], x[keep], y[keep], FPS, m_per_px=0.07)
    assert not verdict.is_fall and verdict.reason == "gappy"
