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


def _two_chains(tracker: Tracker) -> None:
    """Two chance chains (birds, noise) at ~9 px/frame: A heading right-down, B left-down; too
    short to be movers that a lost track's search would revive."""
    for frame in range(1, 5):
        _blobs(tracker, frame, [(40.0 + 4.0 * frame, 80.0 + 8.0 * frame), (84.0 - 4.0 * frame, 72.0 + 8.0 * frame)])


def _track_at(tracker: Tracker, frame: int, x: float) -> list[tuple[int, float]]:
    """(first frame, first x) of the tracks seen at `frame` near column `x`."""
    return [(t.frames[0], t.xy[0][0]) for t in tracker.tracks if t.frames[-1] == frame and abs(t.xy[-1][0] - x) < 1.0]


def test_a_fast_track_does_not_take_a_blob_that_sat_still_where_it_was_heading() -> None:
    tracker = Tracker()
    _two_chains(tracker)
    # An object held at its window shows where A was heading (A takes it), while B is missed.
    _blobs(tracker, 5, [(60.0, 120.0)])
    # A goes on; the object is still there, where B's coasting prediction lands too.
    _blobs(tracker, 6, [(64.0, 128.0), (60.0, 120.0)])
    assert _track_at(tracker, 6, 64.0) == [(1, 44.0)]
    assert _track_at(tracker, 6, 60.0) == [(6, 60.0)]  # a track of its own, not B's


def test_a_fast_track_keeps_its_own_blob_when_it_stops() -> None:
    tracker = Tracker()
    _two_chains(tracker)
    _blobs(tracker, 5, [(60.0, 120.0)])  # A lands: its own blob now stays put
    _blobs(tracker, 6, [(60.5, 120.0)])
    assert _track_at(tracker, 6, 60.5) == [(1, 44.0)]
