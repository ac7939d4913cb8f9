"""Live camera worker: a throwing camera's stream becomes `throwing.detected` events."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from detectors.throwing.synth.scene import SceneSpec, render_scene, write_devices
from ingest.event import Event, parse_event
from ingest.registry import load_registry
from zhian.cameras import FPS_WINDOW_S, CameraWorker, StreamHealth, start_cameras, stream_uri


def test_worker_submits_the_throw_with_floor_and_column(tmp_path: Path) -> None:
    truth = render_scene(
        SceneSpec(seed=303, throws=1, nuisances=("birds",), night=False, seconds=4, throw_kind="heavy"),
        tmp_path,
        "cam-live",
    )
    devices = write_devices(tmp_path, [truth])
    registry = load_registry(devices)
    got: list[Event] = []
    stop = threading.Event()
    workers = start_cameras(registry, devices, got.append, stop, tmp_path / "evidence")
    assert [w.device.id for w in workers] == ["cam-live"]
    workers[0].join(60)
    assert not workers[0].is_alive(), "a file is read once"
    thrown = truth["throws"][0]
    assert len(got) == 1, got
    event = got[0]
    assert (event.device, event.type) == ("cam-live", "throwing.detected")
    assert (event.data["floor"], event.data["column"]) == (thrown["floor"], thrown["column"])
    assert parse_event(event.to_dict()) == event, "a valid schema v1 event"
    health = workers[0].health()
    assert health["frames"] == truth["frames"] and health["detections"] == 1
    assert health["state"] == "stopped" and health["restarts"] == 0 and health["last_error"] is None
    clip, image = (tmp_path / "evidence" / name for name in event.data["evidence"])
    assert clip.suffix == ".mp4" and clip.stat().st_size > 10_000, "a clip of the fall"
    assert image.suffix == ".png" and image.stat().st_size > 10_000, "the trajectory over the facade"


def test_missing_file_stops_the_worker_with_a_warning(tmp_path: Path, caplog: object) -> None:
    truth = render_scene(SceneSpec(seed=304, throws=0, nuisances=(), night=False, seconds=1), tmp_path, "cam-gone")
    devices = write_devices(tmp_path, [truth])
    (tmp_path / "cam-gone.mp4").unlink()
    registry = load_registry(devices)
    device = registry.devices[0]
    worker = CameraWorker(device, stream_uri(device, devices.parent), lambda e: None, threading.Event())
    assert worker.health()["state"] == "starting"
    worker.start()
    worker.join(10)
    health = worker.health()
    assert not worker.is_alive() and health["frames"] == 0 and health["last_frame_age_s"] is None
    assert health["state"] == "stopped" and "does not exist" in (health["last_error"] or "")


def test_a_stream_that_ends_is_reopened_and_counted(tmp_path: Path) -> None:
    truth = render_scene(SceneSpec(seed=305, throws=0, nuisances=(), night=False, seconds=1), tmp_path, "cam-loop")
    device = load_registry(write_devices(tmp_path, [truth])).devices[0]
    stop = threading.Event()
    worker = CameraWorker(
        device, str(tmp_path / "cam-loop.mp4"), lambda e: None, stop, read_once=False, retry_s=(0.3, 0.3)
    )
    before = worker.health()
    assert (before["state"], before["frames"], before["restarts"], before["fps"]) == ("starting", 0, 0, 0.0)
    assert before["last_frame_age_s"] is None
    worker.start()
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (not seen or seen[-1]["restarts"] < 2):
        seen.append(worker.health())
        time.sleep(0.02)
    stop.set()
    worker.join(10)
    assert not worker.is_alive()
    states = {h["state"] for h in seen}
    assert {"reading", "reconnecting"} <= states, states
    reading = [h for h in seen if h["state"] == "reading" and h["frames"] > 5]
    assert reading and all(h["fps"] > 0 and h["last_frame_age_s"] is not None for h in reading)
    reconnecting = [h for h in seen if h["state"] == "reconnecting"]
    assert all(h["last_error"] == "stream ended" and h["restarts"] >= 1 for h in reconnecting)
    assert seen[-1]["restarts"] >= 2 and seen[-1]["frames"] >= 2 * truth["frames"], "every pass is read"
    final = worker.health()
    assert final["state"] == "stopped" and final["restarts"] == seen[-1]["restarts"]


def test_health_fps_counts_recent_frames_and_drops_on_a_stall() -> None:
    now = [100.0]
    health = StreamHealth("cam", clock=lambda: now[0])
    health.opened()
    for _ in range(2 * int(FPS_WINDOW_S) * 25):  # 25 frames/s for twice the window
        now[0] += 0.04
        health.frame()
    snap = health.snapshot()
    assert abs(snap["fps"] - 25.0) < 0.5 and snap["last_frame_age_s"] == 0.0
    now[0] += FPS_WINDOW_S / 2  # no frame for half the window: half the rate
    snap = health.snapshot()
    assert abs(snap["fps"] - 12.5) < 0.5 and snap["last_frame_age_s"] == FPS_WINDOW_S / 2
    now[0] += FPS_WINDOW_S
    assert health.snapshot()["fps"] == 0.0 and health.snapshot()["frames"] == 2 * int(FPS_WINDOW_S) * 25
