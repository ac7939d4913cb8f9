"""Multi-object tracking of foreground blobs with a constant-acceleration prediction."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Track:
    """One tracked blob; points are full-image pixels, one per frame where it was seen."""

    id: int
    frames: list[int] = field(default_factory=list)
    xy: list[tuple[float, float]] = field(default_factory=list)
    area: list[int] = field(default_factory=list)
    eligible: bool = True  # born at rest inside the facade, not carried in from elsewhere
    misses: int = 0
    alarmed: bool = False

    def add(self, frame: int, x: float, y: float, area: int) -> None:
        """Append an observation."""
        self.frames.append(frame)
        self.xy.append((x, y))
        self.area.append(area)
        self.misses = 0

    def predict(self, frame: int) -> tuple[np.ndarray, float]:
        """Predicted position at `frame` and the gate radius around it, in pixels."""
        p = np.asarray(self.xy[-3:], dtype=np.float64)
        f = np.asarray(self.frames[-3:], dtype=np.float64)
        gap = frame - f[-1]
        if len(p) == 1:
            return p[-1], 6.0 + 3.0 * gap
        v = (p[-1] - p[-2]) / max(f[-1] - f[-2], 1.0)
        a = np.zeros(2)
        if len(p) == 3:
            v_prev = (p[-2] - p[-3]) / max(f[-2] - f[-3], 1.0)
            a = np.clip((v - v_prev) / max(f[-1] - f[-2], 1.0), -3.0, 3.0)
        pred = p[-1] + v * gap + 0.5 * a * gap * gap
        radius = 5.0 + 0.35 * float(np.hypot(*v)) * gap + 1.5 * gap
        return pred, radius


@dataclass(frozen=True)
class TrackerParams:
    """Tuning of the tracker."""

    max_misses: int = 6  # coast over low-contrast stretches (dark glass behind the object)
    lost_memory_frames: int = 40  # a blob reborn near a lost track is that track, not a new throw


class Tracker:
    """Greedy nearest-prediction association of blobs to tracks."""

    def __init__(self, params: TrackerParams | None = None) -> None:
        self.params = params or TrackerParams()
        self.tracks: list[Track] = []
        self._next_id = 1
        self._lost: list[tuple[int, Track]] = []  # (frame lost, track)

    def update(
        self, frame: int, xy: np.ndarray, area: np.ndarray, may_start: np.ndarray
    ) -> tuple[list[Track], list[Track]]:
        """Associate this frame's blobs; returns (tracks updated this frame, tracks just ended).

        `may_start[i]` says whether blob i may begin a throw (inside the facade, at the
        right size, on a calm frame); other unmatched blobs still start ineligible tracks
        so that a bird keeps one track instead of seeding a new one every frame.
        """
        used = np.zeros(len(xy), dtype=bool)
        pairs: list[tuple[float, int, int]] = []
        for ti, track in enumerate(self.tracks):
            pred, radius = track.predict(frame)
            if len(xy):
                d = np.hypot(xy[:, 0] - pred[0], xy[:, 1] - pred[1])
                for bi in np.nonzero(d <= radius)[0]:
                    pairs.append((float(d[bi]) / radius, ti, int(bi)))
        pairs.sort()
        matched_tracks: set[int] = set()
        updated: list[Track] = []
        for _, ti, bi in pairs:
            if ti in matched_tracks or used[bi]:
                continue
            matched_tracks.add(ti)
            used[bi] = True
            track = self.tracks[ti]
            track.add(frame, float(xy[bi, 0]), float(xy[bi, 1]), int(area[bi]))
            updated.append(track)
        ended: list[Track] = []
        alive: list[Track] = []
        for ti, track in enumerate(self.tracks):
            if ti not in matched_tracks:
                track.misses += 1
            # A blob seen once or twice is usually noise: let it go quickly.
            limit = self.params.max_misses if len(track.frames) >= 3 else 1
            if track.misses > limit:
                ended.append(track)
                self._lost.append((frame, track))
            else:
                alive.append(track)
        self.tracks = alive
        self._lost = [(f, t) for f, t in self._lost if frame - f <= self.params.lost_memory_frames]
        for bi in np.nonzero(~used)[0]:
            track = Track(id=self._next_id)
            self._next_id += 1
            x, y = float(xy[bi, 0]), float(xy[bi, 1])
            track.add(frame, x, y, int(area[bi]))
            track.eligible = bool(may_start[bi]) and not self._near_lost(frame, x, y)
            self.tracks.append(track)
        return updated, ended

    def _near_lost(self, frame: int, x: float, y: float) -> bool:
        """Whether a new blob continues something already moving (lost, or alive but missed)."""
        known = [t for _, t in self._lost] + [t for t in self.tracks if t.frames[-1] != frame]
        for lost in known:
            span = lost.frames[-1] - lost.frames[0] + 1
            if len(lost.frames) < 5 or len(lost.frames) < 0.6 * span:
                continue  # a short or patchy chain of blobs is noise, not a moving thing
            first, last = np.asarray(lost.xy[0]), np.asarray(lost.xy[-1])
            if np.hypot(*(last - first)) < 8.0:
                continue  # still things (lights, clutter) must not veto a throw starting next to them
            pred, radius = lost.predict(frame)
            if np.hypot(x - pred[0], y - pred[1]) <= radius + 20.0:
                return True
        return False

    def flush(self) -> list[Track]:
        """End every track (end of the video)."""
        ended, self.tracks = self.tracks, []
        return ended
