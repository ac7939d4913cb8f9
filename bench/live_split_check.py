"""Check that `zhian run --processes 2` stores and emits exactly what one process does.

    python bench/live_split_check.py [--events 30000] [--sets week hostile salted]

For each traffic set, the same QoS-1 backlog is queued on a real Mosquitto for two persistent
sessions, then drained by `zhian run --processes 1` and by `--processes 2` (event time does not
follow the wall clock: --idle-after 3600, so the runs are deterministic). After each run has
stored every message and applied the last one, it is stopped and its store is dumped:
the event log (without the receive time), dead letters (idem), counters, the outbox and the
engine snapshot. The two dumps must be equal. Sets:
- week: the bench's normal life of the example compound (bench/live_bench.py `traffic`);
- incidents: two simulated days with incidents (tests/live/test_live_equals_replay.py's);
- hostile: the same with redeliveries, swapped neighbours, late events (10 min back), events
  from unknown devices, broken payloads of many kinds, a clock hours ahead;
- salted: hostile with a deployment salt (subject ids pseudonymised, dead letters redacted).
Prints one line per set and exits 1 on a difference (with the first differing rows).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from live_bench import drain_end, publish_all, wait_log  # noqa: E402

from ingest.event import parse_ts_ms  # noqa: E402
from ingest.registry import load_registry  # noqa: E402
from tests.conftest import recent_noon  # noqa: E402
from zhian.broker import LocalBroker  # noqa: E402
from zhian.simulate.generator import TrafficGenerator  # noqa: E402
from zhian.simulate.replayfile import write_replay  # noqa: E402
from zhian.simulate.week import simulate_week  # noqa: E402

DEVICES = ROOT / "devices.yaml"
SALT = "split-check-salt-0123456789abcdef"


def week(count: int, start_ms: int) -> list[tuple[str, bytes]]:
    """Normal life, ending with the forced door that marks the end of the backlog."""
    gen = TrafficGenerator(load_registry(DEVICES), start_ms, seed=7)
    out: list[tuple[str, bytes]] = []
    last = start_ms
    for ts, topic, payload in gen:
        if len(out) >= count - 1:
            break
        out.append((topic, orjson.dumps(payload)))
        last = ts
    return [*out, drain_end(last + 1)]


def incidents(start_ms: int, tmp: Path) -> list[tuple[str, bytes]]:
    """Two simulated days with incidents (the live == replay test's), and the end marker."""
    traffic, _ = simulate_week(load_registry(DEVICES), start_ms, seed=5, days=2)
    path = tmp / "two-days.jsonl"
    write_replay(traffic, path)
    out = []
    for raw in path.read_bytes().splitlines():
        obj = orjson.loads(raw)
        payload = obj["payload"]
        out.append((obj["topic"], payload.encode() if isinstance(payload, str) else orjson.dumps(payload)))
    return [*out, drain_end(start_ms + 2 * 86_400_000)]


def hostile(messages: list[tuple[str, bytes]], seed: int = 11) -> list[tuple[str, bytes]]:
    """The same traffic, mistreated (the last message stays last)."""
    rng = random.Random(seed)
    body, end = list(messages[:-1]), messages[-1]
    out: list[tuple[str, bytes]] = []
    broken = [b"", b"{", b"[]", b"null", b'{"v": 1}', b"\xff\xfe\xfa", b'{"v": 1, "id": 5}',
              b'{"v": 1, "id": "x", "ts": NaN, "device": "gate-north", "type": "door.opened"}',
              b'{"v": 1, "id": "x", "ts": "yesterday", "device": "gate-north", "type": "door.opened"}',
              b'{"v": 1, "id": "' + b"x" * 5000 + b'", "ts": 1, "device": "gate-north", "type": "door.opened"}',
              b"[" * 500 + b"]" * 500]
    i = 0
    while i < len(body):
        topic, raw = body[i]
        roll = rng.random()
        if roll < 0.05 and i + 1 < len(body):  # neighbours swapped
            out += [body[i + 1], body[i]]
            i += 2
            continue
        out.append((topic, raw))
        payload = orjson.loads(raw)
        if roll < 0.15:  # a redelivery of the same id
            out.append((topic, raw))
        elif roll < 0.18:  # a late copy with a new id, 10 minutes back
            late = dict(payload, id=f"{payload['id']}-late", ts=parse_ts_ms(payload["ts"]) - 600_000)
            out.append((topic, orjson.dumps(late)))
        elif roll < 0.20:  # a device the registry does not know
            out.append(("zhian/cyl/ghost-1/events", orjson.dumps(dict(payload, device="ghost-1"))))
        elif roll < 0.25:
            out.append((topic, rng.choice(broken)))
        elif roll < 0.26:  # a clock hours ahead
            out.append((topic, orjson.dumps(dict(payload, id=f"{payload['id']}-ahead",
                                                 ts=int(time.time() * 1000) + 5 * 3_600_000))))
        i += 1
    return [*out, end]


def zhian(port: int, store: Path, processes: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`zhian run` with its own persistent session per layout; event time stays with the events."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "zhian.cli", "run", "--broker", f"127.0.0.1:{port}", "--devices", str(DEVICES),
             "--store", str(store), "--client-id", f"split-check-p{processes}", "--mqtt-client", "native",
             "--no-console", "--no-cameras", "--idle-after", "3600", "--processes", str(processes)],
            stdout=out, stderr=out, env=env)


