"""Words for alerts: device places in Chinese and English, and the kinds of alarms."""

from __future__ import annotations

from ingest.registry import Device

ZONE_ZH = {"gate": "大门", "lobby": "大堂", "household": "住户", "elevator": "电梯",
           "corridor": "走廊", "stairwell": "楼梯间", "bike_shed": "车棚", "facade": "立面",
           "other": ""}
TYPE_ZH = {"door": "门", "camera": "摄像头", "elevator": "电梯", "charger": "充电桩",
           "socket": "插座", "smoke": "烟感"}
ZONE_EN = {"gate": "gate", "lobby": "lobby", "household": "home", "elevator": "elevator",
           "corridor": "corridor", "stairwell": "stairwell", "bike_shed": "bike shed",
           "facade": "facade", "other": ""}
TYPE_EN = {"door": "door", "camera": "camera", "elevator": "elevator", "charger": "charger",
           "socket": "socket", "smoke": "smoke detector"}

# (zh, en) of charger.alarm and camera.tamper kinds; smoke.alarm reads as "smoke".
KINDS = {
    "over_temp": ("过温", "over temperature"),
    "smoke": ("烟雾", "smoke"),
    "over_current": ("过流", "over current"),
    "door_open": ("柜门打开", "cabinet door open"),
    "power_loss": ("断电", "power loss"),
    "occluded": ("被遮挡", "covered"),
    "defocused": ("画面失焦", "defocused"),
    "moved": ("被移动", "moved"),
}


def place_zh(device: Device | None, device_id: str | None) -> str:
    """The device's place as the desk says it: its name, else built from its location."""
    if device is None:
        return device_id or "未知设备"
    if device.name:
        return device.name
    where = _location_zh(device)
    zone = ZONE_ZH[device.zone]
    kind = TYPE_ZH[device.type]
    label = zone if zone == kind else zone + kind
    return f"{where}{label}" if where else f"{label}（{device.id}）"


def _location_zh(device: Device) -> str:
    out = ""
    if device.building:
        out += f"{device.building}栋"
    if device.unit:
        out += f"{device.unit}单元"
    if device.floor is not None and device.zone != "lobby":
        out += f"{device.floor}层"
    return out


def place_en(device: Device | None, device_id: str | None) -> str:
    """The device's place in English, like "Lobby door 4-2" or "Corridor camera 3-1 F12"."""
    if device is None:
        return device_id or "unknown device"
    if device.household:
        return f"Home lock {device.household}"
    zone, kind = ZONE_EN[device.zone], TYPE_EN[device.type]
    label = kind if zone in ("", kind) else f"{zone} {kind}"
    parts = [p for p in (device.building, device.unit) if p]
    if not parts:
        where = device.id
    elif not device.unit:
        where = f"{device.id} (building {device.building})"
    else:
        where = "-".join(parts)
        if device.floor is not None and device.zone != "lobby":
            where += f" F{device.floor}"
    return f"{label[0].upper()}{label[1:]} {where}"


def kind_words(kind: str | None, event_type: str | None) -> tuple[str, str]:
    """(zh, en) of an alarm or tamper kind."""
    if kind is None and event_type == "smoke.alarm":
        kind = "smoke"
    return KINDS.get(kind or "", (kind or "", kind or ""))
