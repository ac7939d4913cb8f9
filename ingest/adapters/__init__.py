"""Vendor adapters: a vendor's payload to schema v1 events, chosen by the device's `vendor`.

Each adapter is a pure function `adapt(obj, source) -> list[Event]` over the parsed JSON
payload. It raises RejectError when the payload cannot become an event: `unknown_code`
for a vendor code it has no mapping for (the code is in the detail, so an installer can
ask for it), `ignored` for a message it understands and deliberately turns into nothing
(a restore after an alarm, a false positive), `invalid` naming the vendor field. Nothing
is dropped silently: every rejection is counted and dead-lettered by the processor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ingest.adapters import dahua, frigate, gat1400, hikvision
from ingest.adapters.common import Source
from ingest.event import Event

Adapter = Callable[[Any, Source], list[Event]]

ADAPTERS: dict[str, Adapter] = {
    "hikvision": hikvision.adapt,
    "dahua": dahua.adapt,
    "frigate": frigate.adapt,
    "gat1400": gat1400.adapt,
}

__all__ = ["ADAPTERS", "Adapter", "Source"]
