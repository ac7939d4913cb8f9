"""A local Mosquitto for the demo and the tests, started with the project's own config."""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import time
from pathlib import Path

from zhian.process import stop_process

CONFIG_TEMPLATE = Path(__file__).resolve().parent / "data" / "mosquitto-local.conf"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalBroker:
    """Mosquitto on 127.0.0.1 with persistence under `data_dir`; stop() ends it."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @staticmethod
    def executable() -> str:
        """Path of mosquitto, or a clear error saying how to install it."""
        found = shutil.which("mosquitto") or next(
            (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if Path(p).exists()), None)
        if found is None:
            raise RuntimeError("mosquitto is not installed: run `apt-get install mosquitto` "
                               "(scripts/demo.sh does this for you)")
        return found

    def start(self, timeout_s: float = 10.0) -> LocalBroker:
        """Write the config, start mosquitto and wait until it accepts connections."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        conf = self.data_dir / "mosquitto.conf"
        template = CONFIG_TEMPLATE.read_text(encoding="utf-8")
        filled = (template.replace("{port}", str(self.port)).replace("{data_dir}", str(self.data_dir))
                  .replace("{user}", getpass.getuser()))
        conf.write_text(filled, encoding="utf-8")
        self.process = subprocess.Popen([self.executable(), "-c", str(conf)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
                log_file = self.data_dir / "mosquitto.log"
                if log_file.exists():
                    err += log_file.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"mosquitto exited at start (port {self.port}): {err.strip()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"mosquitto did not listen on 127.0.0.1:{self.port} within {timeout_s} s")

    def stop(self) -> None:
        """Stop mosquitto (it saves its persistence file on the way out)."""
        stop_process(self.process, 10)
        self.process = None

    @property
    def address(self) -> str:
        """host:port for --broker."""
        return f"127.0.0.1:{self.port}"
