"""Live camera worker: a throwing camera's stream becomes `throwing.detected` events."""

from __future__ import annotations

import threading
from pathlib import Path

from detectors.throwing.synth.scene import SceneSpec, render_scene, write_devices
from ingest.event import Event, parse_event
from ingest.registry import load_registry
from zhian.cameras import CameraWorker, start_cameras, stream_uri


def test_worker_submits_the_throw_with_floor_and_column(tmp_path: Path) -> None:
    truth = render_scene(SceneSpec(seed=303, throws=1, nuisances=("birds",), night=False, seconds=4,
                                   throw_kind="heavy"), tmp_path, "cam-live")
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
    assert workers[0].health.frames == truth["frames"]
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
    worker.start()
    worker.join(10)
    assert not worker.is_alive() and worker.health.frames == 0
