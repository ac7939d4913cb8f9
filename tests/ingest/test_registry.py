"""devices.yaml v1: the example loads; every error names file, line and key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ingest.errors import RegistryError
from ingest.registry import load_registry, parse_registry
from tests.conftest import DEVICES

EXAMPLE = DEVICES.read_text(encoding="utf-8")


def problems(text: str) -> list[str]:
    with pytest.raises(RegistryError) as info:
        parse_registry(text, "site.yaml")
    return [str(p) for p in info.value.problems]


def test_example_compound_is_complete() -> None:
    reg = load_registry(DEVICES)
    kinds = {(d.type, d.zone) for d in reg.devices}
    for needed in [("door", "gate"), ("door", "lobby"), ("elevator", "elevator"), ("camera", "elevator"),
                   ("camera", "corridor"), ("socket", "corridor"), ("charger", "bike_shed"),
                   ("door", "household"), ("camera", "facade")]:
        assert needed in kinds
    corridor = next(d for d in reg.devices if d.type == "camera" and d.zone == "corridor")
    assert any(d.type == "socket" and (d.building, d.unit, d.floor) == (corridor.building, corridor.unit,
               corridor.floor) for d in reg.devices)
    facade = reg.get("cam-b3-north")
    assert facade is not None and facade.facade is not None and facade.facade.highest_floor == 18
    assert reg.heartbeat_s(reg.by_id["gate-north"]) == 300 and reg.heartbeat_s(reg.by_id["lobby-3-1"]) == 60


def test_unknown_key_names_file_line_and_key() -> None:
    text = EXAMPLE.replace("    name: 南门人脸门禁\n", "    name: 南门人脸门禁\n    colour: red\n")
    line = text.splitlines().index("    colour: red") + 1
    assert problems(text) == [f"site.yaml:{line}: devices[1].colour: unknown key"]


def test_every_error_is_reported_at_once() -> None:
    text = (EXAMPLE.replace("heartbeat_s: 300", "heartbeat_s: -1", 1)
            .replace("elevator: elev-4-2", "elevator: elev-9-9")
            .replace("occupants: 3", "occupants: three")
            .replace("zone: bike_shed", "zone: garage", 1)
            .replace("id: gate-south", "id: gate-north"))
    found = problems(text)
    assert len(found) == 5, found
    assert any("devices[0].heartbeat_s" in p for p in found)
    assert any("elevator" in p and "elev-9-9" in p for p in found)
    assert any("occupants" in p for p in found)
    assert any("zone" in p for p in found)
    assert any("duplicate id 'gate-north'" in p for p in found)
    assert all(p.startswith("site.yaml:") and p.split(":")[1].isdigit() for p in found)


@pytest.mark.parametrize("change, key", [
    (("columns: 6", "columns: 0"), "facade.columns"),
    (("timezone: Asia/Shanghai", "timezone: Mars/Olympus"), "community.timezone"),
    (("version: 1", "version: 2"), "version"),
    (("  - id: elev-3-1\n    type: elevator", "  - id: elev-3-1\n    type: lift"), "devices[3].type"),
])
def test_invalid_values(change: tuple[str, str], key: str) -> None:
    found = problems(EXAMPLE.replace(*change, 1))
    assert any(f"{key}:" in p for p in found), found


def test_broken_yaml_has_a_line() -> None:
    assert problems("version: 1\ncommunity: {id: x, name: y\n")[0].startswith("site.yaml:")


def test_validate_command_exit_codes(tmp_path: Path) -> None:
    ok = subprocess.run([sys.executable, "-m", "zhian.cli", "devices", "validate", str(DEVICES)],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and "ok" in ok.stdout
    bad = tmp_path / "devices.yaml"
    bad.write_text(EXAMPLE.replace("heartbeat_s: 300", "heartbeat_s: 0", 1).replace("zone: lobby", "zone: roof", 1))
    out = subprocess.run([sys.executable, "-m", "zhian.cli", "devices", "validate", str(bad)],
                         capture_output=True, text=True)
    assert out.returncode == 1
    assert out.stdout.count("error: ") == 2 and "2 error(s)" in out.stdout
