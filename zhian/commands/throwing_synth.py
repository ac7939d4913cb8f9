"""`zhian throwing-synth OUTDIR --scenes N --seed S`: synthetic facade scenes with ground truth."""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from detectors.throwing.synth.scene import generate

log = logging.getLogger("zhian.throwing")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `throwing-synth` subcommand."""
    p = sub.add_parser(
        "throwing-synth",
        help="render synthetic throwing scenes (720p mp4 + JSON truth + devices.yaml)",
        description="Renders a facade seen from below through a pinhole camera, with throws from "
        "known windows and nuisances (birds, insects, leaves, rain, laundry, curtains, window "
        "lights, illumination jumps, shake, night IR noise, compression). Deterministic by seed.",
    )
    p.add_argument("out", type=Path, help="output directory")
    p.add_argument("--scenes", type=int, default=10, help="number of scenes (default 10)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument(
        "--nuisance-fraction", type=float, default=0.3, help="share of scenes without any throw (default 0.3)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Render the scenes; exit 0."""
    if args.scenes < 1 or not 0.0 <= args.nuisance_fraction <= 1.0:
        print("error: --scenes must be >= 1 and --nuisance-fraction within 0..1")
        return 2
    started = time.perf_counter()
    truths = generate(args.out, args.scenes, args.seed, args.nuisance_fraction)
    throws = sum(len(t["throws"]) for t in truths)
    log.info(
        "%d scenes, %d throws written to %s in %.0f s", len(truths), throws, args.out, time.perf_counter() - started
    )
    return 0
