"""`zhian.provision`: Mosquitto-compatible hashes, the ACL's shape, stable passwords, file modes."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from ingest.registry import parse_registry
from tests.devices.conftest import REGISTRY
from zhian.provision import acl_text, check_password, hash_password, load_secrets, provision


def test_hash_round_trip_and_format() -> None:
    hashed = hash_password("s3cret", salt=b"0123456789ab", iterations=101)
    assert hashed.startswith("$7$101$MDEyMzQ1Njc4OWFi$")
    assert check_password("s3cret", hashed) and not check_password("s3cret!", hashed)


def test_hashes_written_by_mosquitto_passwd_verify(tmp_path: Path) -> None:
    tool = shutil.which("mosquitto_passwd")
    if tool is None:
        pytest.fail("mosquitto_passwd is missing (package mosquitto)")
    pw = tmp_path / "pw"
    subprocess.run([tool, "-b", "-c", str(pw), "alice", "s3cret"], check=True, capture_output=True)
    user, hashed = pw.read_text().strip().split(":", 1)
    assert user == "alice" and check_password("s3cret", hashed)


def test_acl_grants_each_device_its_own_topics_only() -> None:
    acl = acl_text(parse_registry(REGISTRY))
    blocks = {b.splitlines()[0]: b.splitlines()[1:] for b in acl.split("\n\n") if b.startswith("user ")}
    assert blocks["user gate-north"] == ["topic write zhian/cyl/gate-north/events",
                                         "topic read zhian/cyl/gate-north/command"]
    assert blocks["user zhian"] == ["topic read zhian/cyl/+/events", "topic write zhian/cyl/alerts",
                                    "topic write zhian/cyl/+/command"]
    assert blocks["user frigate-nvr"] == ["topic readwrite zhian/cyl/frigate-nvr/#"]
    assert "#" not in "".join(line for k, v in blocks.items() if k != "user frigate-nvr" for line in v)


def test_passwords_stay_unless_rotated_and_files_are_private(tmp_path: Path) -> None:
    registry = parse_registry(REGISTRY)
    first = provision(registry, tmp_path)
    assert sorted(first.added) == sorted(["zhian", "desk", *registry.by_id])
    assert stat.S_IMODE((tmp_path / "secrets.json").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "zhian.env").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "passwd").stat().st_mode) == 0o640
    again = provision(registry, tmp_path)
    assert again.users == first.users and not again.added and not again.rotated
    rotated = provision(registry, tmp_path, rotate={"gate-north"})
    assert rotated.rotated == ["gate-north"]
    assert rotated.users["gate-north"] != first.users["gate-north"]
    assert {k: v for k, v in rotated.users.items() if k != "gate-north"} == \
        {k: v for k, v in first.users.items() if k != "gate-north"}
    smaller = parse_registry(REGISTRY.replace("  - {id: gate-south, type: door, zone: gate}\n", ""))
    assert provision(smaller, tmp_path).removed == ["gate-south"]
    assert "gate-south" not in load_secrets(tmp_path / "secrets.json")
    lines = dict(line.split(":", 1) for line in (tmp_path / "passwd").read_text().splitlines())
    assert set(lines) == {"zhian", "desk", "gate-north", "elev-3-1", "frigate-nvr"}
    assert all(check_password(rotated.users[u], h) for u, h in lines.items())
    body = json.loads((tmp_path / "secrets.json").read_text())
    assert body["community"] == "cyl"


def test_a_device_named_like_a_service_user_is_refused(tmp_path: Path) -> None:
    registry = parse_registry(REGISTRY.replace("id: elev-3-1", "id: desk"))
    with pytest.raises(ValueError, match="reserved"):
        provision(registry, tmp_path)
