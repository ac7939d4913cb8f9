#!/usr/bin/env bash
# Installs what zhian and its tests need on a fresh Debian/Ubuntu machine, idempotently:
# system packages (Mosquitto) with apt-get, then a virtualenv in .venv with zhian in it.
# Sourced by scripts/demo.sh and scripts/test.sh; safe to run again.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

need_apt=()
have_cmd() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }
have_cmd mosquitto || need_apt+=(mosquitto)
have_cmd mosquitto_sub || need_apt+=(mosquitto-clients)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
if [[ "${ZHIAN_EXTRAS:-}" == *test* ]]; then
    # the tests start a real InfluxDB 1.x and a real Kafka (jars from Maven Central)
    have_cmd influxd || need_apt+=(influxdb)
    command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jre-headless)
    command -v mvn >/dev/null 2>&1 || need_apt+=(maven)
    # the console's browser tests drive Debian's Chromium through its chromedriver
    [ -x /usr/bin/chromium ] || need_apt+=(chromium)
    [ -x /usr/bin/chromedriver ] || need_apt+=(chromium-driver)
    # the throwing bench's camera-like H.264 copies (and their tests) are made by ffmpeg
    have_cmd ffmpeg || need_apt+=(ffmpeg)
fi
if [ "${#need_apt[@]}" -gt 0 ]; then
    echo "setup: installing ${need_apt[*]} with apt-get" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >&2
    # the packages' own services (all interfaces, default ports) are not used by zhian
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
        $SUDO systemctl disable --now influxdb mosquitto >/dev/null 2>&1 || true
    fi
fi
# Debian may start system-wide Mosquitto/InfluxDB services when it installs them; zhian's
# demo and tests run their own on 127.0.0.1 with their own configs and never use those.

PY="${PYTHON:-python3}"
if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)'; then
    echo "setup: zhian needs Python 3.11; set PYTHON=/path/to/python3.11" >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv" >&2
    "$PY" -m venv .venv
fi
EXTRAS="${ZHIAN_EXTRAS:-}"
stamp=".venv/.installed-$(cat pyproject.toml | sha1sum | cut -c1-12)${EXTRAS:+-$EXTRAS}"
if [ ! -f "$stamp" ]; then
    echo "setup: installing zhian${EXTRAS:+[$EXTRAS]} into .venv (first run takes a minute)" >&2
    if ! { .venv/bin/python -m pip install -q --upgrade pip \
           && .venv/bin/python -m pip install -q -e ".${EXTRAS:+[$EXTRAS]}"; } > .venv/install.log 2>&1; then
        cat .venv/install.log >&2
        echo "setup: pip install failed (log above, also in .venv/install.log)" >&2
        exit 1
    fi
    touch "$stamp"
fi
