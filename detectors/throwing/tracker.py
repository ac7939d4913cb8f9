"""Multi-object tracking of foreground blobs with a constant-acceleration prediction."""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field

import numpy as np

# A track that stays this close (pixels, centroid jitter) to one point for this many sightings
# (about a quarter second) sits at that place: something held or lying at a window, or a fixed
# light; a bird, a raindrop or a falling object passing by never stays that long.
REST_PX = 2.5
REST_POINTS = 6
# A new blob taken for a mover's continuation is looked at again after this many sightings: a
# mover this fast (pixels a frame; a released object needs a good part of a second to get there)
# that seems to go on at this share of its speed or less is not what the blob is.
VETO_CHECK_POINTS = 4
VETO_FAST_PX = 8.0
VETO_SLOW_SHARE = 0.25
# A new blob this close (pixels) to the blob of a mover's continuation is a piece of it (see
# `_split_off`): the centroids of two halves of a bird or a leaf are about its size apart.
SPLIT_PX = 12.0
STATE_WIDTH = 10  # values in `Track._state`
_STATE = struct.Struct(f"{STATE_WIDTH}d")  # `Track._state` as the bytes of its float64 row
# A young track's fall gate (see `Tracker._fall_gate`): this wide to either side at its own row,
# and wider by this share of how far down the blob is.
FALL_SIDE_PX = 8.0
FALL_SIDE_WIDENING = 0.3


