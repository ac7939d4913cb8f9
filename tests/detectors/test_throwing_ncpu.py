"""The night CPU work of session 9: each screen or shortcut gives exactly what the plain computation gives."""

from __future__ import annotations

import numpy as np
import pytest

from detectors.throwing.detector import _HOPS, ThrowingDetector, _FragmentEnds, _patchy
from detectors.throwing.foreground import Blobs
from detectors.throwing.physics import FallLimits, judge_fall
from detectors.throwing.tracker import Track, Tracker
from ingest.registry import Facade

FACADE = Facade(corners_px=[[512, 32], [768, 32], [936, 656], [344, 656]], floors=16, lowest_floor=3, columns=6)
FPS = 25.0


def _walk(rng: np.random.Generator, track_id: int, points: int, drift: tuple[float, float]) -> Track:
    track = Track(id=track_id)
    frame = int(rng.integers(0, 100))
    x, y = rng.uniform(0, 1280), rng.uniform(0, 720)
    for _ in range(points):
        track.add(frame, float(x), float(y), 20)
        frame += int(rng.integers(1, 4))
        x, y = x + drift[0] + rng.normal(0, 6), y + drift[1] + rng.normal(0, 6)
    return track


def test_fragment_boxes_kept_up_to_date_hold_exactly_every_point_seen() -> None:
    rng = np.random.default_rng(21)
    recent: dict[int, Track] = {}
    ends = _FragmentEnds()
    alive = [_walk(rng, i, int(rng.integers(1, 4)), (rng.normal(0, 5), rng.normal(3, 5))) for i in range(40)]
    next_id = 40
    checked = 0
    for frame in range(300, 500):
        updated = [t for t in alive if rng.random() < 0.6]
        for track in updated:  # drifting on: most boxes keep growing after the fragment was added
            track.add(frame, track.xy[-1][0] + rng.normal(2, 6), track.xy[-1][1] + rng.normal(3, 6), 20)
        for _ in range(int(rng.integers(0, 6))):
            alive.append(_walk(rng, next_id, 1, (0.0, 0.0)))
            next_id += 1
        ends.grown(updated)
        tracks, *_ = ends.view()
        boxes = ends.boxes()
        assert len(boxes) == len(tracks)
        for track, box in zip(tracks, boxes.tolist(), strict=True):
            xs, ys = [x for x, _ in track.xy], [y for _, y in track.xy]
            assert box == [min(xs), min(ys), max(xs), max(ys)]
            checked += 1
        for track in updated:
            if len(track.frames) >= 3 and track.id not in recent:
                recent[track.id] = track
                ends.append(track)
        if frame % 25 == 0:
            for key in [k for k, t in recent.items() if t.frames[-1] < frame - 21]:
                del recent[key]
            ends = _FragmentEnds(recent.values())
        alive = [t for t in alive if t.frames[-1] >= frame - 3]
    assert checked > 1000


