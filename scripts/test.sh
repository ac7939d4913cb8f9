#!/usr/bin/env bash
# Sets up everything the tests need (Mosquitto, Python packages) and runs the whole suite
# against real services started by the tests. Extra arguments go to pytest.
set -euo pipefail
ZHIAN_EXTRAS=test
source "$(dirname "$0")/setup.sh"
echo "test.sh: Kafka jars from Maven Central (cached in .cache/kafka)" >&2
.venv/bin/python -m zhian.kafka_local install >&2
echo "test.sh: ruff check" >&2
.venv/bin/ruff check .
echo "test.sh: mypy" >&2
.venv/bin/mypy
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "test.sh: pytest collected no tests; that is a failure" >&2
    exit 1
fi
exit "$status"