# (slots: a night frame makes dozens of tracks and reads hundreds; both are cheaper without a
# __dict__. A weak reference stays possible: a test watches an old track being freed.)
@dataclass(slots=True, weakref_slot=True)
class Track:
    """One tracked blob; points are full-image pixels, one per frame where it was seen."""

    id: int
    frames: list[int] = field(default_factory=list)
    xy: list[tuple[float, float]] = field(default_factory=list)
    area: list[int] = field(default_factory=list)
    eligible: bool = True  # born inside the facade, not carried in from elsewhere
    # Born inside and not continuing a mover, only too big (merged with a window frame or a
    # curtain edge as it left the window, or with the hand that holds it out) or a streak as
    # wide as an object (merged with a raindrop passing it): eligible once its next blobs, or
    # the first blob that leaves its birthplace, are object-sized (and no streaks).
    may_grow: bool = False
    # Born where it could begin a throw but taken for a mover's continuation (see `parent`):
    # looked at again once its own motion shows (`Tracker._recheck_veto`).
    vetoed: bool = False
    # Born just beside the facade's side edge (within the watched area, at a floor's height),
    # object-sized and continuing no mover: no throw starts there, but a bag or a sheet of paper
    # the wind carried out past the edge may be found there first (see the detector's
    # `_left_facade`).
    beside: bool = False
    misses: int = 0
    alarmed: bool = False
    # Its sink found to be something come in from beyond the facade (a leaf, a bird gliding; see
    # the detector's `_came_from_elsewhere`): what is later found where its sink leads is that too.
    came_in: bool = False
    # Alarmed as an alarmed bag or sheet of paper found again (its fall judged light, starting
    # within that object's reach): it may yet show a heavy fall, which is another object.
    light_again: bool = False
    # The moving track a new one was found to continue at its birth (it is not a new throw
    # but that mover again, split off or re-found): its history is this track's history.
    parent: Track | None = None
    size: float = 0.0  # smoothed blob area in pixels
    # The latest stretch (first, last point index) of at least `REST_POINTS` sightings in which
    # the track sat still; None if it never did.
    rest: tuple[int, int] | None = None
    _rest_from: int = 0  # index of the point the current still stretch is anchored at
    # Motion per frame from the last three sightings, refreshed on every `add`.
    _v: tuple[float, float] = (0.0, 0.0)
    _a: tuple[float, float] = (0.0, 0.0)
    # What the tracker reads of every track on every frame, refreshed on every `add`:
    # (x, y, frame, points, vx, vy, ax, ay, speed, size), and the answers of `is_mover` and
    # of the slow-drift test of `memory` (None: not worked out since the last `add`).
    _state: tuple[float, ...] = (0.0,) * STATE_WIDTH
    _row: bytes = bytes(8 * STATE_WIDTH)  # `_state` packed, refreshed with it: `_states` joins them
    _mover: bool | None = None
    _slow: bool | None = None
    _travels: bool | None = None

    def add(self, frame: int, x: float, y: float, area: int) -> None:
        """Append an observation."""
        # Runs for every blob of every frame (hundreds at night): locals, and the arithmetic in
        # the order it always had, so that the same points give the same bits.
        frames, xy = self.frames, self.xy
        frames.append(frame)
        xy.append((x, y))
        self.area.append(area)
        self.misses = 0
        n = len(frames)
        if n == 1:
            self.size = float(area)
            self._mover = self._slow = self._travels = None
            self._state = (x, y, frame, 1, 0.0, 0.0, 0.0, 0.0, 0.0, self.size)
            self._row = _STATE.pack(*self._state)
            return
        self.size = 0.7 * self.size + 0.3 * area
        f1 = frames[-2]
        x1, y1 = xy[-2]
        g1 = max(frame - f1, 1)
        vx, vy = (x - x1) / g1, (y - y1) / g1
        if n >= 3:
            x0, y0 = xy[-3]
            g0 = max(f1 - frames[-3], 1)
            clip = 3.0  # px/frame²: more is a mismatch, not gravity
            self._a = (
                min(max((vx - (x1 - x0) / g0) / g1, -clip), clip),
                min(max((vy - (y1 - y0) / g0) / g1, -clip), clip),
            )
        self._v = (vx, vy)
        ax, ay = xy[self._rest_from]
        if (x - ax) * (x - ax) + (y - ay) * (y - ay) > REST_PX * REST_PX:
            self._rest_from = n - 1
        elif n - self._rest_from >= REST_POINTS:
            self.rest = (self._rest_from, n - 1)
        self._mover = self._slow = self._travels = None
        a = self._a
        self._state = (x, y, frame, n, vx, vy, a[0], a[1], math.hypot(vx, vy), self.size)
        self._row = _STATE.pack(*self._state)

    def predict(self, frame: int) -> tuple[float, float, float]:
        """Predicted (x, y) at `frame` and the gate radius around it, in pixels (see `_predict`)."""
        x, y, gate = _predict(np.array([self._state]), frame)[0].tolist()
        return x, y, gate

    def drift(self, frame: int) -> tuple[float, float]:
        """Where the track would be at `frame` at its average speed over the last few sightings."""
        k = min(len(self.frames), 5)
        (x0, y0), (x1, y1) = self.xy[-k], self.xy[-1]
        span = max(self.frames[-1] - self.frames[-k], 1)
        gap = frame - self.frames[-1]
        return x1 + (x1 - x0) / span * gap, y1 + (y1 - y0) / span * gap

    def memory(self, params: TrackerParams) -> int:
        """Frames for which a lost track is still looked for: a slow, steady drift is predictable for longer."""
        if self._slow is None:
            k = min(len(self.frames), 5)
            span = max(self.frames[-1] - self.frames[-k], 1)
            step = math.hypot(self.xy[-1][0] - self.xy[-k][0], self.xy[-1][1] - self.xy[-k][1]) / span
            self._slow = step < 3.0
        return params.slow_memory_frames if self._slow else params.lost_memory_frames

    def is_mover(self) -> bool:
        """A steady, moving track (not noise, not a still light): it can veto new throws near it."""
        if self._mover is None:
            self._mover = self._moves()
        return self._mover

    def _moves(self) -> bool:
        n = len(self.frames)
        span = self.frames[-1] - self.frames[0] + 1
        if n < 5 or n < 0.6 * span:
            return False
        return math.hypot(self.xy[-1][0] - self.xy[0][0], self.xy[-1][1] - self.xy[0][1]) >= 8.0

    def travels(self) -> bool:
        """A mover that is going somewhere: its latest sightings go one way, step after step.

        Laundry swinging about its peg and a still blob that hopped once onto a passing object
        are movers by their ends, but nothing found near them continues them.
        """
        if self._travels is None:
            self._travels = self.is_mover() and self._goes_one_way()
        return self._travels

    def _goes_one_way(self) -> bool:
        n = len(self.frames)
        # Its latest steps are seen frame after frame (a frame missed here and there): a still
        # blob's track that hopped to a blob of noise now and then, far apart in time, only
        # seems to go somewhere, and an object leaving its window near it is not its continuation.
        # (The cheap tests first: the path over two seconds is summed only for tracks passing them.)
        if self.frames[-1] - self.frames[-min(n, 5)] > 2 * (min(n, 5) - 1):
            return False
        k = min(n, 50)  # two seconds: a full swing of slow laundry
        pts = self.xy[-k:]
        steps = sum(math.hypot(b[0] - a[0], b[1] - a[1]) >= 1.0 for a, b in zip(pts[-5:], pts[-4:], strict=False))
        if steps < 3:
            return False
        path = sum(math.hypot(b[0] - a[0], b[1] - a[1]) for a, b in zip(pts, pts[1:], strict=False))
        net = math.hypot(pts[-1][0] - pts[0][0], pts[-1][1] - pts[0][1])
        return net >= 0.5 * path


