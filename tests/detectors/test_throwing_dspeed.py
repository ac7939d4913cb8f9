"""The throwing detector's per-frame caches give exactly (bit for bit) what computing afresh gives."""

from __future__ import annotations

import math

import numpy as np

from detectors.throwing.detector import _FragmentEnds
from detectors.throwing.geometry import FacadeGeometry, MetricPath
from detectors.throwing.tracker import Track, Tracker, _states
from tests.detectors.test_throwing_geometry import _world


def _geometry(seed: int) -> FacadeGeometry:
    return _world(seed)[2]


def _random_walk(rng: np.random.Generator, track_id: int, points: int) -> Track:
    track = Track(id=track_id)
    frame = int(rng.integers(0, 100))
    x, y = rng.uniform(0, 1280), rng.uniform(0, 720)
    for _ in range(points):
        track.add(frame, float(x), float(y), int(rng.integers(4, 90)))
        frame += int(rng.integers(1, 4))
        x, y = x + rng.normal(0, 6), y + rng.normal(2, 6)
    return track


def test_a_growing_track_in_metres_is_the_whole_track_converted_afresh() -> None:
    rng = np.random.default_rng(11)
    for seed in range(4):
        geometry, fps = _geometry(seed), float(rng.choice([12.5, 25.0, 30.0]))
        full = _random_walk(rng, 1, 70)  # past the first buffer's size, so it must grow
        path, grown = MetricPath(), Track(id=1)
        for f, (x, y), a in zip(full.frames, full.xy, full.area, strict=True):
            grown.add(f, x, y, a)
            # Asked on some frames only, as the detector does: several points may be new.
            if rng.random() < 0.6:
                continue
            t, xm, ym = path.upto(geometry, grown.frames, grown.xy, fps)
            metric = geometry.to_metric(np.asarray(grown.xy))
            assert t.tobytes() == (np.asarray(grown.frames, dtype=np.float64) / fps).tobytes()
            assert xm.tobytes() == metric[:, 0].copy().tobytes()
            assert ym.tobytes() == metric[:, 1].copy().tobytes()


def test_the_arrays_handed_out_earlier_do_not_change_as_the_track_grows() -> None:
    geometry, track, path = _geometry(3), Track(id=1), MetricPath()
    for f in range(5):
        track.add(f, 600.0, 200.0 + 9 * f, 20)
    before = [a.copy() for a in path.upto(geometry, track.frames, track.xy, 25.0)]
    held = path.upto(geometry, track.frames, track.xy, 25.0)
    for f in range(5, 60):
        track.add(f, 600.0, 200.0 + 9 * f, 20)
        path.upto(geometry, track.frames, track.xy, 25.0)
    assert all(np.array_equal(a, b) for a, b in zip(held, before, strict=True))


def _ends_afresh(tracks: list[Track]) -> tuple[list[int], np.ndarray, np.ndarray, np.ndarray]:
    first = np.array([t.frames[0] for t in tracks], dtype=np.int64)
    last = np.array([t.frames[-1] for t in tracks], dtype=np.int64)
    xy = np.array([t.xy[-1] for t in tracks], dtype=np.float64).reshape(-1, 2)
    return [t.id for t in tracks], first, last, xy


