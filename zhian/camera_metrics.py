"""Camera stream health as InfluxDB points, and when to warn that a camera went quiet.

Pure: the live processor reads each worker's `health()` and passes the dicts in; these
functions return lines and log messages without reading a clock or the cameras.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from alerts.sinks.lineproto import metric_line

MEASUREMENT = "zhian_camera"
STALL_AFTER_S = 10.0  # no frame for this long while reading: the camera stopped delivering


def camera_lines(community: str, healths: Iterable[dict[str, Any]], now_ms: int) -> list[str]:
    """One `zhian_camera` point per camera (tags community, camera). Floats stay floats and
    counters integers, so a field never changes type between points."""
    out = []
    for h in healths:
        age = h.get("last_frame_age_s")
        fields = {
            "state": str(h.get("state") or "unknown"),
            "delivering": delivering(h),
            "fps": float(h.get("fps") or 0.0),
            "frames": int(h.get("frames") or 0),
            "restarts": int(h.get("restarts") or 0),
            "detections": int(h.get("detections") or 0),
            "last_frame_age_s": float(age) if age is not None else None,  # None: no frame yet, left out
            "last_error": h.get("last_error") or None,
        }
        out.append(metric_line(MEASUREMENT, {"community": community, "camera": str(h["camera"])}, fields, now_ms))
    return out


def delivering(health: dict[str, Any], stall_after_s: float = STALL_AFTER_S) -> bool:
    """True while the stream is read and its last frame is recent."""
    age = health.get("last_frame_age_s")
    return health.get("state") == "reading" and age is not None and age <= stall_after_s


class CameraWatch:
    """Remembers which cameras delivered frames at the last look, to warn once when one stops
    and to say when it is back."""

    def __init__(self, stall_after_s: float = STALL_AFTER_S) -> None:
        self.stall_after_s = stall_after_s
        self._delivering: dict[str, bool] = {}
        self._stalled: set[str] = set()

    def changes(self, healths: Iterable[dict[str, Any]]) -> list[tuple[bool, str]]:
        """(is_warning, message) for each camera that stopped or resumed delivering frames
        since the last call. A camera that never delivered a frame is not reported here
        (its worker logs why it cannot open the stream)."""
        out = []
        for h in healths:
            camera = str(h["camera"])
            now = delivering(h, self.stall_after_s)
            before = self._delivering.get(camera, False)
            self._delivering[camera] = now
            if before and not now:
                self._stalled.add(camera)
                age = h.get("last_frame_age_s")
                since = f"no frame for {age:.0f} s" if age is not None else "no frame"
                out.append((True, f"camera {camera} stopped delivering frames ({since}, state {h.get('state')}, "
                                  f"restarts {h.get('restarts', 0)}, last error: {h.get('last_error') or 'none'})"))
            elif now and camera in self._stalled:
                self._stalled.discard(camera)
                out.append((False, f"camera {camera} delivers frames again ({h.get('fps', 0)} fps)"))
        return out
