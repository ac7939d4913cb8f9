"""Writers of a replay file (JSON lines of {"topic", "payload"}) and of its truth (JSON)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import orjson

from zhian.simulate.model import Traffic

PROGRESS_EVERY = 50_000


def write_replay(
    traffic: Iterable[Traffic], path: str | Path, progress: Callable[[int, int], None] | None = None
) -> int:
    """Write traffic as `zhian replay` reads it; returns the line count.

    `progress(count, ts_ms)` is called every 50,000 lines and at the end.
    """
    count, ts = 0, 0
    dumps = orjson.dumps
    with open(path, "wb") as out:
        for ts, topic, payload in traffic:
            out.write(dumps({"topic": topic, "payload": payload}))
            out.write(b"\n")
            count += 1
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(count, ts)
    if progress is not None:
        progress(count, ts)
    return count


def write_truth(truth: dict[str, Any], path: str | Path) -> None:
    """Write the truth of a simulation as indented JSON (UTF-8)."""
    Path(path).write_text(json.dumps(truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
