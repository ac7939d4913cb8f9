"""A local InfluxDB 1.x (Debian's `influxdb` package) for the tests, the benchmark and trials.

Everything listens on 127.0.0.1 on free ports, usage reporting is off, and all data lives
under one directory, so a server can be stopped and started again on the same data.
"""

from __future__ import annotations

import http.client
import shutil
import subprocess
import time
from pathlib import Path

from zhian.broker import free_port
from zhian.process import stop_process

CONFIG = """\
reporting-enabled = false
bind-address = "127.0.0.1:{rpc_port}"

[meta]
  dir = "{data_dir}/meta"
  retention-autocreate = true
  logging-enabled = false

[data]
  dir = "{data_dir}/data"
  wal-dir = "{data_dir}/wal"
  query-log-enabled = false
  wal-fsync-delay = "0s"

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[continuous_queries]
  enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:{port}"
  auth-enabled = false
  log-enabled = false
  pprof-enabled = false
  flux-enabled = false

[logging]
  level = "warn"
  suppress-logo = true
"""


def influxd_executable() -> str:
    """Path of influxd, or a clear error saying how to install it."""
    found = shutil.which("influxd") or next(
        (p for p in ("/usr/bin/influxd", "/usr/sbin/influxd") if Path(p).exists()), None)
    if found is None:
        raise RuntimeError("influxd is not installed: run `apt-get install influxdb` (InfluxDB 1.x)")
    return found


class LocalInfluxd:
    """influxd 1.x on 127.0.0.1 with its data under `data_dir`; stop() ends it, start() resumes."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port or free_port()
        self.rpc_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL for --influx."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 30.0) -> LocalInfluxd:
        """Write the config, start influxd and wait until `/ping` answers."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        conf = self.data_dir / "influxdb.conf"
        conf.write_text(CONFIG.format(port=self.port, rpc_port=self.rpc_port, data_dir=self.data_dir),
                        encoding="utf-8")
        log_file = (self.data_dir / "influxd.log").open("ab")
        self.process = subprocess.Popen([influxd_executable(), "-config", str(conf)],
                                        stdout=log_file, stderr=log_file)
        log_file.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = (self.data_dir / "influxd.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"influxd exited at start (port {self.port}): {tail.strip()}")
            if self.ping():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"influxd did not answer on {self.url} within {timeout_s} s")

    def ping(self) -> bool:
        """True when the HTTP API answers `/ping`."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
        try:
            conn.request("GET", "/ping")
            return conn.getresponse().status == 204
        except OSError:
            return False
        finally:
            conn.close()

    def stop(self) -> None:
        """Stop influxd (SIGTERM: it flushes its WAL on the way out)."""
        stop_process(self.process)
        self.process = None
