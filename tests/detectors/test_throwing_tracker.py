"""The tracker's eligibility rules: which tracks may become a throw."""

from __future__ import annotations

import gc
import weakref

import cv2
import numpy as np
import pytest

from detectors.throwing.stabilise import ShakeEstimator
from detectors.throwing.tracker import Track, Tracker, _predict, _states, adopt


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


def test_the_prediction_extrapolates_the_fall_and_gates_by_speed_gap_and_stillness() -> None:
    # Worked by hand from the gate rules in `_predict`.
    falling = Track(id=1)
    for frame, y in ((0, 100.0), (1, 101.0), (2, 104.0)):  # 1 then 3 px/frame: 2 px/frame²
        falling.add(frame, 50.0, y, 20)
    once = Track(id=2)
    once.add(5, 10.0, 20.0, 20)
    still = Track(id=3)
    for frame in range(12):
        still.add(frame, 50.0 + 0.01 * frame, 70.0, 20)
    # two frames on: 104 + 3·2 + ½·2·2², gate 5 + 0.35·3·2 + 1.5·2
    assert falling.predict(4) == pytest.approx((50.0, 114.0, 10.1))
    # seen once: where it was, a round gate widening with the gap (6 + 3·3)
    assert once.predict(8) == pytest.approx((10.0, 20.0, 15.0))
    # sat still for long: the tight gate, not widened by the gap (3 + 0.35·0.01·2 + 1.5)
    assert still.predict(13) == pytest.approx((50.13, 70.0, 4.507))
    # all at once, from the packed rows the tracker reads: the same predictions
    rows = _predict(_states([falling, once, still]), 13)
    assert rows.tolist() == [list(t.predict(13)) for t in (falling, once, still)]


def test_a_young_track_takes_a_blob_at_the_reach_of_its_fall_gate_and_not_beyond() -> None:
    for below, caught in ((45.0, True), (49.0, True), (52.0, False)):
        tracker = Tracker()
        _step(tracker, 0, 100.0, 100.0, start=True)
        # Noise all around, and the blob a falling object would make `below` pixels down.
        xy = np.array([[100.0, 100.0 + below], [40.0, 100.0], [160.0, 90.0], [100.0, 20.0], [100.0, 300.0]])
        updated, _ = tracker.update(1, xy, np.full(len(xy), 20), np.zeros(len(xy), dtype=bool))
        assert bool(updated) == caught, below
        if caught:
            assert updated[0].xy[-1] == (100.0, 100.0 + below)


def test_the_nearest_blob_wins_whatever_the_order_of_the_blobs() -> None:
    for order in ([0, 1, 2], [2, 1, 0], [1, 2, 0]):
        tracker = Tracker()
        for frame in range(4):
            _step(tracker, frame, 100.0, 100.0 + 4.0 * frame, start=True)
        blobs = np.array([[100.0, 121.0], [101.0, 116.5], [99.0, 113.0]])[order]
        updated, _ = tracker.update(4, blobs, np.full(3, 20), np.ones(3, dtype=bool))
        assert [t.xy[-1] for t in updated] == [(101.0, 116.5)]


def test_shake_of_a_still_noisy_camera_is_nothing_and_of_a_shaken_one_the_nearest_pixel() -> None:
    # (Here rather than in a file of its own: the tracker's input is only as clean as this.)
    # A facade of lit and dark windows under heavy, slightly blurred (compressed) sensor noise,
    # as at night: a vertex fit on the reduced correlation read it as a pixel off and lit every
    # window edge.
    rng = np.random.default_rng(11)
    wall = np.full((400, 240), 60.0, np.float32)
    for top in range(10, 390, 40):
        for left in range(10, 230, 55):
            wall[top : top + 24, left : left + 30] = rng.choice([15.0, 220.0])
    shake = ShakeEstimator(wall.shape)
    reference = shake.reference(shake.reduce(wall))
    for _ in range(10):
        noise = cv2.GaussianBlur(rng.normal(0, 1, wall.shape).astype(np.float32), (0, 0), 1.0)
        noisy = wall + 20.0 * noise / noise.std()
        dx, dy = shake.measure(reference, shake.reduce(noisy))
        assert (round(dx), round(dy)) == (0, 0)
    for dx, dy in ((2.3, -0.8), (-5.6, 3.2), (0.7, 0.2), (12.0, -9.4)):
        moved = cv2.warpAffine(wall, np.float32([[1, 0, dx], [0, 1, dy]]), (240, 400), borderMode=cv2.BORDER_REPLICATE)
        mx, my = shake.measure(reference, shake.reduce(moved + rng.normal(0, 3, wall.shape).astype(np.float32)))
        assert abs(mx - dx) <= 0.6 and abs(my - dy) <= 0.6, (dx, dy, mx, my)


def test_a_line_of_tracks_each_continuing_the_one_before_does_not_keep_them_all_alive() -> None:
    # A mover re-found again and again (laundry swinging all night) spawns track after track,
    # each continuing the one before; the first ones must not live as long as the last one.
    first = Track(id=0)
    first.add(0, 100.0, 100.0, 20)
    oldest = weakref.ref(first)
    last = first
    for n in range(1, 50):
        track = Track(id=n)
        track.add(n, 100.0, 100.0 + n, 20)
        adopt(track, last)
        assert track.parent is last  # what the link search reads is kept
        last = track
    del first, track
    gc.collect()
    assert oldest() is None
    depth, up = 0, last
    while up.parent is not None:
        depth, up = depth + 1, up.parent
    assert depth <= 2
