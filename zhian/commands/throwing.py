"""`zhian throwing VIDEO --devices devices.yaml --camera ID --json [--evidence DIR]` (PRODUCT.md)."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import orjson

from detectors.throwing.detector import ThrowingDetector
from detectors.throwing.evidence import EvidenceRecorder
from detectors.throwing.source import FrameSource, SourceError
from ingest.errors import RegistryError
from ingest.registry import Device, load_registry
from zhian.commands import print_problems

log = logging.getLogger("zhian.throwing")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `throwing` subcommand."""
    p = sub.add_parser(
        "throwing",
        help="run the high-rise throwing detector (高空抛物) on a video with a camera's facade calibration",
        description="Finds objects that leave a window and fall, and prints one JSON line per thrown "
        "object with the alarm frame, the estimated release frame, floor and window column. "
        "Progress goes to stderr.",
    )
    p.add_argument("video", help="video file (or rtsp:// / http:// stream)")
    p.add_argument("--devices", required=True, type=Path, help="devices.yaml of the compound")
    p.add_argument("--camera", required=True, help="id of the facade camera whose calibration to use")
    p.add_argument("--json", action="store_true", help="print detections as JSON lines (the default)")
    p.add_argument("--evidence", type=Path, default=None, help="write a trajectory image and a clip per throw here")
    p.set_defaults(func=run)


def facade_camera(devices: Path, camera: str) -> Device:
    """The registered camera with a facade calibration; raises ValueError saying what to fix."""
    registry = load_registry(devices)
    device = registry.get(camera)
    if device is None:
        known = [d.id for d in registry.devices if d.facade is not None]
        hint = f"; cameras with a facade calibration: {', '.join(known)}" if known else ""
        raise ValueError(f"no device {camera!r} in {devices}{hint}")
    if device.type != "camera":
        raise ValueError(f"device {camera!r} in {devices} is a {device.type}, not a camera")
    if device.facade is None:
        raise ValueError(
            f"camera {camera!r} in {devices} has no facade calibration: add "
            "facade: {corners_px: [TL, TR, BR, BL], floors, lowest_floor, columns} "
            "(check it with `zhian throwing-calibrate`)"
        )
    return device


def run(args: argparse.Namespace) -> int:
    """Detect throws in the video; exit 0 on success, 2 when the inputs need fixing."""
    try:
        device = facade_camera(args.devices, args.camera)
        source = FrameSource(args.video)
    except RegistryError as exc:
        print_problems(exc)
        return 2
    except (ValueError, SourceError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    assert device.facade is not None
    detector = ThrowingDetector(device.facade, source.fps, device.id)
    recorder: EvidenceRecorder | None = None
    out = sys.stdout.buffer
    started = time.perf_counter()
    count = frames = 0
    with source:
        for index, frame in source:
            frames += 1
            try:
                detections = detector.process(index, frame)
            except ValueError as exc:  # the calibration does not fit this video's frame
                print(f"error: camera {device.id!r}: {exc}; check facade.corners_px", file=sys.stderr)
                return 2
            if args.evidence is not None:
                if recorder is None:
                    assert detector.geometry is not None
                    args.evidence.mkdir(parents=True, exist_ok=True)
                    recorder = EvidenceRecorder(args.evidence, detector.geometry, source.fps)
                recorder.add_frame(index, frame)
            for detection in detections:
                count += 1
                out.write(orjson.dumps(detection.to_json()) + b"\n")
                out.flush()
                if recorder is not None:
                    recorder.start(detection)
            if recorder is not None:
                recorder.finish_ended(index, _trajectories(detector, recorder))
            if frames % 500 == 0:
                log.info("%s: %d frames, %.0f frames/s", args.video, frames, frames / (time.perf_counter() - started))
    for detection in detector.flush():
        count += 1
        out.write(orjson.dumps(detection.to_json()) + b"\n")
    if recorder is not None:
        recorder.finish_ended(frames, _trajectories(detector, recorder), force=True)
        for path in recorder.written:
            log.info("evidence: %s", path)
    if frames == 0:
        print(f"error: no frame could be decoded from {args.video!r}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - started
    log.info(
        "%s: %d frames in %.1f s (%.0f frames/s), %d throw(s)", args.video, frames, elapsed, frames / elapsed, count
    )
    return 0


def _trajectories(detector: ThrowingDetector, recorder: EvidenceRecorder) -> dict[int, list[tuple[int, float, float]]]:
    return {d.track_id: detector.trajectory(d.track_id) for d in recorder.pending()}
