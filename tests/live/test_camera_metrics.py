"""Camera health as `zhian_camera` metric points, and the warning when a camera goes quiet."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from alerts.sinks.influx import InfluxTarget
from ingest.mqtt import BrokerConfig
from ingest.registry import load_registry
from tests.conftest import DEVICES
from zhian.camera_metrics import CameraWatch, camera_lines
from zhian.live import LiveConfig, LiveProcessor

NOW_MS = 1_793_575_865_000


def health(camera: str = "cam-b3-north", **kw: Any) -> dict[str, Any]:
    """A health() dict as CameraWorker returns it."""
    base: dict[str, Any] = {"camera": camera, "state": "reading", "fps": 25.0, "frames": 1200, "restarts": 1,
                            "last_frame_age_s": 0.04, "detections": 2, "last_error": "stream ended"}
    return {**base, **kw}


def test_one_line_per_camera_with_typed_fields() -> None:
    lines = camera_lines("cyl", [health(), health("cam b", state="starting", fps=0, frames=0,
                                                   last_frame_age_s=None, last_error=None)], NOW_MS)
    assert lines == [
        'zhian_camera,camera=cam-b3-north,community=cyl state="reading",delivering=true,fps=25.0,frames=1200i,'
        'restarts=1i,detections=2i,last_frame_age_s=0.04,last_error="stream ended" 1793575865000000000',
        r'zhian_camera,camera=cam\ b,community=cyl state="starting",delivering=false,fps=0.0,frames=0i,'
        'restarts=1i,detections=2i 1793575865000000000',
    ]


def test_warns_once_when_a_camera_stops_and_says_when_it_is_back() -> None:
    watch = CameraWatch(stall_after_s=10)
    assert watch.changes([health(state="starting", last_frame_age_s=None)]) == []  # never delivered: not a stall
    assert watch.changes([health()]) == []
    stopped = watch.changes([health(last_frame_age_s=12.5)])
    assert len(stopped) == 1 and stopped[0][0] is True
    assert "camera cam-b3-north stopped delivering frames (no frame for 12 s" in stopped[0][1]
    assert watch.changes([health(state="reconnecting", last_frame_age_s=30.0)]) == [], "warned once"
    back = watch.changes([health()])
    assert back == [(False, "camera cam-b3-north delivers frames again (25.0 fps)")]


class FakeCamera:
    """Stands in for a CameraWorker: only health() is read."""

    def __init__(self, h: dict[str, Any]) -> None:
        self.h = h

    def health(self) -> dict[str, Any]:
        """The canned health."""
        return self.h


def test_write_metrics_queues_camera_points_and_check_logs_a_stall(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = LiveConfig(store_path=tmp_path / "z.db", cameras=False, influx=InfluxTarget("http://127.0.0.1:9"))
    live = LiveProcessor(load_registry(DEVICES), BrokerConfig(port=1), config)
    camera = FakeCamera(health())
    live.cameras = [camera]  # type: ignore[list-item]
    live.write_metrics(10.0)
    queued = [line for _, line in live.store.metric_lines_after(0, 1000)]
    assert [x.split(" ")[0] for x in queued if x.startswith("zhian_camera")] == [
        "zhian_camera,camera=cam-b3-north,community=cyl"]
    caplog.set_level(logging.INFO, logger="zhian.live")
    live.check_cameras()
    camera.h = health(state="reconnecting", last_frame_age_s=15.0)
    live.check_cameras()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "stopped delivering" in r.getMessage()]
    assert len(warnings) == 1 and "cam-b3-north" in warnings[0].getMessage()
    live.store.close()
