"""`zhian health`: the reason it gives for each state `zhian run` writes."""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from zhian.commands import health
from zhian.live import LiveProcessor


@pytest.mark.parametrize(("state", "code", "says"), [
    ("connected", 0, "healthy: loop alive"),
    ("disconnected", 1, "not connected to the MQTT broker"),
    ("engine-down", 1, "the engine process is down"),
    ("puzzled", 1, "state 'puzzled'"),
])
def test_health_names_the_state(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                state: str, code: int, says: str) -> None:
    path = tmp_path / "health"
    path.write_text(f"{int(time.time())} {state}\n")
    assert health.run(argparse.Namespace(file=path, max_age=30.0)) == code
    out = capsys.readouterr().out
    assert says in out
    if state == "engine-down":
        assert "MQTT" not in out, "an engine process that is down is not a broker problem"


def test_a_stale_file_is_unhealthy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "health"
    path.write_text(f"{int(time.time()) - 100} connected\n")
    assert health.run(argparse.Namespace(file=path, max_age=30.0)) == 1
    assert "silent for" in capsys.readouterr().out


def test_the_health_file_is_never_seen_half_written(tmp_path: Path) -> None:
    """The image's HEALTHCHECK reads the file while `zhian run` rewrites it: every read is whole."""
    path = tmp_path / "health"
    connected = threading.Event()
    writer = SimpleNamespace(config=SimpleNamespace(health_file=path), mqtt=SimpleNamespace(connected=connected),
                             link=None)
    writer.mqtt.connected.set()
    LiveProcessor._touch_health(writer)  # type: ignore[arg-type]
    done = threading.Event()

    def rewrite() -> None:
        while not done.is_set():
            LiveProcessor._touch_health(writer)  # type: ignore[arg-type]

    thread = threading.Thread(target=rewrite)
    thread.start()
    try:
        reads = [path.read_text() for _ in range(20_000)]
    finally:
        done.set()
        thread.join()
    torn = [text for text in reads if len(text.split()) != 2]
    assert not torn, f"{len(torn)} of {len(reads)} reads saw a torn file, e.g. {torn[0]!r}"
