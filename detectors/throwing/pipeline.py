"""Running a detector over a whole frame source (the thin effectful shell around it)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from detectors.throwing.detection import ThrowingDetection
from detectors.throwing.detector import ThrowingDetector
from detectors.throwing.source import FrameSource


def run_source(
    source: FrameSource,
    detector: ThrowingDetector,
    on_detection: Callable[[ThrowingDetection], None] | None = None,
    on_frame: Callable[[int, np.ndarray], None] | None = None,
) -> list[ThrowingDetection]:
    """Feed every frame of `source` to `detector`; returns all detections in alarm order."""
    found: list[ThrowingDetection] = []
    for index, frame in source:
        if on_frame is not None:
            on_frame(index, frame)
        for detection in detector.process(index, frame):
            found.append(detection)
            if on_detection is not None:
                on_detection(detection)
    for detection in detector.flush():
        found.append(detection)
        if on_detection is not None:
            on_detection(detection)
    return found
