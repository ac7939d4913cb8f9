"""The throwing bench's H.264 copies: encoded as a camera would, and skipped without ffmpeg."""

from __future__ import annotations

import json
import shutil
import subprocess  # noqa: S404 - ffprobe with fixed arguments
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from bench import throwing_bench
from detectors.throwing.source import FrameSource

needs_ffmpeg = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="ffmpeg/ffprobe not installed (apt-get install ffmpeg); the bench skips its H.264 rows then",
)


def _noisy_720p(path: Path, frames: int = 100) -> Path:
    """Sensor-like noise over a drifting pattern: costly enough to fill any camera bitrate."""
    rng = np.random.default_rng(40004)
    base = cv2.resize(rng.integers(0, 256, (9, 16, 3), dtype=np.uint8), (1280, 720), interpolation=cv2.INTER_LINEAR)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), 25.0, (1280, 720))
    for k in range(frames):
        noisy = base.astype(np.int16) + rng.integers(-20, 21, base.shape, dtype=np.int16)
        writer.write(np.roll(np.clip(noisy, 0, 255).astype(np.uint8), 3 * k, axis=1))
    writer.release()
    return path


def _probe(path: Path, entries: str, frames: bool = False) -> list[str]:
    what = ["-show_entries", f"frame={entries}"] if frames else ["-show_entries", f"stream={entries}"]
    out = subprocess.run(  # noqa: S603
        ["ffprobe", "-v", "error", "-select_streams", "v:0", *what, "-of", "csv=p=0", str(path)],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [line.strip().strip(",") for line in out.splitlines() if line.strip()]


@needs_ffmpeg
def test_h264_copy_is_camera_like(tmp_path: Path) -> None:
    src = _noisy_720p(tmp_path / "noisy.mp4")
    copies = throwing_bench.h264_copies(str(src), [1500], 25, str(tmp_path))
    assert [label for label, _ in copies] == ["H.264 1500 kb/s GOP 25"]
    copy = Path(copies[0][1])
    assert copy.parent == tmp_path and copy != src
    assert not list(tmp_path.glob("*.part.mp4"))
    assert _probe(copy, "codec_name") == ["h264"]
    assert _probe(copy, "pix_fmt") == ["yuv420p"]
    assert _probe(copy, "has_b_frames") == ["0"]
    types = _probe(copy, "pict_type", frames=True)
    assert len(types) == 100
    assert [i for i, t in enumerate(types) if t == "I"] == [0, 25, 50, 75]
    assert "B" not in types
    kbps = copy.stat().st_size * 8 / (100 / 25.0) / 1000
    assert 1200 < kbps < 1700  # constant bitrate near the target, not the source's rate
    assert src.stat().st_size * 8 / 4.0 / 1000 > 3 * 1500
    with FrameSource(str(copy)) as source:
        assert source.size == (1280, 720)
        assert sum(1 for _ in source) == 100


@needs_ffmpeg
def test_h264_copy_is_reused(tmp_path: Path) -> None:
    src = _noisy_720p(tmp_path / "noisy.mp4", frames=10)
    first = throwing_bench.h264_copies(str(src), [800], 50, str(tmp_path))
    stamp = Path(first[0][1]).stat().st_mtime_ns
    again = throwing_bench.h264_copies(str(src), [800], 50, str(tmp_path))
    assert again == first and Path(again[0][1]).stat().st_mtime_ns == stamp


def test_without_ffmpeg_the_h264_rows_are_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    src = _noisy_720p(tmp_path / "noisy.mp4", frames=10)
    monkeypatch.setattr(throwing_bench.shutil, "which", lambda _name: None)
    assert throwing_bench.h264_copies(str(src), [2000], 50, str(tmp_path)) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["noisy.mp4"]
    facade = {"corners_px": [[500, 40], [780, 40], [780, 680], [500, 680]], "floors": 10, "columns": 4}
    (tmp_path / "noisy.json").write_text(json.dumps({"facade": facade}), encoding="utf-8")
    argv = ["throwing_bench.py", str(src), "--frames", "5", "--h264", "2000", "--keep", str(tmp_path)]
    monkeypatch.setattr(sys, "argv", argv)
    assert throwing_bench.main() == 0
    out = capsys.readouterr().out
    assert "ffmpeg is not on PATH: the H.264 rows are skipped" in out
    assert out.count("\nvideo ") == 1 and ", MPEG-4 Part 2 (FMP4), " in out
