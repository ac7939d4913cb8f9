"""Recall of heavy objects and bags at the tracker: births beside movers, objects held out merged."""

from __future__ import annotations

import numpy as np

from detectors.throwing.tracker import Track, Tracker


def _born(tracker: Tracker, frame: int, x: float, y: float) -> Track:
    """The track a single object-sized blob inside the facade starts at `frame`."""
    tracker.update(frame, np.array([[x, y]]), np.array([28]), np.array([True]), np.array([False]))
    return next(t for t in tracker.tracks if t.frames == [frame])


def _lost(tracker: Tracker, track: Track) -> None:
    """Make `track` a mover the tracker lost a moment ago (as its `update` does)."""
    assert track.is_mover()
    tracker._lost.append((track.frames[-1] + 1, track))


def _still_then(points: list[tuple[int, float, float]]) -> Track:
    """A blob sitting at (840, 500) from frame 2 to 50, then seen at `points` (frame, x, y)."""
    track = Track(id=900)
    for frame in range(2, 51):
        track.add(frame, 840.0, 500.0, 20)
    for frame, x, y in points:
        track.add(frame, x, y, 20)
    return track


def test_a_still_blob_that_hopped_to_noise_now_and_then_does_not_veto_a_birth() -> None:
    # A hot pixel's track takes a blob of noise every few frames on its way left: by its ends
    # it is a mover, but it was never seen moving. An object put out of a window where its
    # extrapolation lands is a track of its own.
    tracker = Tracker()
    _lost(tracker, _still_then([(59, 850.3, 483.9), (63, 834.2, 482.2), (67, 795.1, 486.8)]))
    assert _born(tracker, 72, 802.0, 465.7).eligible


def test_a_mover_seen_frame_after_frame_still_vetoes_a_blob_where_it_goes() -> None:
    # The same way, but seen at every frame: a bird or a tumbling bag, and the blob where it
    # is heading is a piece of it.
    tracker = Tracker()
    _lost(tracker, _still_then([(f, 840.0 - 2.65 * (f - 50), 500.0 - 0.8 * (f - 50)) for f in range(51, 68)]))
    born = _born(tracker, 72, 802.0, 465.7)
    assert not born.eligible and born.parent is not None


def _slow_mover(first: int, last: int) -> Track:
    """A blob drifting up and to the left at 1.2 px a frame, seen from `first` to `last`."""
    track = Track(id=901)
    for frame in range(first, last + 1):
        track.add(frame, 804.0 - 1.0 * (frame - last), 475.0 - 0.7 * (frame - last), 20)
    return track


def test_a_slow_mover_watched_briefly_does_not_vouch_for_a_blob_seconds_later() -> None:
    # Watched for 8 frames and lost for 40: its extrapolation lands anywhere. (The blob is too
    # far from it to be given back to it, near enough to be vetoed as its continuation.)
    tracker = Tracker()
    _lost(tracker, _slow_mover(2, 10))
    assert _born(tracker, 50, 789.0, 471.0).eligible


def test_a_slow_mover_watched_for_long_still_vouches_for_a_blob_as_long_after() -> None:
    # A bag drifting slowly for two seconds, lost behind clutter for 40 frames: found again
    # where its drift has carried it, it is that bag.
    tracker = Tracker()
    _lost(tracker, _slow_mover(-38, 10))
    born = _born(tracker, 50, 789.0, 471.0)
    assert not born.eligible and born.parent is not None


def _held(tracker: Tracker, wander_px: float) -> Track:
    """A blob too big to be an object (merged with the hand holding it) for 12 frames, moving
    `wander_px` a frame, then an object-sized blob 5 px below its last place."""
    xy = [(620.0 + wander_px * f, 121.0 + 0.3 * (f % 2)) for f in range(12)]
    for frame, (x, y) in enumerate(xy):
        tracker.update(frame, np.array([[x, y]]), np.array([100]), np.array([False]), np.array([True]))
    x, y = xy[-1]
    tracker.update(12, np.array([[x - 1.0, y + 5.0]]), np.array([30]), np.array([True]), np.array([False]))
    assert len(tracker.tracks) == 1
    return tracker.tracks[0]


def test_an_object_held_out_merged_with_the_hand_is_eligible_when_it_comes_apart() -> None:
    assert _held(Tracker(), 0.0).eligible


def test_a_big_blob_that_wandered_before_it_shrank_stays_ineligible() -> None:
    # A curtain's edge or a lit window's reflection that moved about while too big: what it
    # later sheds was never held still at a window.
    assert not _held(Tracker(), 3.0).eligible
