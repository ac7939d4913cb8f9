# zhian live processor: a slim, non-root image. Build: docker build -t zhian .
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
# opencv-python-headless ships its own FFmpeg and needs no GUI libraries.
RUN pip install . \
 && useradd --system --uid 10001 --home-dir /var/lib/zhian --shell /usr/sbin/nologin zhian \
 && mkdir -p /var/lib/zhian /etc/zhian \
 && chown zhian:zhian /var/lib/zhian \
 && rm -rf /src

COPY devices.yaml /etc/zhian/devices.yaml

USER zhian
WORKDIR /var/lib/zhian
VOLUME ["/var/lib/zhian"]

HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["zhian", "health", "--file", "/var/lib/zhian/alive"]

ENTRYPOINT ["zhian"]
CMD ["run", "--devices", "/etc/zhian/devices.yaml", "--broker", "mosquitto:1883", \
     "--store", "/var/lib/zhian/zhian.db", "--health-file", "/var/lib/zhian/alive"]
