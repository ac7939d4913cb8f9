"""Drawing for people: the calibration over a frame, a throw's trajectory, and its clip.

The detector computes; this module only draws what it computed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from pathlib import Path

import cv2
import numpy as np

from detectors.throwing.detection import ThrowingDetection
from detectors.throwing.geometry import FacadeGeometry

GRID = (0, 220, 255)
ORIGIN = (0, 0, 255)
PATH = (255, 80, 0)
FONT = cv2.FONT_HERSHEY_SIMPLEX


def _pts(geometry: FacadeGeometry, grid: Sequence[Sequence[float]]) -> np.ndarray:
    return geometry.to_image(np.asarray(grid, dtype=np.float64)).round().astype(np.int32)


def _label(img: np.ndarray, text: str, at: tuple[int, int], colour: tuple[int, int, int], scale: float = 0.45) -> None:
    # A dark box rather than an outline: OpenCV 5 advances glyphs by stroke thickness, so an
    # outline drawn thicker does not line up with the text.
    (w, h), base = cv2.getTextSize(text, FONT, scale, 1)
    x, y = at
    cv2.rectangle(img, (x - 2, y - h - 3), (x + w + 2, y + base + 1), (0, 0, 0), -1)
    cv2.putText(img, text, at, FONT, scale, colour, 1, cv2.LINE_AA)


def draw_calibration(img: np.ndarray, geometry: FacadeGeometry) -> np.ndarray:
    """The calibrated area with its corners, floor lines and numbers, and window columns."""
    out = img.copy() if img.ndim == 3 else cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    f = geometry.facade
    for row in range(f.floors + 1):
        a, b = _pts(geometry, [[0, row], [f.columns, row]])
        cv2.line(out, tuple(a), tuple(b), GRID, 1, cv2.LINE_AA)
    for col in range(f.columns + 1):
        a, b = _pts(geometry, [[col, 0], [col, f.floors]])
        cv2.line(out, tuple(a), tuple(b), GRID, 1, cv2.LINE_AA)
    for row in range(f.floors):
        ((x, y),) = _pts(geometry, [[0, row + 0.5]])
        _label(out, f"{f.lowest_floor + row}F", (int(x) - 38, int(y) + 5), GRID)
    for col in range(f.columns):
        ((x, y),) = _pts(geometry, [[col + 0.5, 0]])
        _label(out, f"C{col + 1}", (int(x) - 10, int(y) + 18), GRID)
    for name, (x, y) in zip(("TL", "TR", "BR", "BL"), geometry.corners_px, strict=True):
        cv2.circle(out, (int(round(x)), int(round(y))), 5, ORIGIN, 2, cv2.LINE_AA)
        _label(out, f"{name} ({x:.0f},{y:.0f})", (int(x) + 7, int(y) - 7), ORIGIN)
    return out


def draw_trajectory(
    img: np.ndarray,
    geometry: FacadeGeometry,
    detection: ThrowingDetection,
    trajectory: Iterable[tuple[int, float, float]],
) -> np.ndarray:
    """The trajectory over the facade, with floor lines and the window of origin marked."""
    out = draw_calibration(img, geometry)
    f = geometry.facade
    row, col = detection.floor - f.lowest_floor, detection.column - 1
    cell = _pts(geometry, [[col, row], [col + 1, row], [col + 1, row + 1], [col, row + 1]])
    shade = out.copy()
    cv2.fillConvexPoly(shade, cell, ORIGIN, cv2.LINE_AA)
    out = cv2.addWeighted(shade, 0.35, out, 0.65, 0)
    cv2.polylines(out, [cell], True, ORIGIN, 2, cv2.LINE_AA)
    pts = np.array([[x, y] for _, x, y in trajectory], dtype=np.float64)
    if len(pts):
        cv2.polylines(out, [pts.round().astype(np.int32)], False, PATH, 2, cv2.LINE_AA)
        for x, y in pts[:: max(1, len(pts) // 40)]:
            cv2.circle(out, (int(round(x)), int(round(y))), 2, PATH, -1, cv2.LINE_AA)
    rx, ry = detection.release_px
    cv2.drawMarker(out, (int(round(rx)), int(round(ry))), ORIGIN, cv2.MARKER_CROSS, 18, 2)
    text = (
        f"{detection.camera}  floor {detection.floor}  column {detection.column}  "
        f"release frame {detection.start_frame}  alarm frame {detection.frame}  p={detection.confidence:.2f}"
    )
    _label(out, text, (10, 24), (255, 255, 255), 0.55)
    return out


class FrameRing:
    """The last few seconds of frames, JPEG-compressed so that seconds of 720p stay small."""

    def __init__(self, seconds: float, fps: float, quality: int = 85) -> None:
        self._frames: deque[tuple[int, bytes]] = deque(maxlen=max(1, int(seconds * fps)))
        self._quality = quality

    def add(self, index: int, frame: np.ndarray) -> None:
        """Keep one frame."""
        ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, self._quality])
        if ok:
            self._frames.append((index, buf.tobytes()))

    def since(self, first: int) -> list[tuple[int, bytes]]:
        """Kept frames with index >= first."""
        return [(i, b) for i, b in self._frames if i >= first]

    def frame(self, index: int) -> np.ndarray | None:
        """One kept frame, decoded, or None."""
        for i, b in self._frames:
            if i == index:
                return cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_COLOR)
        return None


def write_clip(path: Path, frames: Sequence[tuple[int, bytes]], fps: float) -> bool:
    """Write JPEG-compressed frames as an mp4 clip; False if nothing could be written."""
    if not frames:
        return False
    first = cv2.imdecode(np.frombuffer(frames[0][1], np.uint8), cv2.IMREAD_COLOR)
    if first is None:
        return False
    h, w = first.shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (w, h))
    if not writer.isOpened():
        return False
    try:
        for _, data in frames:
            writer.write(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR))
    finally:
        writer.release()
    return True


class EvidenceRecorder:
    """Writes, per alarm, a trajectory image and a clip from ~2 s before release to the end of the fall.

    The clip is written while the fall goes on: frames from before the alarm come from a
    short ring of recent frames, later ones are appended as they arrive.
    """

    def __init__(self, out_dir: Path, geometry: FacadeGeometry, fps: float, before_s: float = 2.0) -> None:
        self.out_dir = out_dir
        self.geometry = geometry
        self.fps = fps
        self.before = int(before_s * fps)
        self.ring = FrameRing(before_s + 4.0, fps)
        self._open: list[tuple[ThrowingDetection, cv2.VideoWriter, Path, np.ndarray]] = []
        self.written: list[Path] = []

    def add_frame(self, index: int, frame: np.ndarray) -> None:
        """Keep the frame for clips to come and append it to clips being written."""
        self.ring.add(index, frame)
        for _, writer, _, _ in self._open:
            writer.write(frame)

    def start(self, detection: ThrowingDetection) -> None:
        """Begin the clip of a new alarm (call after `add_frame` of the alarm frame)."""
        stem = f"{detection.camera or 'camera'}-f{detection.frame:06d}-t{detection.track_id}"
        path = self.out_dir / f"{stem}.mp4"
        past = self.ring.since(detection.start_frame - self.before)
        if not past:
            return
        first = cv2.imdecode(np.frombuffer(past[0][1], np.uint8), cv2.IMREAD_COLOR)
        if first is None:
            return
        h, w = first.shape[:2]
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), self.fps, (w, h))
        if not writer.isOpened():
            return
        base: np.ndarray = first
        for i, data in past:
            image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
            if image is None:
                continue
            writer.write(image)
            if i <= detection.start_frame:
                base = image  # the facade as it looked at the release
        self._open.append((detection, writer, path, base))
        self.written.append(path)

    def pending(self) -> list[ThrowingDetection]:
        """Alarms whose clip is still being written."""
        return [d for d, _, _, _ in self._open]

    def finish_ended(
        self, index: int, trajectories: dict[int, list[tuple[int, float, float]]], force: bool = False
    ) -> None:
        """Close clips whose fall has ended (no sighting for half a second) and draw their images."""
        still: list[tuple[ThrowingDetection, cv2.VideoWriter, Path, np.ndarray]] = []
        for detection, writer, path, base in self._open:
            trajectory = trajectories.get(detection.track_id) or list(detection.track)
            last = trajectory[-1][0] if trajectory else detection.frame
            if force or index - last > self.fps / 2 or index - detection.frame > 15 * self.fps:
                writer.release()
                png = path.with_suffix(".png")
                cv2.imwrite(str(png), draw_trajectory(base, self.geometry, detection, trajectory))
                self.written.append(png)
            else:
                still.append((detection, writer, path, base))
        self._open = still
