"""InfluxDB over HTTP: the v1 API (`/ping`, `/write`, InfluxQL on `/query`) that InfluxDB 1.x,
2.x (through a DBRP mapping) and 3.x all accept, plus `/api/v2/write` for 2.x with a token.

`InfluxWriter` is a batching sink (`add()` / `flush()`, `full` as the backpressure signal)
that never drops a batch: connection errors, 5xx and 429 are retried with capped
exponential backoff for as long as it takes (honouring Retry-After); a 400 is split until
the lines the server refuses are isolated, and those are handed back with the server's
reason for the caller's dead-letter store. Durability is the caller's: it keeps its data
until `flush()` returns and only then moves its cursors. influxdb-client's batching
WriteApi is not used because it drops a batch once its retries run out.
"""

from __future__ import annotations

import base64
import http.client
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import orjson

log = logging.getLogger(__name__)

BATCH_LINES = 5000


class InfluxError(Exception):
    """InfluxDB answered in a way the caller must hear about (a query error, a refused set-up)."""


class Stopped(Exception):
    """The stop signal was set while a flush was still retrying; nothing was acknowledged."""


@dataclass(frozen=True, slots=True)
class InfluxTarget:
    """Where to write: server URL, database (1.x / DBRP name) and, for 2.x, token, org, bucket."""

    url: str
    database: str = "zhian"
    retention_policy: str | None = None
    token: str | None = None
    org: str | None = None
    bucket: str | None = None  # set with org and token: writes go to /api/v2/write
    timeout_s: float = 10.0

    @property
    def v2(self) -> bool:
        """True when writes use the 2.x API (org and bucket given)."""
        return bool(self.org and self.bucket)


@dataclass(frozen=True, slots=True)
class ServerInfo:
    """What `/ping` says about the server."""

    version: str
    build: str

    @property
    def major(self) -> int:
        """1, 2 or 3 (0 when the server did not say)."""
        digits = self.version.lstrip("vV").split(".", 1)[0]
        return int(digits) if digits.isdigit() else 0


@dataclass(frozen=True, slots=True)
class Reply:
    """One HTTP answer."""

    status: int
    body: bytes
    retry_after_s: float | None = None
    headers: dict[str, str] = field(default_factory=dict)  # names in lower case

    @property
    def message(self) -> str:
        """The server's reason: the `error` (1.x) or `message` (2.x, 3.x) of a JSON body, else the text."""
        try:
            doc = orjson.loads(self.body)
        except orjson.JSONDecodeError:
            return self.body.decode(errors="replace").strip()[:2000]
        if isinstance(doc, dict):
            return str(doc.get("error") or doc.get("message") or doc)[:2000]
        return str(doc)[:2000]


class InfluxHttp:
    """A keep-alive HTTP connection to one InfluxDB; not thread-safe (one per thread)."""

    def __init__(self, target: InfluxTarget) -> None:
        self.target = target
        parts = urlsplit(target.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"InfluxDB URL {target.url!r}: expected http://host:port")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._https else 8086)
        self._prefix = parts.path.rstrip("/")
        self._headers: dict[str, str] = {}
        if target.token:
            self._headers["Authorization"] = f"Token {target.token}"
        elif parts.username:
            pair = f"{parts.username}:{parts.password or ''}".encode()
            self._headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        """Drop the connection (a new one is made on the next request)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method: str, path: str, params: dict[str, str], body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Reply:
        """One request; OSError (refused, reset, timeout) propagates for the caller to retry."""
        if self._conn is None:
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            self._conn = cls(self._host, self._port, timeout=self.target.timeout_s)
        url = self._prefix + path + ("?" + urlencode(params) if params else "")
        try:
            self._conn.request(method, url, body=body, headers={**self._headers, **(headers or {})})
            resp = self._conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise ConnectionError(f"{method} {path}: {exc}") from exc
        headers = {k.lower(): v for k, v in resp.getheaders()}
        return Reply(resp.status, data, _seconds(headers.get("retry-after")), headers)

    def ping(self) -> ServerInfo:
        """The server's version and build from `/ping` (1.x, 2.x and 3.x all answer it)."""
        reply = self.request("GET", "/ping", {})
        if reply.status not in (200, 204):
            raise InfluxError(f"/ping answered {reply.status}: {reply.message}")
        version = reply.headers.get("x-influxdb-version", "")
        return ServerInfo(version, reply.headers.get("x-influxdb-build", "OSS" if version else ""))

    def write(self, body: bytes) -> Reply:
        """POST line protocol (nanosecond timestamps) to the target's write endpoint."""
        t = self.target
        if t.v2:
            params = {"org": t.org or "", "bucket": t.bucket or "", "precision": "ns"}
            return self.request("POST", "/api/v2/write", params, body, {"Content-Type": "text/plain; charset=utf-8"})
        params = {"db": t.database, "precision": "ns"}
        if t.retention_policy:
            params["rp"] = t.retention_policy
        return self.request("POST", "/write", params, body, {"Content-Type": "text/plain; charset=utf-8"})

    def _post_query(self, params: dict[str, str]) -> Reply:
        """POST /query with the target's retention policy; InfluxError unless 200."""
        if self.target.retention_policy:
            params["rp"] = self.target.retention_policy
        reply = self.request("POST", "/query", {}, urlencode(params).encode(),
                             {"Content-Type": "application/x-www-form-urlencoded"})
        if reply.status != 200:
            raise InfluxError(f"query failed ({reply.status}): {reply.message}")
        return reply

    def query(self, influxql: str, epoch: str = "ms", database: str | None = None) -> list[dict[str, Any]]:
        """Run InfluxQL on `/query`; the `results` list, raising InfluxError on any error."""
        reply = self._post_query({"q": influxql, "epoch": epoch, "db": database or self.target.database})
        results = orjson.loads(reply.body).get("results", [])
        for r in results:
            if "error" in r:
                raise InfluxError(f"query failed: {r['error']}")
        return list(results)


    def select(self, influxql: str, database: str | None = None) -> list[dict[str, Any]]:
        """Rows of one SELECT as dicts (`time` in epoch ms), read in chunks so that a server's
        row limit cannot cut the answer short."""
        reply = self._post_query({"q": influxql, "epoch": "ms", "db": database or self.target.database,
                                  "chunked": "true", "chunk_size": "10000"})
        rows: list[dict[str, Any]] = []
        for chunk in reply.body.splitlines():
            if not chunk.strip():
                continue
            for result in orjson.loads(chunk).get("results", []):
                if "error" in result:
                    raise InfluxError(f"query failed: {result['error']}")
                for series in result.get("series", []):
                    columns = series["columns"]
                    tags = series.get("tags") or {}
                    rows += [{**tags, **dict(zip(columns, values, strict=True))} for values in series["values"]]
        return rows


