"""How the tracker hands objects near clutter to the decisions: what starts, continues or ends a track."""

from __future__ import annotations

import numpy as np

from detectors.throwing.tracker import Tracker


def _blobs(tracker: Tracker, frame: int, points: list[tuple[float, float]], start: bool = True) -> None:
    n = len(points)
    tracker.update(
        frame,
        np.array(points, dtype=np.float64).reshape(-1, 2),
        np.full(n, 20),
        np.full(n, start),
        np.zeros(n, dtype=bool),
    )


def test_a_still_blob_that_fades_does_not_hop_onto_an_object_that_appears_beside_it() -> None:
    tracker = Tracker()
    for frame in range(12):  # a window light (not a throw: it may not start one)
        _blobs(tracker, frame, [(100.0, 100.0)], start=False)
    # It fades for five frames; then an object shows 9 px below it, where nothing was.
    _blobs(tracker, 17, [(100.0, 109.0)])
    light = next(t for t in tracker.tracks if t.frames[0] == 0)
    assert light.frames[-1] == 11
    fresh = [t for t in tracker.tracks if t.frames[0] == 17]
    assert len(fresh) == 1 and fresh[0].eligible


def test_a_still_blob_that_fades_is_found_again_in_place() -> None:
    tracker = Tracker()
    for frame in range(12):
        _blobs(tracker, frame, [(100.0, 100.0)], start=False)
    _blobs(tracker, 17, [(101.0, 101.0)])
    assert len(tracker.tracks) == 1 and tracker.tracks[0].frames[-1] == 17