def query(store: Path, sql: str) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        db.close()


def settled(store: Path, sent: int) -> bool:
    """Every message stored, dead-lettered or dropped as a duplicate, and the last one applied."""
    counters = dict(query(store, "SELECT name, value FROM counters"))
    accounted = sum(v for k, v in counters.items() if k in ("events", "duplicates") or k.startswith("rejected."))
    if accounted < sent:
        return False
    return bool(query(store, "SELECT 1 FROM outbox WHERE instr(body, 'bench-drain-end') > 0 LIMIT 1"))


def dump(store: Path) -> dict[str, list[tuple[Any, ...]]]:
    """What must not depend on the process layout (receive times are the wall clock's)."""
    snap = query(store, "SELECT last_seq, body FROM snapshots WHERE name = 'engine'")
    return {
        "events": query(store, "SELECT seq, device, id, ts_ms, type, subject, body FROM events ORDER BY seq"),
        # a clock_ahead detail says by how much, against the receive time
        "dead_letters": [(*row[:5], re.sub(r"is -?\d+ s ahead", "is N s ahead", row[5]), row[6]) for row in query(
            store, "SELECT seq, topic, payload, reason, field, detail, device FROM dead_letters ORDER BY seq")],
        "counters": query(store, "SELECT name, value FROM counters ORDER BY name"),
        "outbox": query(store, "SELECT n, ts_ms, topic, body FROM outbox ORDER BY n"),
        "snapshot": [(s, orjson.loads(b)) for s, b in snap],
    }


def run_set(tmp: Path, name: str, messages: list[tuple[str, bytes]], env: dict[str, str]) -> bool:
    broker = LocalBroker(tmp / f"mq-{name}").start()
    dumps = {}
    try:
        for processes in (1, 2):  # each layout's persistent session first, so both get the backlog
            log = tmp / f"{name}-{processes}.log"
            proc = zhian(broker.port, tmp / f"{name}-{processes}.db", processes, env, log)
            wait_log(log, f"as split-check-p{processes} (session", 60)
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
        publish_all(broker.port, messages)
        for processes in (1, 2):
            store, log = tmp / f"{name}-{processes}.db", tmp / f"{name}-{processes}.log"
            proc = zhian(broker.port, store, processes, env, log)
            deadline = time.monotonic() + 600
            while not settled(store, len(messages)) and time.monotonic() < deadline:
                time.sleep(0.2)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(120) == 0, log.read_text(errors="replace")[-3000:]
            dumps[processes] = dump(store)
    finally:
        broker.stop()
    same = True
    sizes = []
    for table in dumps[1]:
        a, b = dumps[1][table], dumps[2][table]
        sizes.append(f"{table} {len(a)}")
        if a != b:
            same = False
            first = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
            print(f"  {name}: {table} differs ({len(a)} vs {len(b)} rows), first at row {first}:")
            print(f"    1 process:   {str(a[first])[:300] if first < len(a) else '-'}")
            print(f"    2 processes: {str(b[first])[:300] if first < len(b) else '-'}")
    print(f"{name}: {'identical' if same else 'DIFFERENT'} ({', '.join(sizes)})")
    return same


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=30_000, help="messages of normal life per set")
    parser.add_argument("--sets", nargs="+", choices=("week", "incidents", "hostile", "salted"),
                        default=["week", "incidents", "hostile", "salted"])
    args = parser.parse_args()
    base = week(args.events, int(time.time() * 1000) - 8 * 86_400_000)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHIAN_SUBJECT_SALT")}
    ok = True
    with tempfile.TemporaryDirectory(prefix="split-check-") as tmp:
        for name in args.sets:
            if name == "incidents":
                messages = incidents(recent_noon(3), Path(tmp))
            else:
                messages = base if name == "week" else hostile(base)
            set_env = dict(env, ZHIAN_SUBJECT_SALT=SALT) if name == "salted" else env
            ok &= run_set(Path(tmp), name, messages, set_env)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
