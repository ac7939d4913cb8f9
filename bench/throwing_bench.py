"""Throwing detector speed: decode-only vs decode+detect frames/s on the same 720p video, one core.

    python bench/throwing_bench.py [VIDEO.mp4 ...] [--frames N] [--repeat R] [--gray] [--h264 KBPS ...] [--split]

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

The synthetic scenes are MPEG-4 Part 2 (mp4v, what OpenCV's writer makes) at whatever bitrate
the noise costs, ~47 Mb/s at night. IP cameras send H.264 at a few Mb/s, which decodes at a
different cost and smooths away part of the noise. `--h264 KBPS` (repeatable) transcodes each
video with the ffmpeg command-line tool to H.264 as a camera encodes it (see `h264_args`) and
measures the copy too, as separate rows; without ffmpeg on PATH those rows are skipped.

`--split` adds, per video, the detector alone in CPU ms a frame split into its stages: the
grey conversion of the ROI, the foreground (of which the shake estimate), the tracker, and the
decisions (the rest of `ThrowingDetector.process`). The frames are decoded first and not
timed; the grey conversion is timed on its own, the same copy and conversion `process` makes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess  # noqa: S404 - runs the ffmpeg CLI with arguments built here, no shell
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

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


def split_detect(video: str, facade: Facade, limit: int) -> tuple[int, dict[str, float]]:
    """Frames run and the detector's CPU ms a frame per stage (see `--split`), on decoded frames."""
    with FrameSource(video) as source:
        frames = []
        for index, frame in source:
            frames.append((index, frame))
            if len(frames) >= limit:
                break
        fps = source.fps
    detector = ThrowingDetector(facade, fps, "bench")
    detector.process(*frames[0])  # (sets up the ROI, the foreground and the tracker)
    spent = {"foreground": 0.0, "stabilise": 0.0, "tracker": 0.0}
    fg, tracker = detector._fg, detector._tracker
    assert fg is not None
    shake = fg._shake

    def timed(stage: str, call: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return call(*args, **kwargs)
            finally:
                spent[stage] += time.process_time() - started

        return run

    # (On these instances only: the detector's code is what runs, with a clock around each stage.)
    fg.apply = timed("foreground", fg.apply)  # type: ignore[method-assign]
    shake.reduce = timed("stabilise", shake.reduce)  # type: ignore[method-assign]
    shake.measure = timed("stabilise", shake.measure)  # type: ignore[method-assign]
    tracker.update = timed("tracker", tracker.update)  # type: ignore[method-assign]
    started = time.process_time()
    for index, frame in frames[1:]:
        detector.process(index, frame)
    total = time.process_time() - started
    x0, y0, x1, y1 = detector._roi
    colour = np.empty((y1 - y0, x1 - x0, 3), np.uint8)
    grey = np.empty((y1 - y0, x1 - x0), np.uint8)
    started = time.process_time()
    for _, frame in frames[1:]:
        if frame.ndim == 3:
            np.copyto(colour, frame[y0:y1, x0:x1])
            cv2.cvtColor(colour, cv2.COLOR_BGR2GRAY, dst=grey)
    spent["grey"] = time.process_time() - started
    spent["decisions"] = total - spent["foreground"] - spent["tracker"] - spent["grey"]
    spent["total"] = total
    n = max(len(frames) - 1, 1)
    return n, {stage: 1000 * seconds / n for stage, seconds in spent.items()}


def print_split(frames: int, ms: dict[str, float]) -> None:
    """The line of `--split` for one video."""
    stages = ", ".join(f"{stage} {ms[stage]:.2f}" for stage in ("grey", "foreground", "tracker", "decisions"))
    print(f"{'detector split':>16}: {ms['total']:.2f} ms/frame CPU = {stages}")
    print(f"{'':>18}(stabilise {ms['stabilise']:.2f} of the foreground), over {frames} decoded frames")


def facade_for(video: str) -> Facade:
    """The calibration of a synthetic scene's truth file, or the demo facade camera's."""
    truth = Path(video).with_suffix(".json")
    if truth.is_file():
        return Facade(**json.loads(truth.read_text(encoding="utf-8"))["facade"])
    device = load_registry(Path(__file__).resolve().parents[1] / "devices.yaml").get("cam-b3-north")
    assert device is not None and device.facade is not None
    return device.facade


def h264_args(src: str, dst: str, kbps: int, gop: int = 50) -> list[str]:
    """The ffmpeg arguments that encode `src` to H.264 at `kbps` as an IP camera would: constant
    bitrate (min = max = target, a one-second buffer), a fixed GOP of `gop` frames with no extra
    keyframes at scene cuts, no B-frames, 4:2:0, no audio. One encoder thread keeps the output
    the same on any machine."""
    rate = f"{kbps}k"
    return [
        "-hide_banner", "-loglevel", "error", "-y", "-i", src, "-an",
        "-c:v", "libx264", "-preset", "veryfast", "-threads", "1",
        "-b:v", rate, "-minrate", rate, "-maxrate", rate, "-bufsize", rate,
        "-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0", "-bf", "0",
        "-pix_fmt", "yuv420p", dst,
    ]  # fmt: skip


def transcode_h264(src: str, dst: str, kbps: int, gop: int = 50) -> bool:
    """Encode `src` to H.264 at `dst` with `h264_args`; False when ffmpeg is not installed."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return False
    subprocess.run([ffmpeg, *h264_args(src, dst, kbps, gop)], check=True)  # noqa: S603
    return True


def h264_copies(video: str, rates: list[int], gop: int, out: str) -> list[tuple[str, str]]:
    """(label, path) of `video` transcoded to H.264 at each of `rates` kb/s, written to `out`
    (reused when already there); empty when ffmpeg is not installed."""
    copies = []
    for kbps in rates:
        dst = Path(out) / f"{Path(video).stem}.h264-{kbps}k-g{gop}.mp4"
        if not dst.is_file():
            part = dst.with_suffix(".part.mp4")  # a run cut short leaves no half file to reuse
            if not transcode_h264(video, str(part), kbps, gop):
                return []
            part.replace(dst)
        copies.append((f"H.264 {kbps} kb/s GOP {gop}", str(dst)))
    return copies


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
    parser.add_argument(
        "--h264",
        type=int,
        action="append",
        default=[],
        metavar="KBPS",
        help="also measure each video transcoded to H.264 at KBPS kb/s by the ffmpeg CLI (repeatable)",
    )
    parser.add_argument("--gop", type=int, default=50, help="keyframe interval of the H.264 copies (frames)")
    parser.add_argument("--split", action="store_true", help="also the detector alone, CPU ms a frame per stage")
    args = parser.parse_args()
    threads = args.decode_threads or None
    cv2.setNumThreads(args.threads)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    videos = args.videos or synthetic_videos(args.keep)
    frames = "grey (luma plane)" if args.gray else "BGR"
    decoder = f"{threads} decoder thread(s)" if threads else "decoder threads as FFmpeg chooses"
    print(f"OpenCV threads {args.threads}, {args.repeat} run(s) per video, {frames} frames from the source")
    print(f"both measures decode alike: {decoder}")
    scratch = args.keep or (tempfile.mkdtemp(prefix="throwing-bench-h264-") if args.h264 else "")
    if args.h264 and shutil.which("ffmpeg") is None:
        print("ffmpeg is not on PATH: the H.264 rows are skipped")
    for video in videos:
        facade = facade_for(video)
        copies = h264_copies(video, args.h264, args.gop, scratch) if args.h264 else []
        for label, path in [(None, video), *copies]:
            measure(label, path, facade, args.frames, args.repeat, args.gray, threads)
            if args.split:
                print_split(*split_detect(path, facade, args.frames))
    return 0


def measure(
    label: str | None, video: str, facade: Facade, limit: int, repeat: int, gray: bool, threads: int | None
) -> None:
    """Decode-only then decode+detect on `video`, `repeat` times, printed under `label` (by
    default the codec the file reports)."""
    size, codec, mbps = _probe(video)
    decode_only(video, 50, gray, threads)  # warm the file cache and the decoder
    plain: list[float] = []
    full: list[float] = []
    plain_cpu: list[float] = []
    full_cpu: list[float] = []
    n1 = found = 0
    for _ in range(max(1, repeat)):
        n0, t0, c0 = decode_only(video, limit, gray, threads)
        n1, t1, c1, found = decode_detect(video, facade, limit, gray, threads)
        plain.append(n0 / t0)
        full.append(n1 / t1)
        plain_cpu.append(n0 / c0)
        full_cpu.append(n1 / c1)
    print(f"video {video} {size}, {label or codec}, {mbps}, {n1} frames, {found} detection(s)")
    print(f"{'':>16}  {'wall':>13}  {'CPU time':>13}")
    print(f"{'decode only':>16}: {_span(plain)}  {_span(plain_cpu)} frames/s")
    print(f"{'decode + detect':>16}: {_span(full)}  {_span(full_cpu)} frames/s")
    ms = [1000 / b - 1000 / a for a, b in zip(plain, full, strict=True)]
    ms_cpu = [1000 / b - 1000 / a for a, b in zip(plain_cpu, full_cpu, strict=True)]
    alone = f"{min(ms):5.2f}-{max(ms):5.2f}    {min(ms_cpu):5.2f}-{max(ms_cpu):5.2f}"
    print(f"{'detector alone':>16}: {alone} ms/frame")


_CODECS = {"FMP4": "MPEG-4 Part 2", "mp4v": "MPEG-4 Part 2", "h264": "H.264", "avc1": "H.264", "hevc": "H.265"}


def _probe(video: str) -> tuple[str, str, str]:
    """The video's size, its codec (from the FourCC OpenCV's FFmpeg backend reports, named where
    known) and the whole file's mean bitrate (size over duration), from one opening."""
    capture = cv2.VideoCapture(video)
    try:
        size = f"{int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))}x{int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))}"
        code = int(capture.get(cv2.CAP_PROP_FOURCC))
        frames, fps = capture.get(cv2.CAP_PROP_FRAME_COUNT), capture.get(cv2.CAP_PROP_FPS)
    finally:
        capture.release()
    fourcc = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4)).strip()
    codec = f"{_CODECS.get(fourcc, 'codec')} ({fourcc or '?'})"
    if frames <= 0 or fps <= 0:
        return size, codec, "bitrate unknown"
    return size, codec, f"{os.path.getsize(video) * 8 / (frames / fps) / 1e6:.1f} Mb/s"


def _span(values: list[float]) -> str:
    return f"{min(values):13.1f}" if len(values) == 1 else f"{min(values):6.1f}-{max(values):6.1f}"


if __name__ == "__main__":
    sys.exit(main())
