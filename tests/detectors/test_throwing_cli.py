"""The throwing commands: the fixed `zhian throwing` shape, its errors, evidence, eval, calibrate, synth."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from detectors.throwing.synth.scene import SceneSpec, render_scene
from zhian.cli import main
from zhian.commands import throwing_calibrate, throwing_eval

KEYS = ["camera", "frame", "start_frame", "floor", "column", "confidence", "track"]


def _run_module(module, argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    module.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_throwing_prints_one_json_line_per_throw(scenes: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "throwing",
            str(scenes / "heavy-plain.mp4"),
            "--devices",
            str(scenes / "devices.yaml"),
            "--camera",
            "heavy-plain",
            "--json",
        ]
    )
    out = capsys.readouterr().out.splitlines()
    assert code == 0 and len(out) == 1
    record = json.loads(out[0])
    truth = json.loads((scenes / "heavy-plain.json").read_text())["throws"][0]
    assert list(record) == KEYS
    assert (record["floor"], record["column"]) == (truth["floor"], truth["column"])
    assert all(len(p) == 3 and p[0] <= record["frame"] for p in record["track"])


def test_evidence_is_an_image_and_a_clip_from_before_the_release(scenes: Path, tmp_path: Path) -> None:
    code = main(
        [
            "throwing",
            str(scenes / "heavy-plain.mp4"),
            "--devices",
            str(scenes / "devices.yaml"),
            "--camera",
            "heavy-plain",
            "--json",
            "--evidence",
            str(tmp_path),
        ]
    )
    assert code == 0
    pngs, clips = sorted(tmp_path.glob("*.png")), sorted(tmp_path.glob("*.mp4"))
    assert len(pngs) == 1 and len(clips) == 1
    clip = cv2.VideoCapture(str(clips[0]))
    frames = int(clip.get(cv2.CAP_PROP_FRAME_COUNT))
    clip.release()
    truth = json.loads((scenes / "heavy-plain.json").read_text())["throws"][0]
    fall = truth["end_frame"] - truth["release_frame"]
    assert frames >= fall + 40  # ~2 s before the release, then to the end of the fall
    image = cv2.imread(str(pngs[0]))
    assert image is not None and image.shape == (720, 1280, 3)


def test_unknown_camera_names_the_cameras_that_exist(scenes: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "throwing",
            str(scenes / "heavy-plain.mp4"),
            "--devices",
            str(scenes / "devices.yaml"),
            "--camera",
            "cam-nowhere",
            "--json",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "cam-nowhere" in err and "heavy-plain" in err


def test_camera_without_facade_says_what_to_add(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    devices = tmp_path / "devices.yaml"
    devices.write_text(
        "version: 1\ncommunity: {id: t, name: t}\ndevices:\n"
        "  - {id: cam-1, type: camera, zone: facade}\n  - {id: gate-1, type: door, zone: gate}\n"
    )
    video = tmp_path / "v.mp4"
    video.write_bytes(b"")
    assert main(["throwing", str(video), "--devices", str(devices), "--camera", "cam-1"]) == 2
    assert "facade" in capsys.readouterr().err
    assert main(["throwing", str(video), "--devices", str(devices), "--camera", "gate-1"]) == 2
    assert "not a camera" in capsys.readouterr().err


def test_unreadable_video_is_reported(scenes: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a video")
    for video in (junk, tmp_path / "missing.mp4"):
        code = main(["throwing", str(video), "--devices", str(scenes / "devices.yaml"), "--camera", "heavy-plain"])
        assert code == 2 and str(video) in capsys.readouterr().err


def test_eval_reports_recall_and_false_alarms(scenes: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("heavy-plain", "birds-leaves"):
        for suffix in (".mp4", ".json"):
            shutil.copy(scenes / f"{name}{suffix}", tmp_path / f"{name}{suffix}")
    assert _run_module(throwing_eval, ["throwing-eval", str(tmp_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["throws"] == 1 and report["nuisance_scenes"] == 1
    assert report["recall"] == 1.0 and report["false_alarms"] == 0 and report["floor_exact"] == 1.0


def test_calibration_overlay_is_drawn_over_the_camera_frame(scenes: Path, tmp_path: Path) -> None:
    out = tmp_path / "cal.png"
    argv = [
        "throwing-calibrate",
        "--devices",
        str(scenes / "devices.yaml"),
        "--camera",
        "heavy-plain",
        "--frame-from",
        str(scenes / "heavy-plain.mp4"),
        "--out",
        str(out),
    ]
    assert _run_module(throwing_calibrate, argv) == 0
    drawn = cv2.imread(str(out))
    clip = cv2.VideoCapture(str(scenes / "heavy-plain.mp4"))
    _, frame = clip.read()
    clip.release()
    assert drawn is not None and frame is not None
    changed = np.any(drawn != frame, axis=2)
    assert drawn.shape == frame.shape and 0.002 < changed.mean() < 0.2  # lines, not a repaint


def test_generator_is_deterministic_by_seed(tmp_path: Path) -> None:
    spec = SceneSpec(seed=9, throws=0, nuisances=("birds", "rain", "shake"), night=False, seconds=1.0)
    a = render_scene(spec, tmp_path / "a", "s")
    b = render_scene(spec, tmp_path / "b", "s")
    assert a == b
    first = [cv2.VideoCapture(str(tmp_path / d / "s.mp4")).read()[1] for d in ("a", "b")]
    assert np.array_equal(first[0], first[1])
