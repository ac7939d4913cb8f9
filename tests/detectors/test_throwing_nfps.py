"""The night speed work: each faster path gives exactly what the plain computation gives."""

from __future__ import annotations

import cv2
import numpy as np

from detectors.throwing.detector import ThrowingDetector
from detectors.throwing.foreground import Blobs
from ingest.registry import Facade

FACADE = Facade(corners_px=[[512, 32], [768, 32], [936, 656], [344, 656]], floors=16, lowest_floor=3, columns=6)


def _grey_inputs(frames: list[np.ndarray]) -> tuple[list[np.ndarray], tuple[int, int, int, int]]:
    """What the detector hands its foreground for each frame, and the ROI it cut them from."""
    detector = ThrowingDetector(FACADE, 25.0, "nfps")
    detector._start(0, frames[0])
    assert detector._fg is not None
    seen: list[np.ndarray] = []

    def spy(gray: np.ndarray) -> Blobs:
        seen.append(gray.copy())
        assert gray.flags["C_CONTIGUOUS"]
        return Blobs.empty()

    detector._fg.apply = spy  # type: ignore[method-assign]
    for index, frame in enumerate(frames):
        detector.process(index, frame)
    return seen, detector._roi


def _colour_frames(count: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (720, 1280, 3), dtype=np.uint8) for _ in range(count)]


def test_the_grey_roi_of_a_colour_frame_is_opencv_s_conversion_of_the_roi() -> None:
    frames = _colour_frames(4, 7)
    seen, (x0, y0, x1, y1) = _grey_inputs(frames)
    assert len(seen) == len(frames)
    for frame, gray in zip(frames, seen, strict=True):
        expected = cv2.cvtColor(frame[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)
        assert gray.dtype == np.uint8 and gray.tobytes() == expected.tobytes()


def test_a_grey_frame_s_roi_goes_to_the_foreground_unchanged() -> None:
    rng = np.random.default_rng(8)
    frames = [rng.integers(0, 256, (720, 1280), dtype=np.uint8) for _ in range(3)]
    seen, (x0, y0, x1, y1) = _grey_inputs(frames)
    for frame, gray in zip(frames, seen, strict=True):
        assert gray.tobytes() == np.ascontiguousarray(frame[y0:y1, x0:x1]).tobytes()