def _seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: the backoff decides instead


def prepare(target: InfluxTarget) -> ServerInfo:
    """Detect the server from `/ping` and make sure the database exists (1.x: CREATE DATABASE;
    2.x with org and bucket: the bucket and its DBRP mapping through influxdb-client)."""
    conn = InfluxHttp(target)
    try:
        info = conn.ping()
        if target.v2:
            ensure_bucket_and_dbrp(target)
        elif info.major <= 1:
            conn.query(f'CREATE DATABASE "{_ident(target.database)}"')
        # 3.x creates a database on its first write
        return info
    finally:
        conn.close()


def _ident(name: str) -> str:
    return name.replace("\\", "\\\\").replace('"', '\\"')


def ensure_bucket_and_dbrp(target: InfluxTarget) -> None:
    """InfluxDB 2.x: create the bucket if missing and map `database` onto it (DBRP), so that
    `/query` (InfluxQL, used by `zhian timeline`) reaches the same data."""
    from influxdb_client import InfluxDBClient  # imported here: only the 2.x path needs it
    from influxdb_client.domain.dbrp_create import DBRPCreate
    from influxdb_client.service.buckets_service import BucketsService
    from influxdb_client.service.dbr_ps_service import DBRPsService

    if not (target.token and target.org and target.bucket):
        raise InfluxError("InfluxDB 2.x needs a token, an organisation and a bucket")
    with InfluxDBClient(url=target.url, token=target.token, org=target.org, timeout=int(target.timeout_s * 1000)) as c:
        org = next((o for o in c.organizations_api().find_organizations(org=target.org)), None)
        if org is None:
            raise InfluxError(f"InfluxDB organisation {target.org!r} not found")
        found = BucketsService(c.api_client).get_buckets(name=target.bucket, org_id=org.id).buckets or []
        bucket = found[0] if found else None
        if bucket is None:
            bucket = c.buckets_api().create_bucket(bucket_name=target.bucket, org=org.id)
            log.info("created InfluxDB bucket %s", target.bucket)
        dbrps = DBRPsService(c.api_client)
        existing = dbrps.get_dbr_ps(org_id=org.id, db=target.database).content or []
        if not any(d.bucket_id == bucket.id for d in existing):
            dbrps.post_dbrp(DBRPCreate(org_id=org.id, bucket_id=bucket.id, database=target.database,
                                       retention_policy=target.retention_policy or "autogen", default=True))
            log.info("mapped InfluxQL database %s onto bucket %s", target.database, target.bucket)


