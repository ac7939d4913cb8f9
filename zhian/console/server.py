"""The console's HTTP server (uvicorn) in a thread beside the live processor."""

from __future__ import annotations

import logging
import threading
import time

import uvicorn

from zhian.console.app import create_app
from zhian.console.context import ConsoleContext

log = logging.getLogger(__name__)


def parse_listen(text: str) -> tuple[str, int]:
    """`HOST:PORT` (or `:PORT`, host 127.0.0.1) of --console; ValueError naming what is wrong."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"--console {text!r}: expected HOST:PORT, like 127.0.0.1:8080")
    return (host.strip("[]") or "127.0.0.1"), int(port)


class ConsoleServer:
    """uvicorn serving the console app; `start()` returns once it listens (port 0: any free port)."""

    def __init__(self, ctx: ConsoleContext, host: str = "127.0.0.1", port: int = 8080) -> None:
        self.ctx = ctx
        self.host = host
        self.port = port
        config = uvicorn.Config(create_app(ctx), host=host, port=port, log_level="warning", access_log=False,
                                lifespan="on", timeout_graceful_shutdown=2, timeout_keep_alive=5)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._serve, name="zhian-console", daemon=True)
        self._failed: BaseException | None = None

    def _serve(self) -> None:
        try:
            self.server.run()
        except SystemExit as exc:  # uvicorn exits this way when it cannot bind
            self._failed = exc
        except Exception as exc:  # reported by start()
            self._failed = exc
            log.exception("console server stopped")

    @property
    def url(self) -> str:
        """The console's address for a browser."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host  # noqa: S104 - a display name only
        return f"http://{host}:{self.port}/"

    def start(self, timeout_s: float = 15.0) -> ConsoleServer:
        """Serve in the background; RuntimeError when it cannot listen."""
        self.thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"console: cannot listen on {self.host}:{self.port} (in use? "
                                   "choose another with --console HOST:PORT, or --no-console)")
            time.sleep(0.02)
        for server in self.server.servers:
            for sock in server.sockets:
                self.port = int(sock.getsockname()[1])
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop serving (open live streams are closed)."""
        self.server.should_exit = True
        self.ctx.feed.closing = True
        if self.thread.is_alive():
            self.thread.join(timeout_s)
