"""The night CPU work of session 10: each shortcut gives exactly (bit for bit) what the plain computation gives."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest

import detectors.throwing.detector as detector_module
import detectors.throwing.physics as physics
from detectors.throwing.detector import _FragmentEnds
from detectors.throwing.physics import FallLimits, _median, _polyfit, _smooth3, judge_fall
from detectors.throwing.tracker import Track
from tests.detectors.test_throwing_ncpu import FPS, _walk, assert_screen_changes_nothing


def _bits(value: float) -> bytes:
    return struct.pack("d", value)


def _samples(rng: np.random.Generator, count: int) -> list[np.ndarray]:
    """Short arrays as the decisions see them: metres, with ties (repeated blobs), signed zeros and
    lengths both odd and even."""
    out = []
    for _ in range(count):
        n = int(rng.integers(1, 70))
        v = rng.normal(rng.normal(0, 20), rng.uniform(0.01, 5), n)
        if rng.random() < 0.4:
            v = np.round(v, 1)  # ties
        if rng.random() < 0.1:
            v[rng.random(n) < 0.3] = -0.0
        out.append(v)
    return out


def test_the_median_of_a_short_array_is_numpys_to_the_bit() -> None:
    rng = np.random.default_rng(3)
    for v in _samples(rng, 5000):
        assert _bits(_median(v)) == _bits(float(np.median(v))) or (_median(v) == 0.0 == float(np.median(v)))
    assert math.isnan(_median(np.zeros(0)))


def test_the_fit_of_a_line_or_a_parabola_is_numpys_polyfit_to_the_bit() -> None:
    rng = np.random.default_rng(4)
    fits = 0
    for v in _samples(rng, 4000):
        if len(v) < 3:
            continue
        gaps = rng.choice([1, 1, 1, 2, 3], size=len(v) - 1)
        t = (np.concatenate([[0], np.cumsum(gaps)]) + int(rng.integers(0, 9000))) / FPS
        for x in (t, t - t[0]):
            for deg in (1, 2):
                assert _polyfit(x, v, deg).tobytes() == np.polyfit(x, v, deg).tobytes()
                fits += 1
    assert fits > 10000


def test_a_poorly_conditioned_fit_warns_as_numpys_does() -> None:
    with pytest.warns(np.exceptions.RankWarning):
        _polyfit(np.ones(5), np.arange(5.0), 2)


def test_the_median_of_three_neighbours_is_numpys_along_the_axis() -> None:
    rng = np.random.default_rng(5)
    for v in _samples(rng, 3000):
        if len(v) < 3:
            continue
        plain = np.concatenate([v[:1], np.median(np.stack([v[:-2], v[1:-1], v[2:]]), axis=0), v[-1:]])
        assert np.array_equal(_smooth3(v), plain)


def _arrivals(rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Paths judge_fall refuses or takes for having arrived fast: heavy objects found mid-fall (long
    after their release, or just after it), rain and birds passing at speed, and noise."""
    paths = []
    for _ in range(2500):
        n = int(rng.integers(6, 30))
        gaps = rng.choice([1, 1, 1, 1, 2], size=n - 1)
        frames = np.concatenate([[0], np.cumsum(gaps)]) + int(rng.integers(0, 50))
        t = frames.astype(np.float64) / FPS
        kind = rng.integers(0, 3)
        if kind == 0:  # a heavy object found already falling, released a moment before
            since = rng.uniform(0.05, 1.2)
            tau = t - t[0] + since
            y = 40.0 - 0.5 * rng.uniform(7.0, 11.0) * tau**2 + rng.normal(0, 0.03, n)
            x = 5.0 + rng.normal(0, 1.5) * tau + rng.normal(0, 0.03, n)
        elif kind == 1:  # something passing at a steady speed in any direction
            v = rng.normal(0, 8, 2)
            y = 40.0 + v[1] * (t - t[0]) + rng.normal(0, 0.05, n)
            x = 5.0 + v[0] * (t - t[0]) + rng.normal(0, 0.05, n)
        else:
            y = 40.0 + np.cumsum(rng.normal(-0.3, 0.5, n))
            x = 5.0 + np.cumsum(rng.normal(0, 0.5, n))
        paths.append((t, x, y))
    return paths


