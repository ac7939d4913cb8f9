"""The writer's retry policy against a scripted HTTP server: 5xx, 429 with Retry-After and a
refused connection are retried until accepted; nothing is dropped or acknowledged early."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from alerts.sinks.influx import Backoff, InfluxTarget, InfluxWriter, Stopped
from zhian.broker import free_port


class Scripted(ThreadingHTTPServer):
    """Answers each POST /write with the next scripted (status, headers, body), then 204."""

    def __init__(self, script: list[tuple[int, dict[str, str], bytes]], port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.script = script
        self.bodies: list[bytes] = []


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        server = self.server
        assert isinstance(server, Scripted)
        server.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        status, headers, body = server.script.pop(0) if server.script else (204, {}, b"")
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def serve() -> Iterator[list[Scripted]]:
    servers: list[Scripted] = []
    yield servers
    for s in servers:
        s.shutdown()
        s.server_close()


def start(servers: list[Scripted], script: list[tuple[int, dict[str, str], bytes]], port: int = 0) -> Scripted:
    server = Scripted(script, port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    servers.append(server)
    return server


def writer_for(port: int, waits: list[float]) -> InfluxWriter:
    def sleep(seconds: float) -> bool:
        waits.append(seconds)
        return False
    return InfluxWriter(InfluxTarget(f"http://127.0.0.1:{port}"), backoff=Backoff(0.5, 8.0), sleep=sleep)


def test_5xx_and_429_are_retried_and_retry_after_is_honoured(serve: list[Scripted]) -> None:
    server = start(serve, [
        (500, {}, b'{"error":"engine: cache maximum memory size exceeded"}'),
        (503, {}, b"overloaded"),
        (429, {"Retry-After": "7"}, b'{"code":"too many requests"}'),
        (502, {}, b"bad gateway"),
    ])
    waits: list[float] = []
    writer = writer_for(server.server_address[1], waits)
    writer.add("m v=1i 1")
    writer.add("m v=2i 2")
    assert writer.flush() == []
    assert len(server.bodies) == 5 and len(set(server.bodies)) == 1, "the same batch, re-sent whole"
    assert waits[2] == 7.0, "Retry-After decides the wait after a 429"
    assert 0.375 <= waits[0] <= 0.625 and 0.75 <= waits[1] <= 1.25 and 3.0 <= waits[3] <= 5.0, waits
    assert writer.stats.retries == 4 and writer.stats.lines == 2


def test_backoff_is_capped() -> None:
    backoff = Backoff(0.5, 8.0)
    assert all(backoff.delay(n) <= 8.0 * 1.25 for n in range(1, 200))
    assert min(backoff.delay(30) for _ in range(50)) >= 8.0 * 0.75


def test_a_refused_connection_is_retried_until_the_server_is_there(serve: list[Scripted]) -> None:
    port = free_port()
    waits: list[float] = []
    holder: list[Scripted] = []

    def sleep(seconds: float) -> bool:
        waits.append(seconds)
        if len(waits) == 5:  # the server comes up after five failed attempts
            holder.append(start(serve, [], port))
        return False

    writer = InfluxWriter(InfluxTarget(f"http://127.0.0.1:{port}"), backoff=Backoff(0.5, 8.0), sleep=sleep)
    writer.add("m v=1i 1")
    assert writer.flush() == []
    assert len(waits) == 5 and holder and holder[0].bodies == [b"m v=1i 1"]


def test_stop_while_retrying_keeps_the_batch(serve: list[Scripted]) -> None:
    server = start(serve, [(503, {}, b"")] * 3)
    stop = threading.Event()

    def sleep(seconds: float) -> bool:
        stop.set()
        return True

    writer = InfluxWriter(InfluxTarget(f"http://127.0.0.1:{server.server_address[1]}"), stop, sleep=sleep)
    writer.add("m v=1i 1")
    with pytest.raises(Stopped):
        writer.flush()
    assert len(writer) == 1, "nothing acknowledged: the caller's cursor stays"


def test_a_400_is_split_down_to_the_refused_line(serve: list[Scripted]) -> None:
    def partial(bad: str) -> tuple[int, dict[str, str], bytes]:
        return (400, {}, f'{{"error":"partial write: unable to parse \'{bad}\': bad timestamp dropped=1"}}'.encode())

    # batch of 4 with the third bad: [1,2,X,4] -> 400; [1,2] -> 204; [X,4] -> 400; [X] -> 400; [4] -> 204
    server = start(serve, [partial("X"), (204, {}, b""), partial("X"), partial("X"), (204, {}, b"")])
    writer = writer_for(server.server_address[1], [])
    for text in ("m v=1i 1", "m v=2i 2", "X", "m v=4i 4"):
        writer.add(text)
    refused = writer.flush()
    assert [(r.line, r.status) for r in refused] == [("X", 400)]
    assert "unable to parse" in refused[0].reason
    assert server.bodies[-1] == b"m v=4i 4"
