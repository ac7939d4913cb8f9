"""Throwing detector speed: decode-only vs decode+detect frames/s on the same 720p video, one core.

    python bench/throwing_bench.py [VIDEO.mp4] [--frames N]

Without VIDEO a synthetic 720p scene is rendered to a temporary directory first. The
facade calibration comes from VIDEO's truth file (NAME.json, as `zhian throwing-synth`
writes) or else from the demo camera of devices.yaml.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from detectors.throwing.detector import ThrowingDetector  # noqa: E402
from detectors.throwing.source import FrameSource  # noqa: E402
from ingest.registry import Facade, load_registry  # noqa: E402


def decode_only(video: str, limit: int) -> tuple[int, float]:
    """Frames decoded and seconds taken."""
    started = time.perf_counter()
    n = 0
    with FrameSource(video) as source:
        for _index, _frame in source:
            n += 1
            if n >= limit:
                break
    return n, time.perf_counter() - started


def decode_detect(video: str, facade: Facade, limit: int) -> tuple[int, float, int]:
    """Frames decoded and run through the detector, seconds taken, detections."""
    started = time.perf_counter()
    n = found = 0
    with FrameSource(video) as source:
        detector = ThrowingDetector(facade, source.fps, "bench")
        for index, frame in source:
            found += len(detector.process(index, frame))
            n += 1
            if n >= limit:
                break
    return n, time.perf_counter() - started, found


def main() -> int:
    """Run both measurements and print them side by side."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("video", nargs="?", help="720p video (default: render a synthetic scene)")
    parser.add_argument("--frames", type=int, default=10_000, help="at most this many frames")
    parser.add_argument("--threads", type=int, default=1, help="OpenCV threads (default 1: per-core figure)")
    args = parser.parse_args()
    cv2.setNumThreads(args.threads)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    video = args.video
    if video is None:
        from detectors.throwing.synth.scene import SceneSpec, render_scene

        out = Path(tempfile.mkdtemp(prefix="throwing-bench-"))
        spec = SceneSpec(seed=5, throws=2, nuisances=("birds", "shake", "window_lights"), night=False, seconds=12)
        render_scene(spec, out, "bench")
        video = str(out / "bench.mp4")
    truth = Path(video).with_suffix(".json")
    if truth.is_file():
        facade = Facade(**json.loads(truth.read_text(encoding="utf-8"))["facade"])
    else:
        device = load_registry(Path(__file__).resolve().parents[1] / "devices.yaml").get("cam-b3-north")
        assert device is not None and device.facade is not None
        facade = device.facade
    with FrameSource(video) as probe:
        size = probe.size
    decode_only(video, 50)  # warm the file cache and the decoder
    n0, t0 = decode_only(video, args.frames)
    n1, t1, found = decode_detect(video, facade, args.frames)
    fps0, fps1 = n0 / t0, n1 / t1
    print(f"video {video} {size[0]}x{size[1]}, {n1} frames, OpenCV threads {args.threads}")
    print(f"{'decode only':>16}: {fps0:7.1f} frames/s  ({1000 / fps0:5.2f} ms/frame)")
    print(f"{'decode + detect':>16}: {fps1:7.1f} frames/s  ({1000 / fps1:5.2f} ms/frame), {found} detection(s)")
    print(f"{'ratio':>16}: {fps1 / fps0:7.2f}  (detector alone ~{1000 / fps1 - 1000 / fps0:.2f} ms/frame)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