def _paths(rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Sightings of falls and of noise, seen in every frame or with gaps of every length."""
    paths = []
    for _ in range(3000):
        n = int(rng.integers(6, 40))
        gaps = rng.choice([1, 1, 1, 2, 3, 5], size=n - 1, p=rng.dirichlet(np.ones(6)))
        frames = np.concatenate([[0], np.cumsum(gaps)]) + int(rng.integers(0, 50))
        t = frames.astype(np.float64) / FPS
        tau = t - t[0]
        if rng.random() < 0.5:  # a fall from rest (heavy or light), with a few cm of noise
            accel = rng.choice([9.81, 1.5])
            y = 40.0 - 0.5 * accel * tau**2 + rng.normal(0, 0.03, n)
            x = 5.0 + rng.normal(0, 0.5) * tau + rng.normal(0, 0.03, n)
        else:
            y = 40.0 + np.cumsum(rng.normal(-0.2, 0.3, n))
            x = 5.0 + np.cumsum(rng.normal(0, 0.3, n))
        paths.append((t, x, y))
    return paths


def test_a_patchy_path_is_one_judge_fall_refuses_without_a_retry() -> None:
    limits = FallLimits()
    rng = np.random.default_rng(5)
    patchy = falls = patchy_falls = 0
    for t, x, y in _paths(rng):
        verdict, _ = judge_fall(t, x, y, FPS, limits)
        falls += verdict.is_fall
        if _patchy(t, FPS, limits, np.column_stack((x[:3], y[:3]))):
            patchy += 1
            assert not verdict.is_fall and verdict.reason not in _HOPS
        elif _patchy(t, FPS, limits, np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])):
            patchy_falls += verdict.is_fall  # patchy, but from a rest: judge_fall's to decide
    assert patchy > 300 and falls > 100  # (both kinds were met)
    assert patchy_falls > 0  # a patchy free fall from a rest is one (a small heavy object fading)


class _Blobs:
    """A foreground that hands out fixed blobs, frame after frame."""

    def __init__(self, frames: list[np.ndarray]) -> None:
        self._frames = frames
        self._k = 0

    def apply(self, gray: np.ndarray) -> Blobs:
        xy = self._frames[min(self._k, len(self._frames) - 1)]
        self._k += 1
        return Blobs(xy, np.full((len(xy), 2), 3), np.full(len(xy), 9), False)


def _night_blobs(seed: int, count: int) -> list[np.ndarray]:
    """ROI blobs of a noisy night: lights that flicker, noise that wanders, and objects falling
    (heavy and light) that are lost for a few frames on the way."""
    rng = np.random.default_rng(seed)
    lights = rng.uniform([10, 10], [410, 610], (60, 2))
    walkers = rng.uniform([10, 10], [410, 610], (40, 2))
    falls: list[tuple[int, float, float, float, set[int]]] = []
    frames = []
    for f in range(count):
        if rng.random() < 0.12:
            lost = set(range(int(rng.integers(4, 12)), int(rng.integers(14, 22))))
            falls.append((f, rng.uniform(40, 380), rng.uniform(20, 200), float(rng.choice([0.6, 0.05])), lost))
        walkers += rng.normal([0, 0.6], 2.0, walkers.shape)
        pts = [lights[rng.random(len(lights)) < 0.8], walkers[rng.random(len(walkers)) < 0.7]]
        for f0, x0, y0, accel, lost in falls:
            k = f - f0
            if k in lost:
                continue
            y = y0 + 0.5 * accel * k * k + (1.0 * k if accel < 0.1 else 0.0)
            if y < 620:
                pts.append(np.array([[x0 + 0.4 * k, y]]))
        frames.append(np.concatenate(pts) + rng.normal(0, 0.3, (sum(len(p) for p in pts), 2)))
    return frames


def _unscreened(self: _FragmentEnds) -> np.ndarray:
    """Boxes that hold the whole image plane: no fragment is screened out."""
    return np.tile([-np.inf, -np.inf, np.inf, np.inf], (len(self.view()[0]), 1))


def assert_screen_changes_nothing(monkeypatch: pytest.MonkeyPatch, seeds: tuple[int, ...], target: object,
                                  name: str, unscreened: object) -> None:
    """Two detectors on the same random night blobs, one with `target.name` replaced by `unscreened`
    (a screen switched off): the same detections and, for every track at every length (the
    detector asks at a few lengths only), the same earlier fragment found."""
    for seed in seeds:
        screened = ThrowingDetector(FACADE, FPS, "screen")
        plain = ThrowingDetector(FACADE, FPS, "screen")
        blobs = _night_blobs(seed, 200)
        image = np.zeros((720, 1280), np.uint8)
        for detector in (screened, plain):
            detector._start(0, image)
            detector._fg = _Blobs(blobs)  # type: ignore[assignment]
        linked = 0
        for index in range(len(blobs)):
            found = screened.process(index, image)
            with monkeypatch.context() as patch:
                patch.setattr(target, name, unscreened)
                expected = plain.process(index, image)
            assert [d.to_json() for d in found] == [d.to_json() for d in expected]
            for x, y in zip(screened._tracker.tracks, plain._tracker.tracks, strict=True):
                assert x.id == y.id
                if len(x.frames) < 3:
                    continue
                link = screened._find_earlier(x)
                with monkeypatch.context() as patch:
                    patch.setattr(target, name, unscreened)
                    other = plain._find_earlier(y)
                assert (link and (link[0].id, link[1])) == (other and (other[0].id, other[1]))
                linked += link is not None
        assert linked > 20


def test_earlier_fragments_found_with_the_box_screen_are_those_found_without_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert_screen_changes_nothing(monkeypatch, (1, 2), _FragmentEnds, "boxes", _unscreened)


def test_a_lost_track_is_never_among_the_alive_ones_and_none_is_there_twice() -> None:
    tracker = Tracker()
    blobs = _night_blobs(3, 200)
    revived = 0
    for frame, xy in enumerate(blobs):
        xy = xy + np.array([344.0, 32.0])
        n = len(xy)
        before = {id(t) for _, t in tracker._lost}
        tracker.update(frame, xy, np.full(n, 9), np.ones(n, dtype=bool), np.zeros(n, dtype=bool))
        alive = [id(t) for t in tracker.tracks]
        assert len(alive) == len(set(alive))
        assert not {id(t) for _, t in tracker._lost} & set(alive)
        revived += len(before & set(alive))
    assert revived > 5