def test_a_path_that_arrived_fast_is_judged_as_with_the_parabola_fitted_first(monkeypatch: pytest.MonkeyPatch) -> None:
    limits = FallLimits()
    rng = np.random.default_rng(6)
    paths = _arrivals(rng)
    verdicts = [judge_fall(t, x, y, FPS, limits) for t, x, y in paths]
    # The plain computation: the parabola fitted for every path that arrived fast.
    monkeypatch.setattr(physics, "_may_have_fallen_from_rest", lambda *args: True)
    plain = [judge_fall(t, x, y, FPS, limits) for t, x, y in paths]
    assert verdicts == plain
    reasons = [v.reason for v, _ in verdicts]
    found = sum(v.is_fall and r is not None and r.traced for v, r in verdicts)
    assert reasons.count("arrived_moving") > 300 and found > 20  # (both outcomes were met)


def _travels_plainly(track: Track) -> bool:
    """`Track.travels` as written before: every test worked out, then joined."""
    n = len(track.frames)
    k = min(n, 50)
    pts = track.xy[-k:]
    path = sum(math.hypot(b[0] - a[0], b[1] - a[1]) for a, b in zip(pts, pts[1:], strict=False))
    net = math.hypot(pts[-1][0] - pts[0][0], pts[-1][1] - pts[0][1])
    steps = sum(math.hypot(b[0] - a[0], b[1] - a[1]) >= 1.0 for a, b in zip(pts[-5:], pts[-4:], strict=False))
    seen = track.frames[-1] - track.frames[-min(n, 5)] <= 2 * (min(n, 5) - 1)
    return track.is_mover() and net >= 0.5 * path and steps >= 3 and seen


def test_a_track_travels_with_the_cheap_tests_first_as_with_all_of_them() -> None:
    rng = np.random.default_rng(7)
    kinds = {True: 0, False: 0}
    for i in range(3000):
        # Movers seen in most frames, still blobs, laundry swinging back, chains seen in patches.
        track, frame = Track(id=i), int(rng.integers(0, 100))
        drift, jitter, swing = rng.normal(0, 3, 2) * (rng.random() < 0.7), rng.uniform(0.2, 4), rng.random() < 0.3
        x, y = rng.uniform(0, 1280, 2)
        for k in range(int(rng.integers(1, 80))):
            track.add(frame, float(x), float(y), 20)
            frame += int(rng.choice([1, 1, 1, 2, 3]) if rng.random() < 0.8 else rng.integers(1, 6))
            sign = -1.0 if swing and (k // 10) % 2 else 1.0
            x, y = x + sign * drift[0] + rng.normal(0, jitter), y + sign * drift[1] + rng.normal(0, jitter)
        assert track.travels() == _travels_plainly(track)
        kinds[track.travels()] += 1
    assert min(kinds.values()) > 200


def test_a_table_of_some_fragments_is_the_table_built_afresh_from_them() -> None:
    rng = np.random.default_rng(8)
    alive = [_walk(rng, i, int(rng.integers(3, 6)), (rng.normal(0, 5), rng.normal(3, 5))) for i in range(60)]
    ends = _FragmentEnds(alive[:30])
    for track in alive[30:]:
        ends.append(track)
    next_id, checked = 60, 0
    for frame in range(300, 420):
        updated = [t for t in alive if rng.random() < 0.6]
        for track in updated:
            track.add(frame, track.xy[-1][0] + rng.normal(2, 6), track.xy[-1][1] + rng.normal(3, 6), 20)
        ends.grown(updated)
        for _ in range(int(rng.integers(0, 4))):
            track = _walk(rng, next_id, 3, (0.0, 2.0))
            next_id += 1
            alive.append(track)
            ends.append(track)
        if frame % 10 == 0:
            kept = [t for t in ends.view()[0] if rng.random() < 0.8]
            ends = ends.subset(kept)
            fresh = _FragmentEnds(kept)
            for mine, theirs in zip((*ends.view()[1:], ends.boxes()), (*fresh.view()[1:], fresh.boxes()), strict=True):
                assert mine.tobytes() == theirs.tobytes()
                checked += len(mine)
            assert ends.view()[0] == fresh.view()[0]
    assert checked > 1000


def test_earlier_fragments_found_with_the_end_screen_are_those_found_without_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unscreened(f0: int, x1: float, y1: float, reach: object, last: np.ndarray, end_xy: np.ndarray) -> np.ndarray:
        return np.ones(len(last), dtype=bool)

    assert_screen_changes_nothing(monkeypatch, (3, 4), detector_module, "_may_reach", unscreened)
