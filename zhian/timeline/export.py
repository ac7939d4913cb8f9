"""A case package for the police: the timeline's events and alerts, the evidence files they
name, and a manifest with the SHA-256 of every file (also as SHA256SUMS for `sha256sum -c`)."""

from __future__ import annotations

import hashlib
import re
import shutil
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from zhian.timeline.model import EventRow, Timeline
from zhian.timeline.output import as_dict, csv_text, json_lines, table

FORMAT = "zhian-case/1"
_SAFE = re.compile(r"[^A-Za-z0-9._-]")


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _safe(name: str) -> str:
    """A path component that cannot climb out of the package."""
    cleaned = _SAFE.sub("_", name).lstrip(".")
    return cleaned or "_"


def evidence_paths(event: EventRow) -> list[str]:
    """The evidence files an event names (`data.evidence`, e.g. the throwing detector's image and clip)."""
    names = event.data.get("evidence")
    return [x for x in names if isinstance(x, str)] if isinstance(names, list) else []


def write_package(directory: Path, t: Timeline, cited: list[EventRow], tz: ZoneInfo, *, user: str,
                  backend: str, source: str, evidence_root: Path, lang: str = "zh") -> dict[str, Any]:
    """Write the case package into an empty or new `directory`; returns the manifest.

    `cited` are the events the alerts cite as evidence (fetched even when outside the filters).
    """
    if directory.exists() and any(directory.iterdir()):
        raise FileExistsError(f"{directory} is not empty: a case package goes into a new directory")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "events.jsonl").write_text("".join(line + "\n" for line in json_lines(
        Timeline(t.query, t.events, []), tz)), encoding="utf-8")
    (directory / "alerts.jsonl").write_text("".join(line + "\n" for line in json_lines(
        Timeline(t.query, [], t.alerts), tz)), encoding="utf-8")
    (directory / "alert_evidence.jsonl").write_text(
        "".join(orjson.dumps(as_dict(e, tz)).decode() + "\n" for e in cited), encoding="utf-8")
    (directory / "timeline.csv").write_text(csv_text(t, tz, lang), encoding="utf-8")
    (directory / "timeline.txt").write_text(table(t, tz, lang), encoding="utf-8")
    copied, missing = [], []
    seen: set[tuple[str, str, str]] = set()
    for event in [*t.events, *cited]:
        for name in evidence_paths(event):
            if (event.device, event.id, name) in seen:
                continue
            seen.add((event.device, event.id, name))
            src = Path(name) if Path(name).is_absolute() else evidence_root / name
            if not src.is_file():
                missing.append({"device": event.device, "event": event.id, "path": name})
                continue
            dest = directory / "evidence" / _safe(event.device) / _safe(event.id) / _safe(src.name)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
            copied.append({"device": event.device, "event": event.id, "source": str(src),
                           "path": dest.relative_to(directory).as_posix()})
    files = sorted(p for p in directory.rglob("*") if p.is_file())
    manifest = {
        "format": FORMAT,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "user": user,
        "host": socket.gethostname(),
        "backend": backend,
        "source": source,
        "query": t.query.describe(),
        "counts": {"events": len(t.events), "alerts": len(t.alerts), "alert_evidence": len(cited),
                   "evidence_files": len(copied), "evidence_missing": len(missing)},
        "evidence": copied,
        "missing_evidence": missing,
        "files": [{"path": p.relative_to(directory).as_posix(), "bytes": p.stat().st_size, "sha256": sha256_file(p)}
                  for p in files],
    }
    (directory / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n")
    sums = [f"{f['sha256']}  {f['path']}" for f in manifest["files"]]  # type: ignore[index]
    sums.append(f"{sha256_file(directory / 'manifest.json')}  manifest.json")
    (directory / "SHA256SUMS").write_text("\n".join(sums) + "\n", encoding="utf-8")
    return manifest


def verify_package(directory: Path) -> list[str]:
    """Problems found when checking a package against its manifest (empty when intact)."""
    manifest = orjson.loads((directory / "manifest.json").read_bytes())
    problems = []
    listed = set()
    for f in manifest["files"]:
        listed.add(f["path"])
        path = directory / f["path"]
        if not path.is_file():
            problems.append(f"missing: {f['path']}")
        elif sha256_file(path) != f["sha256"]:
            problems.append(f"changed: {f['path']}")
    for path in directory.rglob("*"):
        rel = path.relative_to(directory).as_posix()
        if path.is_file() and rel not in listed and rel not in ("manifest.json", "SHA256SUMS"):
            problems.append(f"not in the manifest: {rel}")
    return problems
