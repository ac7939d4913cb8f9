"""Frame sources: a video file, an RTSP or an HTTP stream, read through OpenCV's FFmpeg backend."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from ingest.errors import ZhianError

STREAM_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://")
# Decoded pictures whose first plane is the luma image, row after row (planar and semi-planar YUV):
# their first plane can be taken as the grey image without any conversion.
LUMA_FIRST = {b"I420", b"IYUV", b"YV12", b"J420", b"NV12", b"NV21", b"Y42B", b"444P", b"Y800", b"GREY"}


class SourceError(ZhianError):
    """A video source cannot be opened or read."""


class FrameSource:
    """Frames of one source with their 0-based index; `fps` comes from the container or stream.

    With `gray=True` the frames are single-channel: the decoder's own luma plane where the
    codec has one (no colour conversion of the whole picture, about half a millisecond per 720p
    frame, and none for the detector either), else the BGR picture converted. The luma plane
    keeps the stream's range (16-235 for most MPEG-4 and H.264 video) where BGR->grey would
    stretch it to 0-255.

    `decode_threads` is how many threads FFmpeg decodes with: one by default, since a compound
    runs a worker per camera (the cores are shared out by camera), and FFmpeg's frame threads
    cost CPU time of their own (measured on the bench's noisy 720p night video: 5-8 % more per
    frame with two) and each extra one delays every frame by one. None lets FFmpeg choose (one
    per core). The frames are the same either way.
    """

    def __init__(self, uri: str, *, gray: bool = False, decode_threads: int | None = 1) -> None:
        self.uri = uri
        is_stream = uri.startswith(STREAM_SCHEMES)
        if not is_stream and not Path(uri).is_file():
            raise SourceError(f"video {uri!r} does not exist or is not a file")
        if uri.startswith(("rtsp://", "rtsps://")):
            # UDP loses packets on busy compound networks; TCP trades latency for whole frames.
            os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp")
        params = [] if decode_threads is None else [cv2.CAP_PROP_N_THREADS, int(decode_threads)]
        self._cap = cv2.VideoCapture(uri, cv2.CAP_FFMPEG, params)
        if not self._cap.isOpened():
            raise SourceError(f"cannot open video {uri!r}: not a format or stream FFmpeg can read")
        fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if 1.0 <= fps <= 240.0 else 25.0
        self.frame_count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self.size = (
            int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
        )
        self.gray = gray
        self.decode_threads = int(self._cap.get(cv2.CAP_PROP_N_THREADS) or 0)  # as FFmpeg runs it
        pixel_format = int(self._cap.get(cv2.CAP_PROP_CODEC_PIXEL_FORMAT) or 0).to_bytes(4, "little")
        self._luma = gray and pixel_format in LUMA_FIRST
        if self._luma:
            self._cap.set(cv2.CAP_PROP_CONVERT_RGB, 0)

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        index = 0
        while True:
            ok, frame = self._read()
            if not ok or frame is None:
                return
            if self.gray and frame.ndim == 3:
                frame = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
            yield index, frame
            index += 1

    def _read(self) -> tuple[bool, np.ndarray | None]:
        if not self._luma:
            return self._cap.read()
        # Unconverted YUV makes OpenCV warn on every frame that it hands out the first plane
        # only, which is what is wanted here.
        level = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
        try:
            ok, frame = self._cap.read()
        finally:
            cv2.utils.logging.setLogLevel(level)
        if ok and frame is not None and frame.shape[:2] != (self.size[1], self.size[0]):
            raise SourceError(f"video {self.uri!r}: the decoder's luma plane is {frame.shape}, not {self.size}")
        return ok, frame

    def close(self) -> None:
        """Release the decoder."""
        self._cap.release()

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