def test_fragment_ends_kept_up_to_date_are_the_ends_built_afresh() -> None:
    rng = np.random.default_rng(7)
    recent: dict[int, Track] = {}
    ends = _FragmentEnds()
    alive = [_random_walk(rng, i, int(rng.integers(1, 4))) for i in range(40)]
    next_id = 40
    for frame in range(300, 500):
        # Some tracks are seen again (the tracker's `updated`), some new ones begin.
        updated = [t for t in alive if rng.random() < 0.5]
        for track in updated:
            track.add(frame, track.xy[-1][0] + rng.normal(0, 5), track.xy[-1][1] + 3.0, 20)
        for _ in range(int(rng.integers(0, 8))):
            alive.append(_random_walk(rng, next_id, 1))
            next_id += 1
        ends.grown(updated)
        tracks, first, last, xy = ends.view()
        ids, first0, last0, xy0 = _ends_afresh(list(recent.values()))
        assert [t.id for t in tracks] == ids
        assert first.tobytes() == first0.tobytes() and last.tobytes() == last0.tobytes()
        assert xy.tobytes() == xy0.tobytes()
        for track in updated:
            if len(track.frames) >= 3 and track.id not in recent:
                recent[track.id] = track
                ends.append(track)
        if frame % 25 == 0:  # forgetting the old ones rebuilds the arrays
            for key in [k for k, t in recent.items() if t.frames[-1] < frame - 21]:
                del recent[key]
            ends = _FragmentEnds(recent.values())
        alive = [t for t in alive if t.frames[-1] >= frame - 3]


def test_the_state_matrix_is_numpy_s_array_of_the_state_rows() -> None:
    rng = np.random.default_rng(2)
    tracks = [_random_walk(rng, i, int(rng.integers(1, 14))) for i in range(300)]
    assert _states(tracks).tobytes() == np.array([t._state for t in tracks]).tobytes()
    assert _states([]).shape == (0, 10)


def test_a_track_s_motion_state_is_its_last_points_worked_out_afresh() -> None:
    rng = np.random.default_rng(4)
    for i in range(200):
        track = _random_walk(rng, i, int(rng.integers(1, 8)))
        (x, y), f, n = track.xy[-1], track.frames[-1], len(track.frames)
        v, a = (0.0, 0.0), (0.0, 0.0)
        if n >= 2:
            g1 = max(f - track.frames[-2], 1)
            v = ((x - track.xy[-2][0]) / g1, (y - track.xy[-2][1]) / g1)
        if n >= 3:
            g0 = max(track.frames[-2] - track.frames[-3], 1)
            v0 = [(track.xy[-2][k] - track.xy[-3][k]) / g0 for k in (0, 1)]
            a = (min(max((v[0] - v0[0]) / g1, -3.0), 3.0), min(max((v[1] - v0[1]) / g1, -3.0), 3.0))
        size = float(track.area[0])
        for area in track.area[1:]:
            size = 0.7 * size + 0.3 * area
        assert track._state == (x, y, f, n, v[0], v[1], a[0], a[1], math.hypot(*v), size)


def test_the_gate_pairs_found_in_bands_are_every_pair_a_gate_accepts() -> None:
    rng = np.random.default_rng(9)
    tracker = Tracker()
    for trial in range(30):
        tracks = [_random_walk(rng, i, int(rng.integers(1, 6))) for i in range(60)]
        frame = max(t.frames[-1] for t in tracks) + 1
        # Blobs crowded around the tracks' last points: beside them, and far below young ones.
        anchors = np.array([t.xy[-1] for t in tracks])[rng.integers(0, len(tracks), 300)]
        xy = anchors + np.column_stack([rng.uniform(-35, 35, 300), rng.uniform(-20, 60, 300)])
        area = rng.integers(4, 120, 300)
        state = _states(tracks)
        ti, bi, ratio = tracker._pairs(frame, state, xy, area)
        found = sorted(zip(ti.tolist(), bi.tolist(), ratio.tolist(), strict=True))
        every = []
        for t, track in enumerate(tracks):
            px, py, gate = track.predict(frame)
            for b in range(len(xy)):
                dx, dy = xy[b, 0] - px, xy[b, 1] - py
                r = float(np.hypot(dx, dy) / gate)
                if len(track.frames) == 1:
                    fall = max(abs(dx) / (8.0 + 0.3 * max(dy, 0.0)), dy / 50.0) if dy >= -4.0 else np.inf
                    r = min(r, float(fall))
                size, blob = state[t, 9], area[b]
                if max(blob / size, size / max(blob, 1)) > 4.0 and max(blob, size) > 60:
                    continue
                if r <= 1.0:
                    every.append((t, b, r))
        assert found == sorted(every), trial
