"""Live mode: publish the compound's traffic to an MQTT broker at real time × speed.

Event times start at the wall clock's now and run `speed` times faster. Incidents are
injected on a wall-clock schedule, each logged on one line with the alert it should raise.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import orjson
import paho.mqtt.client as mqtt

from ingest.registry import Registry
from zhian.simulate.clock import SECOND, next_night, rfc3339_formatter
from zhian.simulate.generator import TrafficGenerator
from zhian.simulate.incidents import INCIDENTS
from zhian.simulate.model import Incident

log = logging.getLogger("zhian.simulate")

# The order a watcher sees them in when none are named: quick, visible ones first.
ROTATION = (
    "ebike_in_elevator",
    "charger_alarm",
    "door_forced",
    "camera_tamper",
    "door_tailgating",
    "object_thrown",
    "repeated_denials",
    "credential_shared",
    "door_duress",
    "door_held_open",
    "unknown_device",
    "rental_occupancy",
    "charger_over_temp",
    "ebike_corridor_parking",
    "ebike_indoor_charging",
    "device_offline",
    "stranger_loitering",
    "care_no_activity",
)


@dataclass(frozen=True, slots=True)
class LiveOptions:
    """How to publish: pace, incidents, bounds."""

    host: str
    port: int
    speed: float = 60.0
    seed: int = 1
    incidents: Sequence[str] = ()
    incident_every_s: float = 30.0
    first_incident_s: float = 5.0
    count: int | None = None
    duration_s: float | None = None
    username: str | None = None
    password: str | None = None


class BrokerUnavailable(Exception):
    """The broker could not be reached."""


def connect(opts: LiveOptions, community: str) -> mqtt.Client:
    """A connected paho client with its network loop running."""
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id=f"zhian-simulate-{community}-{os.getpid()}"
    )
    if opts.username:
        client.username_pw_set(opts.username, opts.password)
    client.max_inflight_messages_set(200)
    connected = threading.Event()
    refused: list[str] = []

    def on_connect(
        _c: mqtt.Client, _u: object, _f: object, reason: mqtt.ReasonCode, _p: object
    ) -> None:
        if reason.is_failure:
            refused.append(str(reason))
        connected.set()

    client.on_connect = on_connect
    try:
        client.connect(opts.host, opts.port, keepalive=30)
    except OSError as exc:
        raise BrokerUnavailable(f"cannot connect to {opts.host}:{opts.port}: {exc}") from exc
    client.loop_start()
    if not connected.wait(10) or refused:
        client.loop_stop()
        why = refused[0] if refused else "no CONNACK within 10 s"
        raise BrokerUnavailable(f"{opts.host}:{opts.port} refused the connection: {why}")
    return client


def run_live(
    registry: Registry,
    opts: LiveOptions,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    should_stop: Callable[[], bool] | None = None,
) -> int:
    """Publish until a bound, Ctrl-C or `should_stop()`; returns the number of events published.

    `should_stop` is polled at least every 0.5 s, so another thread can end the run.
    """
    client = connect(opts, registry.community.id)
    start_ms = int(time.time() * 1000)
    gen = TrafficGenerator(registry, start_ms, opts.seed)
    fmt = rfc3339_formatter(gen.world.tz)
    names = list(opts.incidents) or list(ROTATION)
    wall0 = clock()
    next_incident = wall0 + opts.first_incident_s if opts.incident_every_s > 0 else None
    injected = published = 0  # `injected` counts tries too: it picks the next name
    info: mqtt.MQTTMessageInfo | None = None
    log.info(
        "publishing %s to %s:%d at %g× real time from %s",
        registry.community.id,
        opts.host,
        opts.port,
        opts.speed,
        fmt(start_ms),
    )
    try:
        for ts, topic, payload in gen:
            due = wall0 + (ts - start_ms) / 1000 / opts.speed
            while True:
                now = clock()
                if opts.duration_s is not None and now - wall0 >= opts.duration_s:
                    return published
                if should_stop is not None and should_stop():
                    return published
                if next_incident is not None and now >= next_incident:
                    sim_now = start_ms + int((now - wall0) * 1000 * opts.speed)
                    injected += _inject(
                        gen, names[injected % len(names)], max(sim_now, ts), fmt, opts.speed
                    )
                    next_incident += opts.incident_every_s
                wait = min(due, next_incident if next_incident is not None else due) - now
                if wait <= 0:
                    break
                sleep(min(wait, 0.5))
            info = client.publish(topic, orjson.dumps(payload), qos=1)
            published += 1
            if opts.count is not None and published >= opts.count:
                return published
    except KeyboardInterrupt:
        log.info("interrupted")
    finally:
        if info is not None:
            try:
                info.wait_for_publish(timeout=5)
            except (RuntimeError, ValueError):
                log.warning("the last messages may not have reached the broker")
        client.disconnect()
        client.loop_stop()
        log.info("published %d events, injected %d incidents", published, injected)
    return published


def _inject(
    gen: TrafficGenerator, name: str, at_ms: int, fmt: Callable[[int], str], speed: float
) -> int:
    """Build the incident so that it starts after everything already generated, and add it.

    Returns 1 (tried) so the caller moves on to the next name either way.
    """
    builder = INCIDENTS[name]
    world = gen.world
    if name == "stranger_loitering":
        at_ms = next_night(at_ms, world.tz)
    try:
        incident: Incident = builder(world, at_ms)
        shift = gen.frontier + SECOND - incident.start_ms
        if shift > 0:
            at_ms += shift
            if name == "stranger_loitering":
                at_ms = next_night(at_ms, world.tz)
            incident = builder(world, at_ms)
        truths = gen.add(incident)
    except (LookupError, ValueError) as exc:
        log.warning("incident %s skipped: %s", name, exc)
        return 1
    expect = "; ".join(
        f"{t['rule']} on {t['key']['device'] or t['key']['subject']}"
        + (f" port {t['key']['port']}" if t["key"]["port"] is not None else "")
        + f" at {fmt(t['ts_ms'])[11:19]}"
        for t in truths
    )
    last_alert = max((t["ts_ms"] for t in truths), default=at_ms)
    eta_s = (last_alert - gen.frontier) / 1000 / speed
    log.info(
        "incident %s at %s: %s → expect %s (in ~%.0f s)",
        name,
        fmt(at_ms)[:19],
        incident.note,
        expect,
        eta_s,
    )
    return 1
