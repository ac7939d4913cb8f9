"""Linking fragments of one fall: a fragment re-found mid-fall continues the one lost before it."""

from __future__ import annotations

import numpy as np

from detectors.throwing.linking import link_error
from detectors.throwing.physics import G_MPS2, judge_fall

FPS = 25.0


def _fall(frames: range, y0: float = 30.0, x0: float = 6.0, vx: float = 0.3, accel: float = G_MPS2):
    """A fall released at frame 0, seen only at `frames`: (t_s, x_m, y_m)."""
    t = np.asarray(frames, dtype=np.float64) / FPS
    rng = np.random.default_rng(len(frames))
    return t, x0 + vx * t + rng.normal(0, 0.02, len(t)), y0 - 0.5 * accel * t * t + rng.normal(0, 0.02, len(t))


def test_a_fall_lost_in_front_of_a_window_and_found_again_is_one_fall() -> None:
    before, after = _fall(range(0, 8)), _fall(range(16, 30))
    assert link_error(before, after) is not None
    # Together the fragments are judged a fall; the later one alone arrived too fast.
    t, x, y = (np.concatenate([a, b]) for a, b in zip(before, after, strict=True))
    assert judge_fall(t, x, y, FPS)[0].is_fall


def test_an_object_held_still_then_found_falling_is_linked() -> None:
    held = (np.arange(10) / FPS, np.full(10, 6.0), np.full(10, 30.0))
    t, x, y = _fall(range(8, 20))
    assert link_error(held, (t + 10 / FPS, x, y)) is not None


def test_fragments_that_do_not_meet_under_gravity_are_not_linked() -> None:
    before = _fall(range(0, 8))
    t, x, y = _fall(range(16, 30))
    assert link_error(before, (t, x + 3.0, y)) is None, "too far to the side"
    assert link_error(before, (t, x, y - 6.0)) is None, "lower than any fall gets in the gap"
    assert link_error(before, (t, x, y + 2.0)) is None, "higher than where it was lost"
    assert link_error(before, (t + 1.5, x, y - 0.5 * G_MPS2 * 2.1)) is None, "gap too long"


def test_a_climbing_fragment_is_not_the_start_of_a_fall() -> None:
    t = np.arange(8) / FPS
    rising = (t, np.full(8, 6.0), 28.0 + 3.0 * t)  # a bird pulling up
    assert link_error(rising, _fall(range(16, 30))) is None


def test_a_new_fragment_rising_or_hovering_does_not_continue_a_fall() -> None:
    before = _fall(range(0, 8))
    t = np.arange(16, 30) / FPS
    hovering = (t, np.full(len(t), 6.1), np.full(len(t), 29.0))
    assert link_error(before, hovering) is None
