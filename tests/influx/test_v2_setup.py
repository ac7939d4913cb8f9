"""The InfluxDB 2.x path against a scripted 2.x API (no real 2.x server can be installed here):
bucket and DBRP mapping created once through influxdb-client, writes to /api/v2/write with the token."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest

from alerts.sinks.influx import InfluxTarget, InfluxWriter, prepare

ORG = {"id": "0a1b2c3d4e5f6a7b", "name": "compound"}


class Fake2x(ThreadingHTTPServer):
    """Just enough of the InfluxDB 2.x API for start-up and writes, recording every request."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests: list[tuple[str, str, dict[str, list[str]], dict[str, str], bytes]] = []
        self.buckets: list[dict[str, Any]] = []
        self.dbrps: list[dict[str, Any]] = []


class Handler(BaseHTTPRequestHandler):
    def _answer(self, status: int, doc: Any = None, headers: dict[str, str] | None = None) -> None:
        body = orjson.dumps(doc) if doc is not None else b""
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _record(self) -> tuple[str, dict[str, list[str]], bytes]:
        server = self.server
        assert isinstance(server, Fake2x)
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        server.requests.append((self.command, url.path, parse_qs(url.query), dict(self.headers), body))
        return url.path, parse_qs(url.query), body

    def do_GET(self) -> None:  # noqa: N802
        server = self.server
        assert isinstance(server, Fake2x)
        path, query, _ = self._record()
        if path == "/ping":
            self._answer(204, headers={"X-Influxdb-Version": "v2.7.10", "X-Influxdb-Build": "OSS"})
        elif path == "/api/v2/orgs":
            self._answer(200, {"orgs": [ORG] if query.get("org") == ["compound"] else []})
        elif path == "/api/v2/buckets":
            self._answer(200, {"buckets": [b for b in server.buckets if [b["name"]] == query.get("name")]})
        elif path == "/api/v2/dbrps":
            self._answer(200, {"content": [d for d in server.dbrps if [d["database"]] == query.get("db")]})
        else:
            self._answer(404, {"code": "not found", "message": path})

    def do_POST(self) -> None:  # noqa: N802
        server = self.server
        assert isinstance(server, Fake2x)
        path, _, body = self._record()
        if path == "/api/v2/buckets":
            doc = orjson.loads(body)
            bucket = {"id": "b0b0b0b0b0b0b0b0", "name": doc["name"], "orgID": doc["orgID"], "retentionRules": []}
            server.buckets.append(bucket)
            self._answer(201, bucket)
        elif path == "/api/v2/dbrps":
            doc = orjson.loads(body)
            dbrp = {"id": "d0d0d0d0d0d0d0d0", "orgID": doc["orgID"], "bucketID": doc["bucketID"],
                    "database": doc["database"], "retention_policy": doc["retention_policy"],
                    "default": doc.get("default", False), "virtual": False}
            server.dbrps.append(dbrp)
            self._answer(201, dbrp)
        elif path == "/api/v2/write":
            self._answer(204)
        else:
            self._answer(404, {"code": "not found", "message": path})

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake() -> Iterator[Fake2x]:
    server = Fake2x()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_start_up_creates_bucket_and_dbrp_once_then_writes_with_the_token(fake: Fake2x) -> None:
    target = InfluxTarget(f"http://127.0.0.1:{fake.server_address[1]}", database="zhian", token="t0k",
                          org="compound", bucket="zhian-events")
    info = prepare(target)
    assert info.major == 2
    assert [b["name"] for b in fake.buckets] == ["zhian-events"] and fake.buckets[0]["orgID"] == ORG["id"]
    assert [(d["database"], d["bucketID"], d["retention_policy"]) for d in fake.dbrps] == [
        ("zhian", "b0b0b0b0b0b0b0b0", "autogen")]
    prepare(target)
    assert len(fake.buckets) == 1 and len(fake.dbrps) == 1, "start-up is idempotent"
    assert all(h.get("Authorization") == "Token t0k" for _, p, _, h, _ in fake.requests if p != "/ping")

    writer = InfluxWriter(target)
    writer.add("events,device=lobby-3-1 id=\"e1\" 1")
    assert writer.flush() == []
    method, path, query, headers, body = fake.requests[-1]
    assert (method, path) == ("POST", "/api/v2/write")
    assert query == {"org": ["compound"], "bucket": ["zhian-events"], "precision": ["ns"]}
    assert headers["Authorization"] == "Token t0k" and body == b'events,device=lobby-3-1 id="e1" 1'
