"""Community-time arithmetic for the simulator: local midnights, times of day, RFC 3339 text."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SECOND = 1000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

_EPOCH = date(1970, 1, 1)


def local_midnight(ts_ms: int, tz: ZoneInfo, days_after: int = 0) -> int:
    """Epoch ms of the community's midnight that starts the day of `ts_ms`, shifted by days."""
    day = datetime.fromtimestamp(ts_ms / 1000, tz).date() + timedelta(days=days_after)
    return int(datetime.combine(day, time(0), tz).timestamp() * 1000)


def next_midnight_at_or_after(ts_ms: int, tz: ZoneInfo) -> int:
    """The first community midnight at or after `ts_ms`."""
    midnight = local_midnight(ts_ms, tz)
    return midnight if midnight == ts_ms else local_midnight(ts_ms, tz, 1)


def local_hour(ts_ms: int, tz: ZoneInfo) -> float:
    """Hour of the day in community time, with fractions (21.5 = 21:30)."""
    t = datetime.fromtimestamp(ts_ms / 1000, tz)
    return t.hour + t.minute / 60 + t.second / 3600


def is_night(ts_ms: int, tz: ZoneInfo) -> bool:
    """Night as the default rule pack defines it: 22:00 to 06:00 community time."""
    hour = local_hour(ts_ms, tz)
    return hour >= 22 or hour < 6


def next_night(ts_ms: int, tz: ZoneInfo, at_hour: float = 22.5) -> int:
    """`ts_ms` when it is already night, else today's `at_hour` (default 22:30)."""
    if is_night(ts_ms, tz):
        return ts_ms
    return local_midnight(ts_ms, tz) + int(at_hour * HOUR)


def is_weekend(day_start_ms: int, tz: ZoneInfo) -> bool:
    """Whether the community day starting at `day_start_ms` is a Saturday or Sunday."""
    return datetime.fromtimestamp(day_start_ms / 1000, tz).weekday() >= 5


def rfc3339_formatter(tz: ZoneInfo) -> Callable[[int], str]:
    """A fast epoch-ms → RFC 3339 (milliseconds, community offset) formatter.

    `datetime.isoformat` costs about 3 µs; a week has ~10^5–10^6 stamps, so offsets are
    cached per hour and dates per day.
    """
    offsets: dict[int, tuple[int, str]] = {}
    dates: dict[int, str] = {}

    def fmt(ts_ms: int) -> str:
        bucket = ts_ms // HOUR
        cached = offsets.get(bucket)
        if cached is None:
            offset = tz.utcoffset(datetime.fromtimestamp(bucket * 3600, UTC))
            minutes = int(offset.total_seconds() // 60) if offset is not None else 0
            sign = "+" if minutes >= 0 else "-"
            h, m = divmod(abs(minutes), 60)
            cached = offsets[bucket] = (minutes * MINUTE, f"{sign}{h:02d}:{m:02d}")
        offset_ms, suffix = cached
        days, ms = divmod(ts_ms + offset_ms, DAY)
        day = dates.get(days)
        if day is None:
            day = dates[days] = (_EPOCH + timedelta(days=days)).isoformat()
        h, ms = divmod(ms, HOUR)
        m, ms = divmod(ms, MINUTE)
        s, ms = divmod(ms, SECOND)
        return f"{day}T{h:02d}:{m:02d}:{s:02d}.{ms:03d}{suffix}"

    return fmt
