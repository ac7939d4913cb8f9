"""zhian alert transitions as GA/T 1400 `SubscribeNotificationObject`s (pure functions).

GA/T 1400 has no object for a compound's security alert, so each notification carries the
standard header fields (ids, title, trigger time, the alert id as `InfoIDs`) and the alert
transition itself, as zhian publishes it, under the extension key `ZhianAlertObject`. The
police platform's integrator maps that onto its own case or alarm records.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

EXTENSION_KEY = "ZhianAlertObject"


def compact_time(ts: str) -> str:
    """RFC 3339 (with offset) as GA/T 1400's local `YYYYMMDDhhmmss` in that offset."""
    return datetime.fromisoformat(ts).strftime("%Y%m%d%H%M%S")


def notification(alert: dict[str, Any], number: int, device_id: str, subscribe_id: str) -> dict[str, Any]:
    """One notification for one alert transition; `number` (the outbox position) makes its
    NotificationID stable, so a retried push is recognisable as the same notification."""
    when = compact_time(str(alert["ts"]))
    return {
        "NotificationID": f"{device_id}{when}{number % 10**10:010d}",
        "SubscribeID": subscribe_id,
        "Title": f"[{alert.get('severity', '')}/{alert.get('state', '')}] {alert.get('summary_zh', alert.get('rule'))}",
        "TriggerTime": when,
        "InfoIDs": str(alert.get("alert", "")),
        EXTENSION_KEY: alert,
    }
