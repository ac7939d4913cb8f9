"""`zhian throwing-calibrate --devices … --camera … --frame-from VIDEO --out PNG`: check a facade calibration by eye."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import cv2

from detectors.throwing.evidence import draw_calibration
from detectors.throwing.geometry import FacadeGeometry
from detectors.throwing.source import FrameSource, SourceError
from ingest.errors import RegistryError
from zhian.commands import print_problems
from zhian.commands.throwing import facade_camera

log = logging.getLogger("zhian.throwing")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `throwing-calibrate` subcommand."""
    p = sub.add_parser(
        "throwing-calibrate",
        help="draw a throwing camera's facade calibration (corners, floors, columns) over one of its frames",
        description="Installer aid: draws the calibrated area, the floor lines with their numbers and "
        "the window columns over a frame of the camera, so the calibration can be checked by eye.",
    )
    p.add_argument("--devices", required=True, type=Path, help="devices.yaml of the compound")
    p.add_argument("--camera", required=True, help="id of the facade camera")
    p.add_argument(
        "--frame-from", default=None, help="video file or stream to take the frame from (default: the camera's stream)"
    )
    p.add_argument("--frame", type=int, default=0, help="0-based index of the frame to use (default 0)")
    p.add_argument("--out", required=True, type=Path, help="PNG to write")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the overlay; exit 0, or 2 when an input needs fixing."""
    try:
        device = facade_camera(args.devices, args.camera)
        uri = args.frame_from or device.stream
        if not uri:
            raise ValueError(f"camera {args.camera!r} has no stream; pass --frame-from VIDEO")
        if not args.frame_from and "://" not in uri and not Path(uri).is_absolute():
            uri = str(args.devices.parent / uri)  # a file stream is relative to devices.yaml
        source = FrameSource(uri)
    except RegistryError as exc:
        print_problems(exc)
        return 2
    except (ValueError, SourceError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    assert device.facade is not None
    picked = None
    with source:
        for index, frame in source:
            if index == args.frame:
                picked = frame
                break
    if picked is None:
        print(f"error: {uri!r} has no frame {args.frame}", file=sys.stderr)
        return 2
    h, w = picked.shape[:2]
    geometry = FacadeGeometry(device.facade, (w, h))
    outside = [c for c in device.facade.corners_px if not (0 <= c[0] < w and 0 <= c[1] < h)]
    if outside:
        log.warning("corners %s lie outside the %dx%d frame", outside, w, h)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(args.out), draw_calibration(picked, geometry)):
        print(f"error: cannot write {args.out} (the file name must end in .png or .jpg)", file=sys.stderr)
        return 2
    log.info(
        "%s: %d floors from %d, %d columns; estimated camera %.0f m from the wall, focal %.0f px",
        args.out,
        device.facade.floors,
        device.facade.lowest_floor,
        device.facade.columns,
        geometry.camera_m[2],
        geometry.focal_px,
    )
    return 0
