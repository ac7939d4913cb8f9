#!/usr/bin/env bash
# Sets up zhian and runs it on embedded defaults: a local Mosquitto on 127.0.0.1 with the
# project's config, the SQLite store in var/, and the simulator feeding the example
# compound with an incident every 20 seconds. Alerts appear in this terminal. Ctrl-C stops.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
exec .venv/bin/zhian demo "$@"
