"""Stopping the servers zhian starts (Mosquitto, influxd, Kafka, workers) the same way."""

from __future__ import annotations

import subprocess


def stop_process(proc: subprocess.Popen[bytes] | subprocess.Popen[str] | None, grace_s: float = 20.0) -> None:
    """SIGTERM, so the server can save its state on the way out; SIGKILL after `grace_s`."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
