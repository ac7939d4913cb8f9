"""Read routes: devices with live status and rejects, recent events, the police timeline and
its export (audited, with a SHA-256 manifest), evidence files (and nothing outside them)."""

from __future__ import annotations

import io
import time
import zipfile

import orjson

from ingest.mqtt import Inbound
from tests.console.conftest import T0, Console
from zhian.store import Store
from zhian.timeline.export import sha256_file


def test_devices_show_online_last_seen_and_rejects_by_reason(console: Console) -> None:
    now = int(time.time() * 1000)
    console.device_event("gate-north", "device.heartbeat", now - 1000, "hb-1")
    console.device_event("gate-south", "device.heartbeat", now - 2 * 3600_000, "hb-old")
    console.live.process([Inbound("zhian/cyl/gate-north/events", b"{not json", 1, 1, now),
                          Inbound("zhian/cyl/gate-north/events", orjson.dumps(
                              {"v": 2, "id": "x", "ts": now, "device": "gate-north", "type": "device.heartbeat"}),
                              1, 1, now),
                          Inbound("zhian/cyl/ghost-9/events", orjson.dumps({"v": 1}), 1, 1, now)])
    body = console.client("installer").get("/api/devices").json()
    by_id = {d["id"]: d for d in body["devices"]}
    assert by_id["gate-north"]["state"] == "online" and by_id["gate-north"]["last_seen_ms"] == now - 1000
    assert by_id["gate-south"]["state"] == "offline"  # 2 h > 3 × 300 s heartbeat
    assert by_id["lobby-3-1"]["state"] == "never" and by_id["lobby-3-1"]["last_seen_ms"] is None
    assert by_id["gate-north"]["rejects"] == {"not_json": 1, "unsupported_version": 1}
    assert body["rejects_by_reason"]["not_json"] == 1 and body["rejects_by_reason"]["unknown_device"] == 1
    assert [u["id"] for u in body["unregistered"]] == ["ghost-9"]
    assert len(body["devices"]) == len(console.live.registry.devices)


def test_recent_events_and_a_devices_events(console: Console) -> None:
    console.device_event("gate-north", "device.heartbeat", T0, "hb-1")
    console.device_event("gate-south", "device.heartbeat", T0 + 1, "hb-2")
    desk = console.client("desk")
    assert [e["id"] for e in desk.get("/api/events").json()["events"]] == ["hb-2", "hb-1"]
    assert [e["id"] for e in desk.get("/api/events?device=gate-north").json()["events"]] == ["hb-1"]
    one = desk.get("/api/devices/gate-south/events").json()
    assert [e["id"] for e in one["events"]] == ["hb-2"] and one["events"][0]["type"] == "device.heartbeat"
    assert desk.get("/api/devices/nope/events").status == 404


def test_timeline_query_and_export_are_audited(console: Console) -> None:
    console.device_event("lobby-3-1", "door.forced", T0, "forced-1")
    console.device_event("gate-north", "device.heartbeat", T0 + 10, "hb-1")
    console.advance(T0 + 1000)
    deadline = time.monotonic() + 10
    while not console.client("admin").get("/api/alerts").json()["alerts"] and time.monotonic() < deadline:
        time.sleep(0.05)
    police = console.client("police")
    q = f"from_ms={T0 - 60_000}&to_ms={T0 + 60_000}&building=3"
    body = police.get(f"/api/timeline?{q}").json()
    assert [e["id"] for e in body["events"]] == ["forced-1"]  # the gate is not in building 3
    assert [(a["rule"], a["state"]) for a in body["alerts"]] == [("door_forced", "raised")]
    r = police.get(f"/api/timeline/export?{q}")
    assert r.status == 200 and r.headers["content-type"] == "application/zip"
    package = zipfile.ZipFile(io.BytesIO(r.body))
    names = set(package.namelist())
    assert {"manifest.json", "SHA256SUMS", "events.jsonl", "alerts.jsonl", "timeline.csv"} <= names
    manifest = orjson.loads(package.read("manifest.json"))
    assert manifest["user"] == "police" and manifest["counts"]["events"] == 1
    store = Store(console.ctx.store_path)
    try:
        entries = [e for e in store.audit_log() if e["action"] in ("query", "export")]
        assert store.audit_chain_ok()
    finally:
        store.close()
    assert [(e["user"], e["action"], e["detail"]["via"]) for e in entries] == [
        ("police", "query", "console"), ("police", "export", "console")]
    kept = console.ctx.store_path.parent / "exports"
    [directory] = list(kept.iterdir())
    assert entries[1]["detail"]["export"]["manifest_sha256"] == sha256_file(directory / "manifest.json")
    # bad input is named
    empty = police.get(f"/api/timeline?from_ms={T0}&to_ms={T0}")
    assert empty.status == 422 and "range" in empty.json()["detail"]
    assert police.get(f"/api/timeline?from_ms={T0}").status == 422  # to_ms missing


def test_evidence_files_are_served_and_nothing_else(console: Console) -> None:
    evidence = console.ctx.evidence_dir
    assert evidence is not None
    (evidence / "cam-b3-north").mkdir(parents=True)
    png = b"\x89PNG\r\n\x1a\nnot really"
    (evidence / "cam-b3-north" / "cam-b3-north-f000100-t1.png").write_bytes(png)
    (console.ctx.store_path.parent / "secret.txt").write_text("no")
    desk = console.client("desk")
    r = desk.get("/api/evidence/cam-b3-north/cam-b3-north-f000100-t1.png")
    assert r.status == 200 and r.body == png and r.headers["content-type"] == "image/png"
    for path in ("/api/evidence/cam-b3-north/missing.png", "/api/evidence/..%2F/secret.txt",
                 "/api/evidence/cam-b3-north/..%2F..%2Fsecret.txt", "/api/evidence/.hidden/x.png"):
        assert desk.get(path).status == 404, path
    assert console.client("installer").get("/api/evidence/cam-b3-north/cam-b3-north-f000100-t1.png").status == 403
