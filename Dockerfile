# zhian live processor: a slim, non-root image.  docker build -t zhian .
# Every dependency installs from a binary wheel (numpy, orjson, pydantic-core and
# opencv-python-headless, which bundles its own FFmpeg and needs neither libGL nor a GUI),
# so the image needs no compiler and no extra system packages.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY ingest ingest
COPY detectors detectors
COPY rules rules
COPY alerts alerts
COPY zhian zhian
# Fail the build here, not at 3 a.m., if a wheel lacks a system library (cv2 above all).
RUN pip install . \
 && python -c "import cv2; print('opencv', cv2.__version__)" \
 && zhian --help > /dev/null \
 && useradd --system --uid 10001 --home-dir /var/lib/zhian --shell /usr/sbin/nologin zhian \
 && mkdir -p /var/lib/zhian /etc/zhian/rules.d \
 && chown zhian:zhian /var/lib/zhian \
 && rm -rf /src

# The example compound, so that `docker run zhian devices validate /etc/zhian/devices.yaml`
# works out of the box; a deployment mounts its own devices.yaml over it (compose.yaml).
COPY devices.yaml /etc/zhian/devices.yaml

USER zhian
WORKDIR /var/lib/zhian
VOLUME ["/var/lib/zhian"]
# the desk console and its HTTP API (`--console`, docs/console.md)
EXPOSE 8080

# `zhian run --health-file` rewrites the file every 5 s while its loop runs and says whether
# the broker connection is up; stale or disconnected means unhealthy.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["zhian", "health", "--file", "/var/lib/zhian/alive"]

ENTRYPOINT ["zhian"]
# Without credentials: for a broker that still allows anonymous clients. compose.yaml runs
# it with the provisioned login and InfluxDB.
CMD ["run", "--devices", "/etc/zhian/devices.yaml", "--broker", "mosquitto:1883", \
     "--store", "/var/lib/zhian/zhian.db", "--health-file", "/var/lib/zhian/alive", \
     "--console", "0.0.0.0:8080"]