@dataclass(frozen=True)
class TrackerParams:
    """Tuning of the tracker."""

    max_misses: int = 6  # coast over low-contrast stretches (dark glass behind the object)
    lost_memory_frames: int = 12  # a blob reborn near a lost track is that track, not a new throw
    slow_memory_frames: int = 50  # bags and paper drift slowly and get lost behind clutter
    veto_margin_px: float = 10.0
    veto_radius_px: float = 30.0  # extrapolations grow wild; beyond this a track vouches for nothing
    max_area_ratio: float = 4.0  # a blob this many times bigger or smaller is something else
    max_first_step_px: float = 50.0  # a fast fall near the camera moves this far in one frame
    # A thing moving this fast (px/frame) does not stop dead on a blob that sat still: see `_pairs`.
    fast_mover_px: float = 3.0
    still_px: float = 2.0  # a blob this close to one of the frame before sat still (centroid jitter)


class Tracker:
    """Greedy nearest-prediction association of blobs to tracks."""

    def __init__(self, params: TrackerParams | None = None) -> None:
        self.params = params or TrackerParams()
        self.tracks: list[Track] = []
        self._next_id = 1
        self._lost: list[tuple[int, Track]] = []  # (frame lost, moving track)
        self._prev: tuple[int, np.ndarray] = (-2, np.zeros((0, 2)))  # the last frame's blobs

    def update(
        self,
        frame: int,
        xy: np.ndarray,
        area: np.ndarray,
        may_start: np.ndarray,
        too_big: np.ndarray | None = None,
        beside: np.ndarray | None = None,
    ) -> tuple[list[Track], list[Track]]:
        """Associate this frame's blobs; returns (tracks updated this frame, tracks just ended).

        `may_start[i]` says whether blob i may begin a throw (inside the facade, at the
        right size); other unmatched blobs still start ineligible tracks so that a bird
        keeps one track instead of seeding a new one every frame. `too_big[i]` says that blob i
        would have been such a start but for its size, `beside[i]` that it would have been but
        for lying beside the facade's side edge.
        """
        used = np.zeros(len(xy), dtype=bool)
        matched: set[int] = set()
        updated: list[Track] = []
        if self.tracks and len(xy):
            state = _states(self.tracks)
            ti, bi, ratio = self._pairs(frame, state, xy, area)
            # Nearest first; equal ratios in (track, blob) order. Plain Python values in the
            # loop: it runs once per candidate pair, hundreds a frame at night.
            order = np.lexsort((bi, ti, ratio))
            xs, ys, sizes, starts = xy[:, 0].tolist(), xy[:, 1].tolist(), area.tolist(), may_start.tolist()
            taken: set[int] = set()
            for t, b in zip(ti[order].tolist(), bi[order].tolist(), strict=True):
                if t in matched or b in taken:
                    continue
                matched.add(t)
                taken.add(b)
                track = self.tracks[t]
                # (An object held at its window stays merged with the hand or the frame until it
                # leaves: still where it was born, it may yet come apart.)
                held = track.may_grow and track._rest_from == 0
                track.add(frame, xs[b], ys[b], int(sizes[b]))
                if track.may_grow and (len(track.frames) <= 3 or held) and starts[b]:
                    track.eligible, track.may_grow = True, False
                if track.vetoed and len(track.frames) == VETO_CHECK_POINTS:
                    _recheck_veto(track)
                updated.append(track)
            used[list(taken)] = True
        ended: list[Track] = []
        alive: list[Track] = []
        movers: list[Track] = []  # the alive movers, looked up once (hundreds of tracks at night)
        max_misses = self.params.max_misses
        for t, track in enumerate(self.tracks):
            if t in matched:  # (seen now: no misses)
                alive.append(track)
                if track.is_mover():
                    movers.append(track)
                continue
            track.misses += 1
            # A blob seen once or twice is usually noise: let it go quickly.
            limit = max_misses if len(track.frames) >= 3 else 1
            if track.misses > limit:
                ended.append(track)
                if track.is_mover():
                    self._lost.append((frame, track))
            else:
                alive.append(track)
                if track.is_mover():
                    movers.append(track)
        self.tracks = alive
        self._lost = [(f, t) for f, t in self._lost if frame - t.frames[-1] <= t.memory(self.params)]
        fresh = np.nonzero(~used)[0]
        if len(fresh):
            fresh = self._revive(frame, xy, area, fresh, updated, [t for t in movers if t.frames[-1] != frame])
        if len(fresh):
            big = too_big[fresh] if too_big is not None else np.zeros(len(fresh), dtype=bool)
            # Only the revived tracks (alive movers, or lost ones now appended) have new points.
            revived = self.tracks[len(alive) :]
            movers = [t for t in movers if t.is_mover()] + [t for t in revived if t.is_mover()]
            movers, nearest = self._continues_mover(frame, xy[fresh], movers)
            if (nearest < 0).any():
                nearest = _split_off(frame, xy[fresh], updated, movers, nearest)
            veto = (nearest >= 0) & (may_start[fresh] | big)
            pts, sizes = xy[fresh].tolist(), area[fresh].tolist()
            starts, grows = may_start[fresh].astype(bool).tolist(), big.astype(bool).tolist()
            side = beside[fresh].astype(bool).tolist() if beside is not None else [False] * len(fresh)
            flags = zip(starts, grows, side, veto.tolist(), nearest.tolist(), strict=True)
            for (x, y), size, (start, grow, by, vetoed, near) in zip(pts, sizes, flags, strict=True):
                track = Track(id=self._next_id)
                self._next_id += 1
                track.add(frame, x, y, int(size))
                track.eligible = start and not vetoed
                track.may_grow = grow and not vetoed
                track.vetoed = start and vetoed
                track.beside = by and near < 0
                if near >= 0:
                    adopt(track, movers[near])
                self.tracks.append(track)
        self._prev = (frame, xy)
        return updated, ended

    def _revive(
        self,
        frame: int,
        xy: np.ndarray,
        area: np.ndarray,
        fresh: np.ndarray,
        updated: list[Track],
        coasting: list[Track],
    ) -> np.ndarray:
        """Give unmatched blobs back to moving tracks lost a moment ago; returns the blobs left.

        A falling object crossing dark glass or a lit window vanishes for a few frames and
        reappears farther along than its coasting prediction: it stays the same track.
        `coasting`: the alive movers not seen this frame, in the tracker's order.
        """
        lost = [(f, t) for f, t in self._lost if frame - t.frames[-1] <= t.memory(self.params)]
        # (A lost track is never among the tracks alive: it left them when it ended, and leaves
        # `_lost` when it comes back. So the first `ended` of these are the ones to bring back.)
        ended = len(lost)
        # Movers still coasting (missed this frame) may have outrun their own prediction.
        lost += [(frame, t) for t in coasting]
        if not lost:
            return fresh
        pred = np.array([t.drift(frame) for _, t in lost])
        gaps = np.array([frame - t.frames[-1] for _, t in lost], dtype=np.float64)
        pts = xy[fresh]
        d = np.hypot(pred[:, 0:1] - pts[None, :, 0], pred[:, 1:2] - pts[None, :, 1])
        radius = np.minimum(8.0 + 3.0 * gaps, self.params.veto_radius_px)[:, None]
        taken = np.zeros(len(fresh), dtype=bool)
        revived: set[int] = set()
        li, bi = np.nonzero(d <= radius)
        for k in np.argsort(d[li, bi], kind="stable"):
            i, j = int(li[k]), int(bi[k])
            if i in revived or taken[j]:
                continue
            revived.add(i)
            taken[j] = True
            track = lost[i][1]
            b = int(fresh[j])
            track.add(frame, float(xy[b, 0]), float(xy[b, 1]), int(area[b]))
            if i < ended:
                self.tracks.append(track)
            updated.append(track)
        if revived:
            back = {id(lost[i][1]) for i in revived}
            self._lost = [(f, t) for f, t in self._lost if id(t) not in back]
        return fresh[~taken]

    def _pairs(
        self, frame: int, state: np.ndarray, xy: np.ndarray, area: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(track, blob) pairs inside the track's gate and their gate ratios (distance / gate radius).

        Only blobs in a band of rows around each prediction are looked at: at night there
        are hundreds of tracks and blobs, and every gate holds few of them.
        """
        pred = _predict(state, frame)
        young = state[:, 3] == 1
        # The band holds every blob a gate can accept: within the radius, or for a young track
        # the fall gate's reach (4 px up, `max_first_step_px` down), with a hair to spare.
        radius = pred[:, 2]
        up = np.where(young, np.maximum(radius, 4.0), radius) + 1e-6
        down = np.where(young, np.maximum(radius, self.params.max_first_step_px), radius) + 1e-6
        ti, bi = _band_pairs(pred[:, 1], up, down, xy[:, 1])
        # Nor to the side beyond the radius, or the fall gate's width at its reach down (with a
        # hair to spare for rounding): most pairs of a young track's tall band go here.
        reach = FALL_SIDE_PX + FALL_SIDE_WIDENING * self.params.max_first_step_px
        side = np.where(young, np.maximum(radius, reach), radius) * 1.001 + 1e-6
        near = np.abs(xy[bi, 0] - pred[ti, 0]) <= side[ti]
        ti, bi = ti[near], bi[near]
        p, b = pred[ti], xy[bi]
        ratio = np.hypot(p[:, 0] - b[:, 0], p[:, 1] - b[:, 1]) / p[:, 2]
        once = young[ti]
        if once.any():
            ratio[once] = np.minimum(ratio[once], self._fall_gate(frame, p[once], b[once]))
        # A blob many times the track's size is the object merged with a curtain or a lit
        # window: coast through it rather than jump to the merged centroid.
        size, blob = state[ti, 9], area[bi]
        big = np.maximum(blob / size, size / np.maximum(blob, 1))
        ratio[(big > self.params.max_area_ratio) & (np.maximum(blob, size) > 60)] = np.inf
        inside = ratio <= 1.0
        ti, bi, ratio = ti[inside], bi[inside], ratio[inside]
        # A fast track does not stop dead on a blob that sat there already a frame ago (an
        # object held at its window, a sill): that blob is something else, which keeps its own
        # track. Else every bird or chance chain of noise coasting by takes it in turn, and
        # the object never gets a track of its own. Landing is the track's own blob again.
        fast = state[ti, 8] >= self.params.fast_mover_px
        if fast.any():
            keep = ~fast
            keep[fast] = ~self._sat_still(frame, state[ti[fast]], bi[fast], xy)
            ti, bi, ratio = ti[keep], bi[keep], ratio[keep]
        return ti, bi, ratio

    def _sat_still(self, frame: int, state: np.ndarray, blobs: np.ndarray, xy: np.ndarray) -> np.ndarray:
        """Per (track, blob) pair (track `state` rows, indices `blobs` into `xy`): the blob was
        already there last frame and the track was not."""
        last, prev = self._prev
        pts = xy[blobs]
        away = np.hypot(pts[:, 0] - state[:, 0], pts[:, 1] - state[:, 1]) > 2.0 * self.params.still_px
        if last != frame - 1 or not len(prev) or not away.any():
            return np.zeros(len(blobs), dtype=bool)
        # Each blob once, against last frame's blobs in its band of rows only (hundreds at night).
        ids, back = np.unique(blobs[away], return_inverse=True)
        q = xy[ids]
        reach = self.params.still_px
        qi, pi = _band_pairs(q[:, 1], reach, reach, prev[:, 1])
        close = np.abs(q[qi, 0] - prev[pi, 0]) + np.abs(q[qi, 1] - prev[pi, 1]) <= reach
        sat = np.bincount(qi[close], minlength=len(q)) > 0
        out = np.zeros(len(blobs), dtype=bool)
        out[away] = sat[back]
        return out

    def _fall_gate(self, frame: int, pred: np.ndarray, xy: np.ndarray) -> np.ndarray:
        """Gate ratios of blobs `xy` (N, 2) for tracks seen once predicted at `pred` (N, 2+), pairwise.

        They may be an object already falling fast: a blob first found mid-fall moves tens of
        pixels per frame, always downwards; a round gate that wide would chain up noise in
        every direction.
        """
        dx = np.abs(xy[:, 0] - pred[:, 0])
        dy = xy[:, 1] - pred[:, 1]
        down = np.maximum(dy, 0.0)
        ratio = np.maximum(dx / (FALL_SIDE_PX + FALL_SIDE_WIDENING * down), dy / self.params.max_first_step_px)
        ratio[dy < -4.0] = np.inf
        return ratio

    def _continues_mover(self, frame: int, xy: np.ndarray, alive: list[Track]) -> tuple[list[Track], np.ndarray]:
        """The movers (lost, or `alive`: the alive ones in the tracker's order) and, per new blob,
        the index of the one it continues or split off (the nearest to its expected place), or -1."""
        # Alive movers count even when matched this frame: a tumbling bag or sheet of paper
        # breaks into two blobs, and the second one is not a new throw.
        movers = [t for _, t in self._lost] + alive
        movers = [t for t in movers if self._vouches(frame, t) and t.travels()]
        if not movers:
            return movers, np.full(len(xy), -1, dtype=np.int64)
        pred = np.array([t.drift(frame) for t in movers])
        gaps = np.array([frame - t.frames[-1] for t in movers], dtype=np.float64)
        d = np.hypot(pred[:, 0:1] - xy[None, :, 0], pred[:, 1:2] - xy[None, :, 1])
        radius = np.minimum(8.0 + 3.0 * gaps, self.params.veto_radius_px) + self.params.veto_margin_px
        nearest = np.argmin(d / radius[:, None], axis=0)
        near = d[nearest, np.arange(len(xy))] <= radius[nearest]
        return movers, np.where(near, nearest, -1)

    def _vouches(self, frame: int, track: Track) -> bool:
        """Whether a mover last seen before `frame` is still looked for, and known for long enough
        to say where it went: a slow drift is followed for `slow_memory_frames`, but only over a
        gap no longer than the drift was watched (a few sightings, extrapolated over seconds, land
        anywhere, and would hide what leaves a window there)."""
        gap = frame - track.frames[-1]
        if gap > track.memory(self.params):
            return False
        return gap <= self.params.lost_memory_frames or gap <= track.frames[-1] - track.frames[0]

    def flush(self) -> list[Track]:
        """End every track (end of the video)."""
        ended, self.tracks = self.tracks, []
        return ended


def _recheck_veto(track: Track) -> None:
    """Make a track taken for a fast mover's continuation a track of its own if it is slow.

    A raindrop or a bird crossing the facade at many pixels a frame does not stop dead: a
    blob born beside its path that then moves at a fraction of its speed is something else,
    often an object leaving its window as the mover passed it.
    """
    track.vetoed = False
    parent = track.parent
    if parent is None or len(parent.frames) < 2:
        return
    k = min(len(parent.frames), 3)
    span = max(parent.frames[-1] - parent.frames[-k], 1)
    fast = math.hypot(parent.xy[-1][0] - parent.xy[-k][0], parent.xy[-1][1] - parent.xy[-k][1]) / span
    span = max(track.frames[-1] - track.frames[0], 1)
    own = math.hypot(track.xy[-1][0] - track.xy[0][0], track.xy[-1][1] - track.xy[0][1]) / span
    if fast >= VETO_FAST_PX and own <= VETO_SLOW_SHARE * fast:
        track.eligible, track.parent = True, None


def _split_off(
    frame: int, xy: np.ndarray, updated: list[Track], movers: list[Track], nearest: np.ndarray
) -> np.ndarray:
    """`nearest` (per new blob, the index in `movers` of the mover it continues, or -1), with the
    blobs that continue no mover but lie beside the blob of a mover's continuation seen this frame
    given that mover (appended to `movers` if it is not among them).

    A leaf or a bird breaks into two blobs as it turns: one may be taken for the continuation
    of the mover it is, while the other, a few pixels off, lies beyond the mover's expected
    place (a leaf's flutter, a bird's turn carries it off the course of its last steps). The
    piece beside the continuation is the same thing.
    """
    children = [t for t in updated if t.parent is not None and t.frames[-1] == frame]
    if not children:
        return nearest
    at = np.array([t.xy[-1] for t in children])
    free = np.nonzero(nearest < 0)[0]
    # (All the free blobs against all the continuations at once: hundreds of blobs at night.)
    d = np.hypot(at[None, :, 0] - xy[free, 0:1], at[None, :, 1] - xy[free, 1:2])
    closest = np.argmin(d, axis=1)
    near = d[np.arange(len(free)), closest] <= SPLIT_PX
    out = nearest.copy()
    for j, k in zip(free[near].tolist(), closest[near].tolist(), strict=True):
        parent = children[k].parent
        assert parent is not None
        if all(m is not parent for m in movers):
            movers.append(parent)
        out[j] = next(i for i, m in enumerate(movers) if m is parent)
    return out


def adopt(track: Track, parent: Track) -> None:
    """Make `parent` the mover `track` continues. Only a track's own parent is ever read (when
    its link is looked for, early in its life, long over for the parent's parent), so the
    line is cut there: else laundry swinging all day would keep every track it spawned alive."""
    track.parent = parent
    if parent.parent is not None:
        parent.parent.parent = None


def _states(tracks: list[Track]) -> np.ndarray:
    """The `_state` rows of tracks as one (N, STATE_WIDTH) array: `np.array` of them, built faster.

    (Each track keeps its row packed as float64 bytes: joining them is a tenth of the work of
    converting the tuples, hundreds of tracks a frame at night; the same numbers, exactly.)
    """
    return np.frombuffer(b"".join([t._row for t in tracks]), np.float64).reshape(len(tracks), STATE_WIDTH)


def _predict(state: np.ndarray, frame: int) -> np.ndarray:
    """Predicted places of tracks at `frame` from their `_state` rows: (N, 3) of x, y, gate radius."""
    x, y, last, n, vx, vy, ax, ay, speed = state[:, :9].T
    gap = frame - last
    px = x + vx * gap + 0.5 * ax * gap * gap
    py = y + vy * gap + 0.5 * ay * gap * gap
    # Something that has sat still for long (a light, clutter) gets a tight gate, so it does
    # not snatch the blob of an object passing close by; and the gate does not widen while it
    # is unseen: a light or a sill blob that fades comes back where it was, and a blob found
    # farther off after the gap is something else (an object leaving it). A track seen once
    # has no motion yet: a round gate that widens with the gap.
    still = (n >= 10) & (np.abs(vx) + np.abs(vy) < 0.5)
    gate = np.where(still, 3.0 + 0.35 * speed * gap + 1.5, 5.0 + 0.35 * speed * gap + 1.5 * gap)
    once = n == 1
    return np.column_stack([np.where(once, x, px), np.where(once, y, py), np.where(once, 6.0 + 3.0 * gap, gate)])


def _band_pairs(
    qy: np.ndarray, up: np.ndarray | float, down: np.ndarray | float, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (i, j) with y[j] within [qy[i] - up, qy[i] + down], grouped by i.

    The points are sorted by row once and each query's band is found by binary search, so
    the cost follows the pairs found, not queries x points (hundreds of blobs at night).
    """
    order = np.argsort(y, kind="stable")
    rows = y[order]
    lo = np.searchsorted(rows, qy - up, side="left")
    counts = np.searchsorted(rows, qy + down, side="right") - lo
    qi = np.repeat(np.arange(len(qy)), counts)
    pj = order[np.arange(len(qi)) + np.repeat(lo - (np.cumsum(counts) - counts), counts)]
    return qi, pj