# ---- the batching writer -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Backoff:
    """Capped exponential backoff with jitter."""

    first_s: float = 0.5
    cap_s: float = 30.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (1-based)."""
        base = min(self.cap_s, self.first_s * 2 ** min(attempt - 1, 20))
        return base * (0.75 + 0.5 * random.random())


@dataclass(slots=True)
class Refused:
    """A line the server refused (400), with its reason; the caller dead-letters it."""

    line: str
    reason: str
    status: int


@dataclass(slots=True)
class WriterStats:
    """What the writer did, for metrics and benchmarks."""

    batches: int = 0
    lines: int = 0
    retries: int = 0
    refused: int = 0
    last_error: str = ""
    waiting_since: float | None = None  # monotonic time the current flush started failing
    per_status: dict[int, int] = field(default_factory=dict)


class InfluxWriter:
    """Batching sink: `add()` lines, `flush()` when `full` (the backpressure signal) or idle."""

    def __init__(self, target: InfluxTarget, stop: threading.Event | None = None,
                 backoff: Backoff = Backoff(), batch_lines: int = BATCH_LINES,
                 sleep: Callable[[float], bool] | None = None,
                 on_not_found: Callable[[], object] | None = None) -> None:
        self.target = target
        self.on_not_found = on_not_found  # e.g. re-create a database that was dropped
        self.http = InfluxHttp(target)
        self.stop = stop or threading.Event()
        self.backoff = backoff
        self.batch_lines = batch_lines
        self._sleep = sleep or self.stop.wait  # returns True when stopped while waiting
        self._lines: list[str] = []
        self.stats = WriterStats()

    @property
    def full(self) -> bool:
        """True once a batch is complete: flush before adding more."""
        return len(self._lines) >= self.batch_lines

    def __len__(self) -> int:
        return len(self._lines)

    def add(self, line: str) -> None:
        """Buffer one line for the next flush."""
        self._lines.append(line)

    def take(self) -> list[str]:
        """Hand over the buffered lines (to `write` them elsewhere) and start a new batch."""
        lines, self._lines = self._lines, []
        return lines

    def flush(self) -> list[Refused]:
        """Write every buffered line; returns the lines the server refused (400).

        Blocks, retrying, until the server has accepted or refused each line; raises
        Stopped (buffer kept) when the stop signal is set meanwhile.
        """
        refused = self.write(self._lines)
        self._lines = []
        return refused

    def write(self, lines: list[str]) -> list[Refused]:
        """Write these lines (what `flush` does for the buffer); same guarantees."""
        if not lines:
            return []
        refused: list[Refused] = []
        self._write(lines, refused)
        self.stats.batches += 1
        self.stats.lines += len(lines)
        self.stats.refused += len(refused)
        return refused

    def close(self) -> None:
        """Close the connection."""
        self.http.close()

    def _write(self, lines: list[str], refused: list[Refused]) -> None:
        reply = self._post_until_answered("\n".join(lines).encode())
        if reply.status in (200, 204):
            return
        if reply.status == 413 and len(lines) > 1:  # body too large: halve it
            half = len(lines) // 2
            self._write(lines[:half], refused)
            self._write(lines[half:], refused)
            return
        # 400 (bad line, field type conflict, partial write) or another permanent refusal: the
        # server may have stored part of the batch, and re-sending a stored point overwrites
        # it with the same values, so halving until single lines isolates the refused ones.
        if len(lines) > 1:
            half = len(lines) // 2
            self._write(lines[:half], refused)
            self._write(lines[half:], refused)
            return
        log.warning("InfluxDB refused a line (%d): %s", reply.status, reply.message)
        refused.append(Refused(lines[0], reply.message, reply.status))

    def _post_until_answered(self, body: bytes) -> Reply:
        """POST until the answer is success or a refusal of the data itself."""
        attempt = 0
        while True:
            if self.stop.is_set():
                raise Stopped
            try:
                reply = self.http.write(body)
                self.stats.per_status[reply.status] = self.stats.per_status.get(reply.status, 0) + 1
                wait = self._retry_wait(reply, attempt + 1)
                if wait is None:
                    self.stats.waiting_since = None
                    return reply
                problem = f"HTTP {reply.status}: {reply.message}"
                if reply.status == 404 and self.on_not_found is not None:
                    try:
                        self.on_not_found()
                    except (ConnectionError, InfluxError) as exc:
                        problem += f" (re-creating it failed: {exc})"
            except ConnectionError as exc:
                wait = self.backoff.delay(attempt + 1)
                problem = str(exc)
            attempt += 1
            self.stats.retries += 1
            self.stats.last_error = problem
            if self.stats.waiting_since is None:
                self.stats.waiting_since = time.monotonic()
            if attempt == 1 or attempt % 10 == 0:
                log.warning("InfluxDB write failed (%s); retry %d in %.1f s", problem, attempt, wait)
            if self._sleep(wait):
                raise Stopped

    def _retry_wait(self, reply: Reply, attempt: int) -> float | None:
        """Seconds to wait before retrying, or None when the answer is final."""
        status = reply.status
        if status in (200, 204) or status == 400 or status == 413 or status == 422:
            return None
        if status == 429 or status == 503:
            delay = self.backoff.delay(attempt)
            if reply.retry_after_s is not None:
                delay = min(max(reply.retry_after_s, 0.0), max(self.backoff.cap_s, 60.0))
            return delay
        # 5xx, and 401/403/404 (credentials or database missing: an operator fixes them; the
        # data waits meanwhile instead of being thrown away)
        return self.backoff.delay(attempt)
