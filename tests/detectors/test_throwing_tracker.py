"""The tracker's eligibility rules: which tracks may become a throw."""

from __future__ import annotations

import numpy as np

from detectors.throwing.tracker import Tracker


def _step(tracker: Tracker, frame: int, x: float, y: float, start: bool, big: bool = False) -> None:
    tracker.update(frame, np.array([[x, y]]), np.array([20]), np.array([start]), np.array([big]))


def test_an_object_still_merged_with_its_window_becomes_eligible_once_object_sized() -> None:
    tracker = Tracker()
    _step(tracker, 0, 100.0, 100.0, start=False, big=True)
    assert not tracker.tracks[0].eligible
    _step(tracker, 1, 100.0, 101.0, start=True)
    assert [t.eligible for t in tracker.tracks] == [True]


def test_a_blob_carried_in_from_outside_stays_ineligible() -> None:
    tracker = Tracker()
    _step(tracker, 0, 100.0, 100.0, start=False)  # outside the facade or at its border
    _step(tracker, 1, 100.0, 101.0, start=True)
    assert [t.eligible for t in tracker.tracks] == [False]


def test_growing_eligible_is_only_for_a_young_track() -> None:
    tracker = Tracker()
    _step(tracker, 0, 100.0, 100.0, start=False, big=True)
    for frame in range(1, 6):
        _step(tracker, frame, 100.0, 100.0 + frame, start=False, big=True)
    _step(tracker, 6, 100.0, 106.0, start=True)
    assert [t.eligible for t in tracker.tracks] == [False]
