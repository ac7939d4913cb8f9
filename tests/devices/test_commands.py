"""`zhian devices list | add | provision | check | test`, the last two against a real Mosquitto
with provisioned credentials and a running `zhian run`."""

from __future__ import annotations

import difflib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.devices.conftest import REGISTRY, AuthBroker
from zhian.cli import main
from zhian.devices import online
from zhian.provision import ZHIAN_USER

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "ingest" / "fixtures"


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_every_device(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "devices", "list", str(ROOT / "devices.yaml"))
    assert code == 0
    assert out.splitlines()[0].split() == ["ID", "TYPE", "ZONE", "VENDOR", "LOCATION", "HEARTBEAT_S", "NAME"]
    assert "lobby-3-1" in out and "3-1 F1" in out and "17 devices" in out
    code, out, _ = run_cli(capsys, "devices", "list", str(ROOT / "devices.yaml"), "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows[0]["id"] == "gate-north" and len(rows) == 17


def test_add_appends_and_keeps_comments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "devices.yaml"
    shutil.copy(ROOT / "devices.yaml", f)
    before = f.read_text(encoding="utf-8")
    code, out, _ = run_cli(capsys, "devices", "add", str(f), "--id", "gate-east", "--type", "door", "--zone", "gate",
                           "--name", "东门人脸门禁", "--vendor", "hikvision", "--building", "3", "--heartbeat-s", "300")
    assert code == 0, out
    after = f.read_text(encoding="utf-8")
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    added = [line[2:] for line in diff if line.startswith("+ ")]
    assert not [line for line in diff if line.startswith("- ")]
    assert added == ["  - id: gate-east", "    type: door", "    zone: gate", "    name: 东门人脸门禁",
                     '    building: "3"', "    heartbeat_s: 300", "    vendor: hikvision"]
    assert [line for line in before.splitlines() if line.lstrip().startswith("#")] == \
        [line for line in after.splitlines() if line.lstrip().startswith("#")]
    code, _, _ = run_cli(capsys, "devices", "validate", str(f))
    assert code == 0


def test_an_invalid_add_names_the_line_and_leaves_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "devices.yaml"
    shutil.copy(ROOT / "devices.yaml", f)
    before = f.read_text(encoding="utf-8")
    code, _, err = run_cli(capsys, "devices", "add", str(f), "--id", "gate-north", "--type", "door", "--zone", "moat")
    assert code == 1
    assert "devices[17].zone" in err and "duplicate id 'gate-north'" in err and f"{f}:1" in err
    assert f.read_text(encoding="utf-8") == before


def test_dry_run_shows_what_zhian_makes_of_a_payload(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "devices.yaml"
    f.write_text(REGISTRY.replace("zone: other, vendor: frigate}", "zone: other, vendor: frigate}\n"
                                  "  - {id: elevcam-3-1, type: camera, zone: elevator, vendor: frigate}"),
                 encoding="utf-8")
    code, out, _ = run_cli(capsys, "devices", "test", str(f), "gate-north", "--dry-run")
    assert code == 0 and '"type":"device.heartbeat"' in out
    fixture = FIXTURES / "frigate" / "ebike_in_elevator.json"   # a recorded fixture, given as it is
    code, out, _ = run_cli(capsys, "devices", "test", str(f), "frigate-nvr", "--payload", str(fixture), "--dry-run")
    assert code == 0 and '"device":"elevcam-3-1"' in out and '"label":"ebike"' in out
    payload = tmp_path / "p.json"
    payload.write_text('{"type": "new", "after": {"camera": "garage", "false_positive": true}}', encoding="utf-8")
    code, out, _ = run_cli(capsys, "devices", "test", str(f), "frigate-nvr", "--payload", str(payload), "--dry-run")
    assert code == 1 and out.startswith("reject: ignored (field after.false_positive)")


def test_online_statuses_and_strangers() -> None:
    from ingest.registry import parse_registry
    registry = parse_registry(REGISTRY)
    now = 1_800_000_000_000
    heard = online.from_broker([("zhian/cyl/gate-north/events", now - 1000), ("zhian/cyl/ghost-1/events", now),
                                ("zhian/other/gate-south/events", now)], "cyl")
    states = {s.device: s.state for s in online.statuses(registry, heard, {"gate-south": now - 3600_000}, now)}
    assert states == {"gate-north": "online", "gate-south": "offline", "elev-3-1": "never", "frigate-nvr": "never"}
    assert online.unregistered(registry, heard, {"ghost-2": now - 5}) == {"ghost-1": now, "ghost-2": now - 5}


@pytest.mark.mqtt
def test_test_and_check_against_a_running_zhian(auth_broker: AuthBroker, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    devices = tmp_path / "devices.yaml"
    devices.write_text(REGISTRY, encoding="utf-8")
    secrets = auth_broker.creds.out_dir / "secrets.json"
    store = tmp_path / "zhian.db"
    broker = f"127.0.0.1:{auth_broker.port}"
    log = (tmp_path / "zhian.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "zhian.cli", "run", "--broker", broker, "--devices", str(devices),
                             "--store", str(store), "--username", ZHIAN_USER,
                             "--password", auth_broker.password(ZHIAN_USER), "--client-id", "zhian-test-cmds",
                             "--health-file", str(tmp_path / "alive")],
                            stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        deadline = time.monotonic() + 60  # until zhian says it is connected (and so subscribed)
        while "connected" not in ((tmp_path / "alive").read_text() if (tmp_path / "alive").exists() else ""):
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "zhian.log").read_text()
            time.sleep(0.1)
        code, out, err = run_cli(capsys, "devices", "test", str(devices), "gate-north", "--broker", broker,
                                 "--secrets", str(secrets), "--store", str(store), "--timeout", "20")
        assert code == 0, out + err
        assert "the broker accepted it" in out and "stored by zhian" in out
        code, out, err = run_cli(capsys, "devices", "check", str(devices), "--broker", broker,
                                 "--secrets", str(secrets), "--store", str(store), "--listen", "0.5", "--json")
        assert code == 1  # the others never talked
        body = json.loads(out)
        states = {d["device"]: d["state"] for d in body["devices"]}
        assert states == {"gate-north": "online", "gate-south": "never", "elev-3-1": "never", "frigate-nvr": "never"}
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps({"users": {"gate-south": "not-the-password"}}), encoding="utf-8")
        code, out, err = run_cli(capsys, "devices", "test", str(devices), "gate-south", "--broker", broker,
                                 "--secrets", str(bad))
        assert code == 1 and "refused" in err
    finally:
        proc.terminate()
        proc.wait(20)
        log.close()
