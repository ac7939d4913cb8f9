#!/usr/bin/env bash
# A single-node Kafka (KRaft) on 127.0.0.1 for development, from Maven Central artifacts
# cached in .cache/kafka/ (the tests start their own through zhian.kafka_local).
#   bash scripts/kafka.sh install   # resolve the broker's jars once (needs java 17 and mvn)
#   bash scripts/kafka.sh run       # a broker in the foreground on a free port; Ctrl-C stops it
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="python3"
if [ -x .venv/bin/python ]; then PY=".venv/bin/python"; fi
exec "$PY" -m zhian.kafka_local "${1:-run}" "${@:2}"
