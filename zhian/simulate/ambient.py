"""Machine traffic of a day: heartbeats, corridor socket power, e-bike charger telemetry."""

from __future__ import annotations

import math
import random
import zlib

from zhian.simulate.clock import DAY, HOUR, MINUTE, SECOND
from zhian.simulate.routines import Batch
from zhian.simulate.world import PORTS_PER_CHARGER, World

KETTLE_MAX_MS = 4 * MINUTE  # stays under ebike_indoor_charging's 5 minutes
SOCKET_PERIOD_MS = MINUTE
CHARGER_PERIOD_MS = MINUTE


def _salt(seed: int, name: str) -> int:
    return zlib.crc32(f"{seed}:{name}".encode())


def heartbeats(
    world: World, seed: int, origin_ms: int, lo_ms: int, hi_ms: int, batch: Batch
) -> None:
    """Every registered device beats at its heartbeat_s from `origin_ms` with a small late jitter.

    Jitter is only ever late (never before the beat's slot), so a chunk never yields an event
    before its own start, and the gap between beats stays under heartbeat_s + 3 s.
    """
    for dev in world.registry.devices:
        hb = world.heartbeat_ms(dev.id)
        salt = _salt(seed, dev.id)
        phase = salt % hb
        span = min(hb // 20, 3 * SECOND) + 1
        boot = origin_ms - (salt % 30 + 1) * DAY // 3
        n = max(0, math.ceil((lo_ms - origin_ms - phase) / hb))
        while True:
            slot = origin_ms + phase + n * hb
            if slot >= hi_ms:
                break
            ts = slot + (n * 7919 + salt) % span
            batch.single(ts, dev.id, "device.heartbeat", None, {"uptime_s": (ts - boot) // 1000})
            n += 1


def sockets(world: World, seed: int, day_ms: int, batch: Batch) -> None:
    """Corridor sockets: phones (5–15 W, at most three at once) and rarely a kettle for < 5 min.

    A socket reports every minute and at once when its load changes.
    """
    for sock in world.sockets:
        rng = random.Random(f"{seed}:{sock}:{day_ms}")
        loads: list[tuple[int, int, float]] = []
        for _ in range(rng.randint(1, 3)):
            start = day_ms + int(rng.uniform(8, 22) * HOUR)
            loads.append((start, start + rng.randint(40, 150) * MINUTE, rng.uniform(5, 15)))
        if rng.random() < 0.5:
            start = day_ms + int(rng.uniform(7, 21.5) * HOUR)
            loads.append(
                (
                    start,
                    start + rng.randint(120, KETTLE_MAX_MS // SECOND) * SECOND,
                    rng.uniform(1200, 1800),
                )
            )
        idle = rng.uniform(0.2, 1.5)
        phase = _salt(seed, sock) % SOCKET_PERIOD_MS
        times = set(range(day_ms + phase, day_ms + DAY, SOCKET_PERIOD_MS))
        times.update(t for a, b, _ in loads for t in (a, b) if t < day_ms + DAY)
        for t in sorted(times):
            watts = idle + sum(w for a, b, w in loads if a <= t < b)
            batch.single(t, sock, "socket.power", None, {"power_w": round(watts, 1)})


def chargers(world: World, seed: int, day_ms: int, batch: Batch) -> None:
    """Shed chargers: evening sessions (3–8 h) and a few midday top-ups, telemetry per port.

    Evening sessions start after 17:30 and end before 07:00; midday ones run 10:00–17:00,
    so sessions of one port never overlap across days. temp_c stays within 25–50 °C.
    """
    for charger in world.chargers:
        rng = random.Random(f"{seed}:{charger}:{day_ms}")
        for port in range(1, PORTS_PER_CHARGER + 1):
            if rng.random() < 0.15:
                start = day_ms + int(rng.uniform(10, 14) * HOUR)
                _session(batch, rng, charger, port, start, rng.randint(60, 180) * MINUTE)
            if rng.random() < 0.6:
                start = day_ms + int(rng.uniform(17.5, 23) * HOUR)
                _session(batch, rng, charger, port, start, rng.randint(180, 460) * MINUTE)


def _session(
    batch: Batch, rng: random.Random, charger: str, port: int, start: int, length: int
) -> None:
    watts0 = rng.uniform(180, 350)
    ambient = rng.uniform(24, 28)
    voltage = rng.uniform(218, 224)
    for t in range(start, start + length, CHARGER_PERIOD_MS):
        done = (t - start) / length
        if done < 0.85:
            watts, state = watts0 * (1 - 0.1 * done), "charging"
        else:
            watts, state = 20.0, "full"
        heat = watts / 350 * 16 * (1 - math.exp(-(t - start) / (40 * MINUTE)))
        temp = min(50.0, max(25.0, ambient + heat + rng.uniform(-0.5, 0.5)))
        batch.single(
            t,
            charger,
            "charger.telemetry",
            None,
            {
                "port": port,
                "power_w": round(watts, 1),
                "current_a": round(watts / voltage, 2),
                "voltage_v": round(voltage + rng.uniform(-1, 1), 1),
                "temp_c": round(temp, 1),
                "state": state,
            },
        )
