"""Grey frames straight from the decoder: the luma plane, the same picture as BGR converted."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from detectors.throwing.source import FrameSource


def _video(path: Path, fourcc: str) -> Path:
    rng = np.random.default_rng(50004)
    base = cv2.resize(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8), (320, 240), interpolation=cv2.INTER_LINEAR)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), 25.0, (320, 240))
    for k in range(6):
        writer.write(np.roll(base, 3 * k, axis=1))
    writer.release()
    return path


def _frames(path: Path, gray: bool) -> list[np.ndarray]:
    with FrameSource(str(path), gray=gray) as source:
        return [frame for _, frame in source]


def test_grey_frames_are_the_luma_of_the_colour_frames(tmp_path: Path) -> None:
    video = _video(tmp_path / "clip.mp4", "mp4v")
    colour, grey = _frames(video, False), _frames(video, True)
    assert len(colour) == len(grey) == 6
    for bgr, luma in zip(colour, grey, strict=True):
        assert luma.shape == (240, 320) and luma.dtype == np.uint8 and luma.flags["C_CONTIGUOUS"]
        converted = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY).astype(np.float64)
        # MPEG-4 video keeps luma in 16-235; BGR->grey sees it stretched to 0-255.
        slope, offset = np.polyfit(luma.astype(np.float64).ravel(), converted.ravel(), 1)
        assert abs(slope - 255 / 219) < 0.02 and abs(offset + 16 * 255 / 219) < 2.0
        assert np.abs(converted - (luma - 16.0) * 255 / 219).mean() < 2.0  # rounding, clipped colours


def test_full_range_video_gives_its_luma_unchanged(tmp_path: Path) -> None:
    video = _video(tmp_path / "clip.avi", "MJPG")  # JPEG pictures: full-range luma
    for bgr, luma in zip(_frames(video, False), _frames(video, True), strict=True):
        converted = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY).astype(np.float64)
        assert np.abs(converted - luma).mean() < 1.0
