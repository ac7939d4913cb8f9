"""Frame sources: a video file, an RTSP or an HTTP stream, read through OpenCV's FFmpeg backend."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from ingest.errors import ZhianError

STREAM_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://")


class SourceError(ZhianError):
    """A video source cannot be opened or read."""


class FrameSource:
    """Frames of one source with their 0-based index; `fps` comes from the container or stream."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        is_stream = uri.startswith(STREAM_SCHEMES)
        if not is_stream and not Path(uri).is_file():
            raise SourceError(f"video {uri!r} does not exist or is not a file")
        if uri.startswith(("rtsp://", "rtsps://")):
            # UDP loses packets on busy compound networks; TCP trades latency for whole frames.
            os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp")
        self._cap = cv2.VideoCapture(uri, cv2.CAP_FFMPEG)
        if not self._cap.isOpened():
            raise SourceError(f"cannot open video {uri!r}: not a format or stream FFmpeg can read")
        fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if 1.0 <= fps <= 240.0 else 25.0
        self.frame_count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self.size = (
            int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
        )

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        index = 0
        while True:
            ok, frame = self._cap.read()
            if not ok or frame is None:
                return
            yield index, frame
            index += 1

    def close(self) -> None:
        """Release the decoder."""
        self._cap.release()

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
