"""A single-node Kafka (KRaft) for tests and benchmarks, installed from Maven Central.

Only package registries are reachable from the project's machines, so the broker is not
downloaded as Apache's tarball: Maven resolves `org.apache.kafka:kafka_2.13` and its
runtime dependencies into `.cache/kafka/` (once), and the broker runs from that classpath
with `java -cp … kafka.Kafka`. It listens on 127.0.0.1 only, on free ports, with a small
heap; `KafkaBroker` starts and stops it.

    python -m zhian.kafka_local install          # resolve the jars (idempotent)
    python -m zhian.kafka_local run              # a broker in the foreground, Ctrl-C stops it
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from types import TracebackType

from zhian.process import stop_process

KAFKA_VERSION = "4.1.0"
LOG4J_VERSION = "2.24.3"
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = ROOT / ".cache" / "kafka"

_POM = f"""<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.zhian</groupId>
  <artifactId>kafka-broker-classpath</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>{KAFKA_VERSION}</version>
    </dependency>
    <!-- Kafka logs through slf4j 1.7; this binds it to the log4j2 core Kafka ships with. -->
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>{LOG4J_VERSION}</version>
    </dependency>
  </dependencies>
</project>
"""

# Warnings only: the broker's INFO chatter would fill the test logs; readiness is probed
# on the socket, not read from the log.
_LOG4J2 = """status = error
appender.out.type = Console
appender.out.name = out
appender.out.target = SYSTEM_ERR
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.out.ref = out
"""


class KafkaError(RuntimeError):
    """The broker could not be installed or started; the message says why."""


def install(cache: Path = DEFAULT_CACHE) -> list[Path]:
    """The broker's classpath (jars), resolved from Maven Central into `cache` once."""
    lib = cache / "lib"
    stamp = cache / f".installed-{KAFKA_VERSION}"
    if stamp.exists():
        return sorted(lib.glob("*.jar"))
    mvn = shutil.which("mvn")
    if mvn is None:
        raise KafkaError("mvn (Maven 3) is not installed: apt-get install maven")
    if shutil.which("java") is None:
        raise KafkaError("java (17 or later) is not installed: apt-get install openjdk-17-jre-headless")
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "pom.xml").write_text(_POM)
    if lib.exists():
        shutil.rmtree(lib)
    cmd = [mvn, "-q", "-B", "-f", str(cache / "pom.xml"), f"-Dmaven.repo.local={cache / 'm2'}",
           "dependency:copy-dependencies", f"-DoutputDirectory={lib}", "-DincludeScope=runtime"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        output = done.stdout[-3000:] + done.stderr[-3000:]
        raise KafkaError(f"maven could not resolve kafka_2.13:{KAFKA_VERSION}:\n{output}")
    jars = sorted(lib.glob("*.jar"))
    if not any(j.name.startswith("kafka_2.13-") for j in jars):
        raise KafkaError(f"maven ran but {lib} has no kafka_2.13 jar")
    stamp.write_text("\n".join(j.name for j in jars) + "\n")
    return jars


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class KafkaBroker:
    """One broker+controller in KRaft mode on 127.0.0.1; use as a context manager."""

    def __init__(self, cache: Path = DEFAULT_CACHE, data_dir: Path | None = None, heap: str = "512m",
                 properties: dict[str, str] | None = None) -> None:
        self.cache = cache
        self.properties = properties or {}  # overrides of server.properties
        self.heap = heap
        self._own_dir = data_dir is None
        self.dir = data_dir or Path(tempfile.mkdtemp(prefix="zhian-kafka-"))
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        """host:port for clients."""
        return f"127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 90.0) -> KafkaBroker:
        """Install if needed, format storage with a fresh cluster id, start, wait until ready."""
        jars = install(self.cache)
        classpath = os.pathsep.join(str(j) for j in jars)
        self.port, controller = free_port(), free_port()
        props = self.dir / "server.properties"
        (self.dir / "log4j2.properties").write_text(_LOG4J2)
        extra = "".join(f"{k}={v}\n" for k, v in self.properties.items())
        props.write_text(_server_properties(self.port, controller, self.dir / "data") + extra)
        java = [shutil.which("java") or "java", f"-Xmx{self.heap}", f"-Xms{self.heap}",
                "-XX:+UseG1GC",
                f"-Dlog4j2.configurationFile={self.dir / 'log4j2.properties'}", "-cp", classpath]
        fmt = subprocess.run([*java, "kafka.tools.StorageTool", "format", "-t", _cluster_id(), "-c", str(props)],
                             capture_output=True, text=True, timeout=120, check=False)
        if fmt.returncode != 0:
            raise KafkaError(f"kafka storage format failed:\n{fmt.stdout[-2000:]}{fmt.stderr[-2000:]}")
        log = (self.dir / "broker.log").open("wb")
        self.proc = subprocess.Popen([*java, "kafka.Kafka", str(props)], stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        log.close()
        try:
            self._wait_ready(timeout_s)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise KafkaError(f"kafka exited with {self.proc.returncode}:\n{self.log_tail()}")
            if _broker_answers(self.port):
                return
            time.sleep(0.3)
        raise KafkaError(f"kafka did not become ready in {timeout_s:.0f} s:\n{self.log_tail()}")

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the broker's log, for error messages."""
        path = self.dir / "broker.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def stop(self) -> None:
        """Stop the broker (SIGTERM, then SIGKILL after 20 s) and remove its data."""
        stop_process(self.proc)
        self.proc = None
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> KafkaBroker:
        return self.start()

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def _cluster_id() -> str:
    # Kafka's cluster ids are 16 random bytes in URL-safe base64 without padding. One in 64
    # begins with "-", which the storage tool's argument parser takes for an option ("argument
    # --cluster-id/-t: expected one argument"); Kafka's own Uuid.randomUuid draws again then too.
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


def _server_properties(port: int, controller: int, data: Path) -> str:
    # Replication factors of 1 and no initial rebalance delay: one broker, and tests want
    # consumer groups to form at once. Internal topics are kept small for the same reason.
    return f"""process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{controller}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs={data}
num.partitions=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
group.consumer.min.session.timeout.ms=1000
group.classic.min.session.timeout.ms=1000
log.retention.hours=24
"""


def _broker_answers(port: int) -> bool:
    """True once the broker answers an ApiVersions request on its client port."""
    # ApiVersions v0: size, api_key 18, version 0, correlation id 1, client id "z".
    request = bytes.fromhex("0000000b" "0012" "0000" "00000001" "0001") + b"z"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as s:
            s.sendall(request)
            head = s.recv(10)
    except OSError:
        return False
    return len(head) >= 10 and head[4:8] == b"\x00\x00\x00\x01" and head[8:10] == b"\x00\x00"


def main(argv: list[str] | None = None) -> int:
    """`install` resolves the jars; `run` keeps a broker in the foreground until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m zhian.kafka_local", description=__doc__)
    parser.add_argument("action", choices=["install", "run"])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where the jars are kept")
    args = parser.parse_args(argv)
    try:
        if args.action == "install":
            jars = install(args.cache)
            print(f"kafka {KAFKA_VERSION}: {len(jars)} jars in {args.cache / 'lib'}", file=sys.stderr)
            return 0
        with KafkaBroker(args.cache) as broker:
            print(f"kafka {KAFKA_VERSION} on {broker.bootstrap} (data in {broker.dir}); Ctrl-C stops it",
                  file=sys.stderr, flush=True)
            assert broker.proc is not None
            broker.proc.wait()
    except KafkaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
