"""The night CPU work of session 13: the looks for earlier fragments made all at once, and the
median slope, give exactly what the plain computations, one at a time, give."""

from __future__ import annotations

from bisect import bisect_left

import numpy as np

from detectors.throwing.detector import (
    ALL,
    LINK_AFTER_POINTS,
    MAX_BEFORE_S,
    RING,
    ThrowingDetector,
    _FragmentEnds,
    _lost_at,
)
from detectors.throwing.linking import LinkLimits, link_error, link_errors, slow_link_error, strays_at_end
from detectors.throwing.physics import _median_slope
from detectors.throwing.tracker import Track
from tests.detectors.test_throwing_ncpu import FACADE, FPS, _Blobs, _night_blobs, _walk


def _fragment(rng: np.random.Generator, n: int, t0: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sightings (t_s, x_m, y_m) of something falling, hovering or climbing, on frames with gaps."""
    frames = np.cumsum(rng.choice([1, 1, 1, 2, 3], size=n))
    t = t0 + frames / FPS
    vy, vx = rng.normal(-3.0, 4.0), rng.normal(0.0, 1.0)
    y = 30.0 + vy * (t - t0) - 0.5 * rng.uniform(0, 12) * (t - t0) ** 2 + rng.normal(0, 0.05, n)
    x = 5.0 + vx * (t - t0) + rng.normal(0, 0.05, n)
    return t, x, y


def test_link_errors_of_many_pairs_are_link_error_of_each_bit_for_bit() -> None:
    rng = np.random.default_rng(13)
    limits = LinkLimits()
    ends, starts, expected = [], [], []
    for _ in range(4000):
        before = _fragment(rng, int(rng.integers(1, 12)), 0.0)
        # The later one begins shortly after (or, now and then, before) the earlier one ends,
        # near where it ended: most pairs fail one test or another, some link.
        after = _fragment(rng, int(rng.integers(1, 9)), float(before[0][-1]) + rng.uniform(-0.1, 0.9))
        shift = rng.normal(0, 1.0, 2)
        x, y = after[1] - after[1][0] + before[1][-1] + shift[0], after[2] - 30.0 + before[2][-1] + shift[1]
        after = (after[0], x, y)
        b, k = len(before[0]) - min(len(before[0]), 5), min(len(after[0]), 5) - 1
        ends.append([(v[b], v[-1]) for v in before])
        starts.append([(v[0], v[k]) for v in after])
        expected.append(link_error(before, after, limits))
    e, s = np.array(ends), np.array(starts)  # (N, 3, 2)
    got = link_errors((e[:, 0], e[:, 1], e[:, 2]), (s[:, 0], s[:, 1], s[:, 2]), limits)
    for mine, theirs in zip(got.tolist(), expected, strict=True):
        assert (np.isnan(mine) and theirs is None) or mine == theirs
    linked = sum(x is not None for x in expected)
    assert 100 < linked < 3900  # (both kinds were met)


def test_the_last_sighting_before_a_frame_from_the_latest_kept_is_the_one_bisect_finds() -> None:
    rng = np.random.default_rng(14)
    tracks = [_walk(rng, i, int(rng.integers(3, 80)), (0.0, 2.0)) for i in range(300)]
    ends = _FragmentEnds(tracks[:100])
    for track in tracks[100:]:  # (some added short, grown one point a frame after)
        short = Track(id=track.id)
        for f, (x, y) in zip(track.frames[:3], track.xy[:3], strict=True):
            short.add(f, x, y, 20)
        ends.append(short)
        for k, (f, (x, y)) in enumerate(zip(track.frames[3:], track.xy[3:], strict=True)):
            short.add(f, x, y, 20)
            if k % 7 != 3:  # (now and then two points at once: the row is filled afresh)
                ends.grown([short])
        ends.grown([short])
    rows = np.repeat(np.arange(len(tracks)), 8)
    f0 = np.array([int(rng.integers(t.frames[0] - 3, t.frames[-1] + 4)) for t in tracks for _ in range(8)])
    end, known = ends.before(rows, f0)
    kept = 0
    for row, f, e, ok in zip(rows.tolist(), f0.tolist(), end.tolist(), known.tolist(), strict=True):
        track = tracks[row]
        expected = bisect_left(track.frames, f) - 1
        n = len(track.frames)
        assert ok == (n <= RING or expected - 4 >= n - RING)
        if not ok:
            continue
        kept += 1
        assert e == expected
        for i in {e, max(e - 4, 0)} - {-1}:
            frame, xy = ends.sighting(np.array([row]), np.array([i]))
            assert (int(frame[0]), tuple(xy[0].tolist())) == (track.frames[i], track.xy[i])
    assert kept > 1500 and kept < len(rows)


def _plain_find_earlier(self: ThrowingDetector, track: Track) -> tuple[Track, int] | None:
    """`_find_earlier` one fragment at a time, without screens: every fragment, its own tests."""
    assert self.geometry is not None
    f0 = track.frames[0]
    parent = track.parent
    if parent is not None and parent.eligible and parent.frames[0] < f0 and not track.eligible:
        return parent, f0
    ys = [y for _, y in track.xy]
    fast = len(ys) <= self._limits.min_points and ys[-1] - ys[0] >= 2.0 * (len(ys) - 1)
    fast = fast and all(b - a >= 0.5 for a, b in zip(ys, ys[1:], strict=False))
    if not fast and not self._may_sink_slowly(ys):
        return None
    horizon = f0 - self._links.max_gap_s * self.fps
    x1, y1 = track.xy[0]
    ppm = float(self.geometry.px_per_m(np.array([[x1, y1]]))[0])
    reach_x, reach_up, reach_down = 3.0 * ppm, 1.0 * ppm, 8.0 * ppm
    best: tuple[float, tuple[Track, int]] | None = None
    found: list[tuple[Track, int]] = []
    for other in self._ends.view()[0]:
        first = other.frames[0]
        if other is track or not f0 - MAX_BEFORE_S * self.fps <= first <= f0 - LINK_AFTER_POINTS:
            continue
        if other.frames[-1] < horizon:
            continue
        end = bisect_left(other.frames, f0) - 1
        x0, y0 = other.xy[end]
        reached = abs(x1 - x0) <= reach_x and -reach_up <= y1 - y0 <= reach_down
        if other.frames[-1] < f0 and not reached:
            continue  # (where it was last seen, before the track began, is out of reach)
        ended = end >= LINK_AFTER_POINTS - 1 and other.frames[end] >= horizon
        if not fast and not (ended and reached and self._sank_long_enough(other, f0) and self._chain_eligible(other)):
            continue
        if fast and self._still_from_warmup(other, f0) and not self._chain_eligible(other):
            continue
        after = self._metric((track, ALL))
        error, upto = None, f0
        if not fast:
            error = slow_link_error(self._metric_before(other, f0), after, self._slow_links, 1.0 / ppm)
        elif ended and reached:
            error = link_error(self._metric_before(other, f0), after, self._links)
        if fast and error is None and end >= LINK_AFTER_POINTS - 1:
            # Lost the object where it was last lower, and went on with something else.
            cut = _lost_at(other, end, horizon)
            if cut is not None:
                xc, yc = other.xy[cut]
                if abs(x1 - xc) <= reach_x and -reach_up <= y1 - yc <= reach_down:
                    upto = other.frames[cut + 1]
                    error = link_error(self._metric_before(other, upto), after, self._links)
        if error is not None:
            found.append((other, upto))
            if best is None or error < best[0]:
                best = (error, (other, upto))
    if best is None:
        return None
    other, upto = best[1]
    if fast:
        # The latest of the linking pieces seen wholly between the best fit's last sighting and
        # the track, that continue none of their own (see `_skipped`), is the one it continues.
        last = other.frames[bisect_left(other.frames, upto) - 1]
        between = [
            (piece, at)
            for piece, at in found
            if last < piece.frames[0] and piece.frames[-1] < f0 and self._link.get(piece.id) is None
        ]
        if between:
            return max(between, key=lambda found: found[0].frames[-1])
    if not fast:
        # A slow link's fragment ends at its last sighting on its steady sink (`strays_at_end`).
        before = self._metric_before(other, f0)
        strays = strays_at_end(before, self._slow_links, 1.0 / ppm)
        if strays:
            return other, other.frames[len(before[0]) - strays]
    return other, upto


def test_earlier_fragments_found_all_at_once_are_those_found_one_by_one() -> None:
    linked = fast = 0
    for seed in (1, 2, 5):
        detector = ThrowingDetector(FACADE, FPS, "batch")
        blobs = _night_blobs(seed, 200)
        image = np.zeros((720, 1280), np.uint8)
        detector._start(0, image)
        detector._fg = _Blobs(blobs)  # type: ignore[assignment]
        for index in range(len(blobs)):
            detector.process(index, image)
            tracks = [t for t in detector._tracker.tracks if len(t.frames) >= LINK_AFTER_POINTS]
            # Made for many tracks at once, each look is the one made for its track alone ...
            for together, alone in zip(detector._look(tracks), (detector._look([t])[0] for t in tracks), strict=True):
                assert (together is None) == (alone is None)
                if together is not None and alone is not None:
                    assert together.rows.tolist() == alone.rows.tolist()
                    assert together.ppm == alone.ppm and together.points == alone.points
                    if together.errors is not None and alone.errors is not None:
                        fast += 1
                        assert together.errors.tobytes() == alone.errors.tobytes()
                        assert together.warm.tolist() == alone.warm.tolist()
            # ... and the fragment found is the one the plain search, a fragment at a time, finds.
            for track in tracks:
                # (The plain search first: the real one may link a piece between to the best fit.)
                plain = _plain_find_earlier(detector, track)
                link = detector._find_earlier(track)
                assert (link and (link[0].id, link[1])) == (plain and (plain[0].id, plain[1]))
                linked += link is not None
    assert linked > 50 and fast > 50


def test_the_median_slope_is_numpys_median_of_all_pairwise_slopes() -> None:
    rng = np.random.default_rng(15)
    for _ in range(3000):
        n = int(rng.integers(0, 30))
        t = np.sort(rng.choice(np.arange(60), size=n)) / FPS  # (repeated times now and then)
        y = np.round(rng.normal(0, 2, n), int(rng.integers(0, 3)))  # (ties among the slopes)
        i, j = np.triu_indices(n, k=1)
        dt = t[j] - t[i]
        ok = dt > 0
        plain = float(np.median((y[j] - y[i])[ok] / dt[ok])) if n >= 2 and ok.any() else 0.0
        assert _median_slope(t, y) == plain
