"""Throwing detector speed: decode-only vs decode+detect frames/s on the same 720p video, one core.

    python bench/throwing_bench.py [VIDEO.mp4 ...] [--frames N] [--repeat R] [--gray]

Without VIDEO two synthetic 720p scenes are rendered to a temporary directory first: a day
scene and a night scene (IR noise, insects, rain), since night noise makes the most
foreground. Each video is decoded alone and then decoded and run through the detector, in
this process, one after the other, so both figures share the machine's load; with
`--repeat` each pair is measured R times and the range is printed. Besides wall-clock
frames/s the bench prints CPU-time frames/s (time.process_time of this process): on a
machine shared with other jobs that is the honest per-core rate. The facade calibration
comes from VIDEO's truth file (NAME.json, as `zhian throwing-synth` writes) or else from the
demo camera of devices.yaml. With `--gray` the source hands out grey frames (the decoder's
luma plane, see `FrameSource`) for both measurements. Both measurements decode alike, on
`--decode-threads` FFmpeg threads (default 1, as `FrameSource` does; 0 lets FFmpeg choose).
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


def decode_only(video: str, limit: int, gray: bool = False, threads: int | None = 1) -> tuple[int, float, float]:
    """Frames decoded, wall seconds and CPU seconds taken."""
    started, cpu = time.perf_counter(), time.process_time()
    n = 0
    with FrameSource(video, gray=gray, decode_threads=threads) as source:
        for _index, _frame in source:
            n += 1
            if n >= limit:
                break
    return n, time.perf_counter() - started, time.process_time() - cpu


def decode_detect(
    video: str, facade: Facade, limit: int, gray: bool = False, threads: int | None = 1
) -> tuple[int, float, float, int]:
    """Frames decoded and run through the detector, wall and CPU seconds taken, detections."""
    started, cpu = time.perf_counter(), time.process_time()
    n = found = 0
    with FrameSource(video, gray=gray, decode_threads=threads) as source:
        detector = ThrowingDetector(facade, source.fps, "bench")
        for index, frame in source:
            found += len(detector.process(index, frame))
            n += 1
            if n >= limit:
                break
    return n, time.perf_counter() - started, time.process_time() - cpu, found


def facade_for(video: str) -> Facade:
    """The calibration of a synthetic scene's truth file, or the demo facade camera's."""
    truth = Path(video).with_suffix(".json")
    if truth.is_file():
        return Facade(**json.loads(truth.read_text(encoding="utf-8"))["facade"])
    device = load_registry(Path(__file__).resolve().parents[1] / "devices.yaml").get("cam-b3-north")
    assert device is not None and device.facade is not None
    return device.facade


def synthetic_videos(keep: str | None = None) -> list[str]:
    """A day and a night 720p scene with throws and nuisances, rendered to a temporary directory
    (or to `keep`, where scenes already rendered are reused)."""
    from detectors.throwing.synth.scene import SceneSpec, render_scene

    out = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="throwing-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    specs = {
        "day": SceneSpec(seed=5, throws=2, nuisances=("birds", "shake", "window_lights"), night=False, seconds=12),
        "night": SceneSpec(seed=6, throws=2, nuisances=("insects", "rain", "window_lights"), night=True, seconds=12),
    }
    for name, spec in specs.items():
        if not (out / f"{name}.mp4").is_file() or not (out / f"{name}.json").is_file():
            render_scene(spec, out, name)
    return [str(out / f"{name}.mp4") for name in specs]


def main() -> int:
    """Run both measurements per video and print them side by side."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("videos", nargs="*", help="720p videos (default: render a day and a night scene)")
    parser.add_argument("--frames", type=int, default=10_000, help="at most this many frames")
    parser.add_argument("--threads", type=int, default=1, help="OpenCV threads (default 1: per-core figure)")
    parser.add_argument("--repeat", type=int, default=1, help="measure each video this many times")
    parser.add_argument("--keep", metavar="DIR", help="render the synthetic scenes here and reuse them")
    parser.add_argument("--gray", action="store_true", help="grey frames from the source (the decoder's luma plane)")
    parser.add_argument(
        "--decode-threads", type=int, default=1, help="FFmpeg decoder threads for both measures (0: FFmpeg's choice)"
    )
    args = parser.parse_args()
    threads = args.decode_threads or None
    cv2.setNumThreads(args.threads)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    videos = args.videos or synthetic_videos(args.keep)
    frames = "grey (luma plane)" if args.gray else "BGR"
    decoder = f"{threads} decoder thread(s)" if threads else "decoder threads as FFmpeg chooses"
    print(f"OpenCV threads {args.threads}, {args.repeat} run(s) per video, {frames} frames from the source")
    print(f"both measures decode alike: {decoder}")
    for video in videos:
        facade = facade_for(video)
        with FrameSource(video) as probe:
            size = probe.size
        decode_only(video, 50, args.gray, threads)  # warm the file cache and the decoder
        plain: list[float] = []
        full: list[float] = []
        plain_cpu: list[float] = []
        full_cpu: list[float] = []
        n1 = found = 0
        for _ in range(max(1, args.repeat)):
            n0, t0, c0 = decode_only(video, args.frames, args.gray, threads)
            n1, t1, c1, found = decode_detect(video, facade, args.frames, args.gray, threads)
            plain.append(n0 / t0)
            full.append(n1 / t1)
            plain_cpu.append(n0 / c0)
            full_cpu.append(n1 / c1)
        print(f"video {video} {size[0]}x{size[1]}, {n1} frames, {found} detection(s)")
        print(f"{'':>16}  {'wall':>13}  {'CPU time':>13}")
        print(f"{'decode only':>16}: {_span(plain)}  {_span(plain_cpu)} frames/s")
        print(f"{'decode + detect':>16}: {_span(full)}  {_span(full_cpu)} frames/s")
        ms = [1000 / b - 1000 / a for a, b in zip(plain, full, strict=True)]
        ms_cpu = [1000 / b - 1000 / a for a, b in zip(plain_cpu, full_cpu, strict=True)]
        alone = f"{min(ms):5.2f}-{max(ms):5.2f}    {min(ms_cpu):5.2f}-{max(ms_cpu):5.2f}"
        print(f"{'detector alone':>16}: {alone} ms/frame")
    return 0


def _span(values: list[float]) -> str:
    return f"{min(values):13.1f}" if len(values) == 1 else f"{min(values):6.1f}-{max(values):6.1f}"


if __name__ == "__main__":
    sys.exit(main())
