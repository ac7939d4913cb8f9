"""The frame source decodes on one FFmpeg thread unless told otherwise, with the same frames."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from detectors.throwing.source import FrameSource


def _video(path: Path) -> Path:
    rng = np.random.default_rng(60001)
    base = cv2.resize(rng.integers(0, 256, (18, 32, 3), dtype=np.uint8), (640, 360), interpolation=cv2.INTER_LINEAR)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), 25.0, (640, 360))
    for k in range(12):
        noisy = base.astype(np.int16) + rng.integers(-12, 13, base.shape, dtype=np.int16)
        writer.write(np.roll(np.clip(noisy, 0, 255).astype(np.uint8), 2 * k, axis=0))
    writer.release()
    return path


def _frames(path: Path, threads: int | None) -> tuple[int, list[np.ndarray]]:
    with FrameSource(str(path), decode_threads=threads) as source:
        return source.decode_threads, [frame for _, frame in source]


def test_one_decoder_thread_by_default(tmp_path: Path) -> None:
    with FrameSource(str(_video(tmp_path / "clip.mp4"))) as source:
        assert source.decode_threads == 1


def test_thread_count_does_not_change_the_frames(tmp_path: Path) -> None:
    video = _video(tmp_path / "clip.mp4")
    one, single = _frames(video, 1)
    three, threaded = _frames(video, 3)
    assert (one, three) == (1, 3)
    assert len(single) == len(threaded) == 12
    for a, b in zip(single, threaded, strict=True):
        assert np.array_equal(a, b)
    chosen, auto = _frames(video, None)
    assert chosen >= 1 and all(np.array_equal(a, b) for a, b in zip(single, auto, strict=True))
