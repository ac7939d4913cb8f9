"""The throwing detector: frames in, thrown objects (with their window of origin) out.

No I/O and no clock: frame indices are the time base, so a file, a replay and a live
stream give the same answers.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from detectors.throwing.detection import ThrowingDetection
from detectors.throwing.foreground import Blobs, ForegroundExtractor, ForegroundParams
from detectors.throwing.geometry import FacadeGeometry
from detectors.throwing.physics import FallLimits, judge_fall
from detectors.throwing.tracker import Track, Tracker, TrackerParams
from ingest.registry import Facade

MAX_OBJECT_M = 1.2  # larger blobs at birth are insects at the lens, lights or shadows
BORDER_PX = 6  # blobs touching the watched rectangle's border came from outside it
WARMUP_S = 1.0  # no alarm before the background and noise model have settled
DEDUPE_S = 0.5  # a fall found where an alarmed object was this recently is that object
DEDUPE_PX = 40.0
KEEP_ALARMED_S = 30.0  # how long an alarmed trajectory stays available for evidence


class ThrowingDetector:
    """Finds objects that leave a window of a calibrated facade and fall."""

    def __init__(
        self,
        facade: Facade,
        fps: float,
        camera: str = "",
        *,
        foreground: ForegroundParams | None = None,
        tracking: TrackerParams | None = None,
        limits: FallLimits | None = None,
    ) -> None:
        self.facade = facade
        self.fps = float(fps) if fps and fps > 0 else 25.0
        self.camera = camera
        self._fg_params = foreground
        self._tracker = Tracker(tracking)
        self._limits = limits or FallLimits()
        self.geometry: FacadeGeometry | None = None
        self._fg: ForegroundExtractor | None = None
        self._roi = (0, 0, 0, 0)
        self._alarmed: dict[int, Track] = {}
        self._first_frame = -1
        self._warmup_frames = int(WARMUP_S * self.fps)

    def _start(self, frame_index: int, frame: np.ndarray) -> None:
        self._first_frame = frame_index
        h, w = frame.shape[:2]
        self.geometry = FacadeGeometry(self.facade, (w, h))
        self._roi = self.geometry.roi()
        x0, y0, x1, y1 = self._roi
        if x1 - x0 < 16 or y1 - y0 < 16:
            raise ValueError(f"the facade calibration lies outside the {w}x{h} frame")
        self._fg = ForegroundExtractor((y1 - y0, x1 - x0), self._fg_params)

    def process(self, frame_index: int, frame: np.ndarray) -> list[ThrowingDetection]:
        """Feed one frame (BGR or grey); returns the alarms raised on it."""
        if self._fg is None:
            self._start(frame_index, frame)
        assert self._fg is not None and self.geometry is not None
        x0, y0, x1, y1 = self._roi
        roi = frame[y0:y1, x0:x1]
        gray = cv2.cvtColor(roi, cv2.COLOR_BGR2GRAY) if roi.ndim == 3 else roi
        blobs = self._fg.apply(np.ascontiguousarray(gray))
        # Blobs come in the background's (first-frame, calibrated) view: shake is removed.
        #
        # Rain: thin streaks many times longer than wide. An object's motion blur is as wide
        # as the object and much shorter, so these are dropped before tracking.
        wh = blobs.wh
        rain = (wh[:, 1] >= 4 * wh[:, 0]) & (wh[:, 1] >= 12) & (wh[:, 0] <= 5)
        if rain.any():
            blobs = Blobs(blobs.xy[~rain], wh[~rain], blobs.area[~rain], blobs.disturbed)
        xy = blobs.xy + np.array([x0, y0])
        may_start = self._may_start(blobs, xy)
        updated, _ = self._tracker.update(frame_index, xy, blobs.area, may_start)
        out: list[ThrowingDetection] = []
        if frame_index - self._first_frame < self._warmup_frames:
            return out  # background and noise model are still being learnt
        if len(self._alarmed) > 32:
            self._forget_old_alarms(frame_index)
        for track in updated:
            if track.eligible and not track.alarmed and len(track.frames) >= self._limits.min_points:
                detection = self._judge(track)
                if detection is not None:
                    out.append(detection)
        return out

    def _may_start(self, blobs: Blobs, xy: np.ndarray) -> np.ndarray:
        """Which blobs may begin a throw: inside the facade, object-sized, not a streak."""
        assert self.geometry is not None
        if len(xy) == 0:
            return np.zeros(0, dtype=bool)
        x0, y0, x1, y1 = self._roi
        local = blobs.xy
        off_border = (
            (local[:, 0] >= BORDER_PX)
            & (local[:, 0] < x1 - x0 - BORDER_PX)
            & (local[:, 1] >= BORDER_PX)
            & (local[:, 1] < y1 - y0 - BORDER_PX)
        )
        inside = self.geometry.contains(xy, margin_cols=0.15, margin_storeys=0.15)
        max_px = MAX_OBJECT_M * self.geometry.px_per_m(xy)
        small = (blobs.wh[:, 0] <= max_px) & (blobs.wh[:, 1] <= max_px)
        # Elongated blobs are blur of something already fast; a released object is still slow.
        streak = (blobs.wh[:, 1] >= 4 * blobs.wh[:, 0]) & (blobs.wh[:, 1] >= 8)
        return off_border & inside & small & ~streak

    def _judge(self, track: Track) -> ThrowingDetection | None:
        assert self.geometry is not None
        pts = np.asarray(track.xy)
        # Cheap screen first: most tracks (lights, clutter) never move down a third of a storey.
        drop_px = pts[-1, 1] - pts[:, 1].min()
        if drop_px < 0.3 * self.geometry.storey_m * float(self.geometry.px_per_m(pts[-1:])[0]):
            return None
        metric = self.geometry.to_metric(pts)
        t = np.asarray(track.frames, dtype=np.float64) / self.fps
        verdict, release = judge_fall(t, metric[:, 0], metric[:, 1], self.fps, self._limits)
        if not verdict.is_fall or release is None:
            return None
        track.alarmed = True
        if self._continues_alarm(track):
            return None
        self._alarmed[track.id] = track
        origin = self.geometry.in_front(np.array([release.x_m, release.y_m]))[0]
        cell = self.geometry.window_of(origin)
        confidence = verdict.confidence if cell.inside else round(verdict.confidence * 0.7, 3)
        seen = np.array([release.x_m / self.geometry.column_m, release.y_m / self.geometry.storey_m])
        release_px = self.geometry.to_image(seen)[0]
        return ThrowingDetection(
            camera=self.camera,
            frame=track.frames[-1],
            start_frame=max(0, round(release.t_s * self.fps)),
            floor=cell.floor,
            column=cell.column,
            confidence=confidence,
            track=tuple((f, x, y) for f, (x, y) in zip(track.frames, track.xy, strict=True)),
            track_id=track.id,
            kind=verdict.kind,
            release_px=(float(release_px[0]), float(release_px[1])),
        )

    def _forget_old_alarms(self, frame_index: int) -> None:
        horizon = frame_index - KEEP_ALARMED_S * self.fps
        for key in [k for k, t in self._alarmed.items() if t.frames[-1] < horizon]:
            del self._alarmed[key]

    def _continues_alarm(self, track: Track) -> bool:
        """Whether a new fall starts where an alarmed object just was (one object, one alarm)."""
        f0, (x0, y0) = track.frames[0], track.xy[0]
        window = int(DEDUPE_S * self.fps)
        for other in self._alarmed.values():
            if other is track or other.frames[-1] < f0 - window:
                continue
            for f, (x, y) in zip(other.frames, other.xy, strict=True):
                if f0 - window <= f <= f0 + 2 and math.hypot(x - x0, y - y0) <= DEDUPE_PX:
                    return True
        return False

    def trajectory(self, track_id: int) -> list[tuple[int, float, float]]:
        """The whole trajectory so far of an alarmed track (it keeps growing after the alarm)."""
        track = self._alarmed.get(track_id)
        if track is None:
            return []
        return [(f, x, y) for f, (x, y) in zip(track.frames, track.xy, strict=True)]

    def flush(self) -> list[ThrowingDetection]:
        """End of stream: close every track; a fall still undecided cannot be judged further."""
        self._tracker.flush()
        return []
