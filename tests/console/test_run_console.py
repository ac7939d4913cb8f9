"""`zhian run --console HOST:PORT` / `--no-console`: a malformed address is refused before
anything starts; a port in use leaves the processor running without the console."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest

from tests.conftest import DEVICES
from tests.console.conftest import Client
from zhian.cli import build_parser
from zhian.commands.run import build, run, start_console


def args_for(tmp: Path, *extra: str):  # type: ignore[no-untyped-def]
    return build_parser().parse_args(["run", "--devices", str(DEVICES), "--store", str(tmp / "zhian.db"),
                                      "--broker", "127.0.0.1:1", *extra])


def test_malformed_console_address_exits_2(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        assert run(args_for(tmp_path, "--console", "localhost")) == 2
    assert "--console 'localhost': expected HOST:PORT" in caplog.text


def test_console_serves_beside_the_processor_and_stops(tmp_path: Path) -> None:
    args = args_for(tmp_path, "--console", "127.0.0.1:0")
    processor = build(args, args.broker)
    server = start_console(args, processor)
    try:
        assert server is not None
        assert Client(server.url).get("/healthz").json()["ok"] is True
        assert (tmp_path / "console.db").exists()  # beside the store
    finally:
        if server is not None:
            server.stop()
        processor.store.close()
    assert not server.thread.is_alive()


def test_port_in_use_runs_on_without_console(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        args = args_for(tmp_path, "--console", f"127.0.0.1:{port}")
        processor = build(args, args.broker)
        try:
            with caplog.at_level(logging.ERROR):
                assert start_console(args, processor) is None
        finally:
            processor.store.close()
    assert f"cannot listen on 127.0.0.1:{port}" in caplog.text and "without the console" in caplog.text


def test_no_console(tmp_path: Path) -> None:
    args = args_for(tmp_path, "--no-console")
    processor = build(args, args.broker)
    try:
        assert start_console(args, processor) is None
    finally:
        processor.store.close()
    assert not (tmp_path / "console.db").exists()
