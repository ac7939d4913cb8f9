"""`zhian throwing-eval DIR`: score the throwing detector on a folder of synthetic scenes."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from detectors.throwing.detector import ThrowingDetector
from detectors.throwing.evaluate import findings, match_scene, summarise
from detectors.throwing.pipeline import run_source
from detectors.throwing.source import FrameSource, SourceError
from ingest.registry import Facade

log = logging.getLogger("zhian.throwing")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `throwing-eval` subcommand."""
    p = sub.add_parser(
        "throwing-eval",
        help="recall, false alarms, floor/column accuracy and alarm latency on synthetic scenes",
        description="Runs the throwing detector on every scene-*.mp4 of DIR that has a truth "
        "file (as written by `zhian throwing-synth`) and prints the figures.",
    )
    p.add_argument("dir", type=Path, help="directory of scenes (NAME.mp4 + NAME.json)")
    p.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Evaluate; exit 0, or 2 when there is nothing to evaluate."""
    truths = sorted(args.dir.glob("*.json"))
    if not truths:
        print(f"error: no truth files (*.json) in {args.dir}; make scenes with `zhian throwing-synth`", file=sys.stderr)
        return 2
    scores = []
    fps = 25.0
    frames = 0
    started = time.perf_counter()
    for path in truths:
        truth = json.loads(path.read_text(encoding="utf-8"))
        video = path.with_name(truth["video"])
        try:
            source = FrameSource(str(video))
        except SourceError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        fps = source.fps
        detector = ThrowingDetector(Facade(**truth["facade"]), fps, truth["camera"])
        with source:
            detections = [d.to_json() for d in run_source(source, detector)]
        frames += truth["frames"]
        score = match_scene(path.stem, truth, detections)
        scores.append(score)
        for line in findings(score, fps):
            log.info("%s: %s", path.stem, line)
    report = summarise(scores, fps)
    elapsed = time.perf_counter() - started
    if args.json:
        print(json.dumps(report.to_json()))
    else:
        for line in report.lines():
            print(line)
        print(f"detector speed incl. decode: {frames / elapsed:.0f} frames/s over {frames} frames")
    return 0
