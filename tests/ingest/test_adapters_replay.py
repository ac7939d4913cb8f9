"""Vendor payloads through `zhian replay`: the adapters feed the same rules as native events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ingest.test_adapters import FIXTURES, REGISTRY
from zhian.cli import main


def payload(name: str) -> dict[str, object]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))["payload"]


def test_vendor_traffic_raises_the_rules_alerts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    devices = tmp_path / "devices.yaml"
    devices.write_text(REGISTRY, encoding="utf-8")
    lines = [
        {"topic": "zhian/cyl/hik-gate/events", "payload": payload("hikvision/duress.json")},
        {"topic": "zhian/cyl/dh-lobby/events", "payload": payload("dahua/break_in.json")},
        {"topic": "zhian/cyl/frigate-nvr/events", "payload": payload("frigate/ebike_in_elevator.json")},
        {"topic": "zhian/cyl/hik-gate/events", "payload": payload("hikvision/unknown_minor.json")},
        {"topic": "zhian/cyl/hik-gate/events", "payload": payload("hikvision/duress.json")},   # redelivery
    ]
    traffic = tmp_path / "traffic.jsonl"
    traffic.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    assert main(["replay", str(traffic), "--devices", str(devices), "--json"]) == 0
    out, err = capsys.readouterr()
    raised = {(a["rule"], a["device"]) for a in map(json.loads, out.splitlines()) if a["state"] == "raised"}
    assert {("door_duress", "hik-gate"), ("door_forced", "dh-lobby"),
            ("ebike_in_elevator", "elevcam-3-1")} <= raised
    assert "unknown_code" in err   # counted in the summary, not dropped silently
