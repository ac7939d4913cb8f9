"""`zhian timeline` on the command line: table, JSON and CSV from either store, case packages
with verified SHA-256 manifests, and the audit log of every query and export."""

from __future__ import annotations

import csv
import hashlib
import io
import sqlite3
from pathlib import Path

import orjson
import pytest

from tests.conftest import DEVICES
from tests.timeline.conftest import DAY_MS, START_MS, World
from zhian.commands.timeline import main
from zhian.store import Store
from zhian.timeline.export import verify_package

pytestmark = pytest.mark.influx

RANGE = ["--from", str(START_MS - DAY_MS), "--to", str(START_MS + 3 * DAY_MS)]


@pytest.fixture
def store(world: World, tmp_path: Path) -> Path:
    """A private copy of the world's store, so that audit entries of one test stay its own."""
    dest = tmp_path / "zhian.db"
    with sqlite3.connect(world.store) as a, sqlite3.connect(dest) as b:
        a.backup(b)
    return dest


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_is_the_same_from_both_stores(world: World, store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [*RANGE, "--building", "3", "--unit", "1", "--devices", str(DEVICES), "--store", str(store),
            "--format", "json"]
    code, from_sqlite, _ = run(capsys, *args)
    assert code == 0
    code, from_influx, _ = run(capsys, *args, "--influx", world.target.url)
    assert code == 0
    assert from_sqlite == from_influx
    rows = [orjson.loads(x) for x in from_sqlite.splitlines()]
    kinds = {r["kind"] for r in rows}
    assert kinds == {"event", "alert"}
    assert all(r["location"]["building"] == "3" for r in rows)
    assert [r["ts_ms"] for r in rows] == sorted(r["ts_ms"] for r in rows)


def test_csv_and_table(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = [*RANGE, "--device", "lobby-3-1", "--devices", str(DEVICES), "--store", str(store)]
    code, out, _ = run(capsys, *base, "--format", "csv")
    assert code == 0
    records = list(csv.DictReader(io.StringIO(out)))
    assert records and {r["device"] for r in records} == {"lobby-3-1"}
    assert {"kind", "ts", "type", "state", "severity", "subject", "building", "detail"} <= set(records[0])
    code, out, _ = run(capsys, *base, "--format", "table", "--lang", "en")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["time", "what", "device"]
    assert lines[-1].endswith("alert transitions")
    assert len(lines) == len(records) + 2


def test_export_writes_a_verifiable_case_package(store: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    evidence = tmp_path / "site"
    (evidence / "evidence").mkdir(parents=True)
    (evidence / "evidence" / "throw-1.png").write_bytes(b"\x89PNG trajectory")
    (evidence / "evidence" / "throw-1.mp4").write_bytes(b"clip" * 1000)
    case = tmp_path / "case-42"
    code, _, err = run(capsys, *RANGE, "--device", "cam-b3-north", "--devices", str(DEVICES), "--store", str(store),
                       "--export", str(case), "--evidence-root", str(evidence), "--user", "mj-0451")
    assert code == 0, err
    manifest = orjson.loads((case / "manifest.json").read_bytes())
    assert manifest["user"] == "mj-0451" and manifest["query"]["device"] == "cam-b3-north"
    assert manifest["counts"]["evidence_files"] == 2 and manifest["counts"]["evidence_missing"] == 1
    assert manifest["missing_evidence"][0]["path"] == "evidence/not-there.png"
    copied = {e["path"] for e in manifest["evidence"]}
    assert copied == {"evidence/cam-b3-north/cam-b3-north-throw-1/throw-1.png",
                      "evidence/cam-b3-north/cam-b3-north-throw-1/throw-1.mp4"}
    for f in manifest["files"]:
        assert hashlib.sha256((case / f["path"]).read_bytes()).hexdigest() == f["sha256"]
    assert {f["path"] for f in manifest["files"]} >= {"events.jsonl", "alerts.jsonl", "timeline.csv", *copied}
    sums = dict(reversed(x.split("  ", 1)) for x in (case / "SHA256SUMS").read_text().splitlines())
    assert sums["manifest.json"] == hashlib.sha256((case / "manifest.json").read_bytes()).hexdigest()
    assert verify_package(case) == []
    events = [orjson.loads(x) for x in (case / "events.jsonl").read_text().splitlines()]
    assert any(e["type"] == "throwing.detected" for e in events)
    (case / "events.jsonl").write_text("tampered\n")
    assert verify_package(case) == ["changed: events.jsonl"]

    code, _, _ = run(capsys, *RANGE, "--store", str(store), "--devices", str(DEVICES), "--export", str(case))
    assert code == 1, "an export never overwrites an earlier package"


def test_every_query_and_export_is_audited(world: World, store: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    common = ["--devices", str(DEVICES), "--store", str(store)]
    assert run(capsys, *RANGE, *common, "--subject", "r-same", "--user", "mj-0451")[0] == 0
    assert run(capsys, *RANGE, *common, "--zone", "gate", "--influx", world.target.url, "--format", "csv")[0] == 0
    assert run(capsys, *RANGE, *common, "--rule", "door_forced", "--export", str(tmp_path / "case"),
               "--user", "mj-0451")[0] == 0
    db = Store(store)
    log = db.audit_log()
    assert [(e["user"], e["action"], e["detail"]["backend"]) for e in log][0] == ("mj-0451", "query", "sqlite")
    assert [e["action"] for e in log] == ["query", "query", "export"]
    assert log[0]["detail"]["query"]["subject"] == "r-same" and log[0]["detail"]["rows"]["events"] >= 1
    assert log[1]["detail"]["backend"] == "influx" and log[1]["detail"]["query"]["zone"] == "gate"
    assert log[1]["user"], "the OS user when --user is not given"
    assert log[2]["detail"]["export"]["manifest_sha256"] == hashlib.sha256(
        (tmp_path / "case" / "manifest.json").read_bytes()).hexdigest()
    assert db.audit_chain_ok()
    db.db.execute("UPDATE audit SET user = 'someone-else' WHERE seq = 1")
    assert not db.audit_chain_ok(), "an edited entry breaks the chain"
    db.close()


def test_bad_options_are_refused(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    common = ["--devices", str(DEVICES), "--store", str(store)]
    assert run(capsys, "--from", "yesterday-ish", *common)[0] == 2
    assert run(capsys, "--from", "2026-11-05 10:00", "--to", "2026-11-05 09:00", *common)[0] == 2
    assert run(capsys, "--last", "2h", "--from", "2026-11-05 10:00", *common)[0] == 2
    code, out, _ = run(capsys, "--last", "2h", *common, "--format", "json")
    assert code == 0 and out == "", "a range before any data"
