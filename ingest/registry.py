"""devices.yaml v1: the compound's device registry, validated with line-precise errors."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from ingest.errors import ConfigProblem, RegistryError

Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
Label = Annotated[str, StringConstraints(min_length=1, max_length=80)]

DeviceType = Literal["door", "camera", "elevator", "charger", "socket", "smoke"]
Zone = Literal[
    "gate", "lobby", "household", "elevator", "corridor", "stairwell", "bike_shed", "facade", "other"
]
Vendor = Literal["native", "hikvision", "dahua", "frigate", "gat1400"]


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


class Community(_Config):
    """The compound itself; `timezone` is used for schedules (night 22:00–06:00)."""

    id: Id
    name: Label
    timezone: str = "Asia/Shanghai"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @cached_property
    def tz(self) -> ZoneInfo:
        """The community's time zone."""
        return ZoneInfo(self.timezone)


class Defaults(_Config):
    """Values every device inherits unless it overrides them."""

    heartbeat_s: Annotated[int, Field(gt=0, le=86_400)] = 60


class Facade(_Config):
    """Calibration of a throwing camera: the facade area's corners and its window grid."""

    corners_px: Annotated[
        list[Annotated[list[float], Field(min_length=2, max_length=2)]],
        Field(min_length=4, max_length=4, title="TL, TR, BR, BL corners in pixels"),
    ]
    floors: Annotated[int, Field(gt=0, le=300)]
    lowest_floor: Annotated[int, Field(ge=-10, le=300)] = 1
    columns: Annotated[int, Field(gt=0, le=200)]

    @property
    def highest_floor(self) -> int:
        """The top floor inside the calibrated area."""
        return self.lowest_floor + self.floors - 1


class Device(_Config):
    """One registered device; location fields feed rule joins and alert summaries."""

    id: Id
    type: DeviceType
    zone: Zone
    name: Label | None = None
    building: Annotated[str, StringConstraints(min_length=1, max_length=20)] | None = None
    unit: Annotated[str, StringConstraints(min_length=1, max_length=20)] | None = None
    floor: Annotated[int, Field(ge=-10, le=300)] | None = None
    heartbeat_s: Annotated[int, Field(gt=0, le=86_400)] | None = None
    vendor: Vendor = "native"
    household: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    occupants: Annotated[int, Field(ge=0, le=100)] | None = None
    elevator: Id | None = None
    stream: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = None
    detectors: list[Literal["throwing"]] = Field(default_factory=list)
    facade: Facade | None = None


class WatchEntry(_Config):
    """A person the desk looks after (独居老人关爱)."""

    subject: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    reason: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    max_quiet_h: Annotated[float, Field(gt=0, le=24 * 30)]


class Registry(_Config):
    """The whole devices.yaml v1."""

    version: Literal[1]
    community: Community
    defaults: Defaults = Field(default_factory=Defaults)
    devices: list[Device]
    watchlist: list[WatchEntry] = Field(default_factory=list)

    @cached_property
    def by_id(self) -> dict[str, Device]:
        """Devices by id."""
        return {d.id: d for d in self.devices}

    def get(self, device_id: str) -> Device | None:
        """The device with that id, or None when it is not registered."""
        return self.by_id.get(device_id)

    def heartbeat_s(self, device: Device) -> int:
        """The device's heartbeat interval, its own or the default."""
        return device.heartbeat_s or self.defaults.heartbeat_s


def load_registry(path: str | Path) -> Registry:
    """Load and validate devices.yaml; raises RegistryError listing every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RegistryError([ConfigProblem(str(path), None, "-", f"cannot read: {exc.strerror}")]) from exc
    except UnicodeDecodeError as exc:
        raise RegistryError([ConfigProblem(str(path), None, "-", "not UTF-8 text")]) from exc
    return parse_registry(text, str(path))


def parse_registry(text: str, filename: str = "devices.yaml") -> Registry:
    """Validate devices.yaml text; raises RegistryError listing every problem."""
    try:
        tree = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise RegistryError([ConfigProblem(filename, line, "-", f"not valid YAML: {exc.problem}")]) from None
    if not isinstance(tree, dict):
        raise RegistryError([ConfigProblem(filename, 1, "-", "must be a mapping with version, community, devices")])
    problems: list[ConfigProblem] = []
    registry: Registry | None = None
    plain = _plain(tree)
    try:
        registry = Registry.model_validate(plain)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            problems.append(ConfigProblem(filename, line_of(tree, loc), dotted(loc), _message(err)))
    problems.extend(_cross_checks(plain, tree, filename))
    problems.sort(key=lambda p: (p.line or 0, p.key))
    if problems:
        raise RegistryError(problems)
    assert registry is not None
    return registry


def _cross_checks(raw: Any, tree: Any, filename: str) -> list[ConfigProblem]:
    """Checks that span entries (unique ids, references, per-type fields).

    They run on the raw document so that they report even when some entries are invalid.
    """
    out: list[ConfigProblem] = []
    devices = raw.get("devices") if isinstance(raw.get("devices"), list) else []
    entries = [(i, d) for i, d in enumerate(devices) if isinstance(d, dict)]
    by_id = {d.get("id"): d for _, d in entries}

    def problem(loc: tuple[Any, ...], message: str) -> None:
        out.append(ConfigProblem(filename, line_of(tree, loc), dotted(loc), message))

    seen: dict[Any, int] = {}
    for i, dev in entries:
        if dev.get("id") in seen:
            problem(("devices", i, "id"), f"duplicate id {dev.get('id')!r} (first at devices[{seen[dev.get('id')]}])")
        else:
            seen[dev.get("id")] = i
    for i, dev in entries:
        kind = dev.get("type")
        if "elevator" in dev:
            target = by_id.get(dev["elevator"])
            if kind != "camera":
                problem(("devices", i, "elevator"), "only a camera names the elevator it watches")
            elif not isinstance(target, dict):
                problem(("devices", i, "elevator"), f"no device {dev['elevator']!r} is registered")
            elif target.get("type") != "elevator":
                problem(("devices", i, "elevator"), f"{dev['elevator']!r} is a {target.get('type')}, not an elevator")
        if "occupants" in dev and "household" not in dev:
            problem(("devices", i, "occupants"), "occupants needs a household")
        if "household" in dev and kind != "door":
            problem(("devices", i, "household"), "only a door (a home's smart lock) has a household")
        for key in ("stream", "facade", "detectors"):
            if key in dev and kind != "camera":
                problem(("devices", i, key), f"only a camera has {key}")
        detectors = dev.get("detectors")
        if isinstance(detectors, list) and "throwing" in detectors and kind == "camera":
            for key in ("facade", "stream"):
                if key not in dev:
                    problem(("devices", i, "detectors"), f"the throwing detector needs {key}")
    watched: set[Any] = set()
    watchlist = raw.get("watchlist") if isinstance(raw.get("watchlist"), list) else []
    for i, entry in enumerate(watchlist):
        subject = entry.get("subject") if isinstance(entry, dict) else None
        if subject is not None and subject in watched:
            problem(("watchlist", i, "subject"), "listed twice")
        watched.add(subject)
    return out


def _plain(node: Any) -> Any:
    """ruamel's commented containers as plain dicts and lists (pydantic wants those)."""
    if isinstance(node, dict):
        return {str(k) if not isinstance(k, str) else k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def line_of(tree: Any, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the deepest node of `loc` found in a ruamel tree."""
    node, line = tree, None
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lc.item(part)[0] + 1
            node = node[part]
        else:
            break
    if line is None and isinstance(tree, CommentedMap):
        line = 1
    return line


def dotted(loc: tuple[Any, ...]) -> str:
    """A pydantic location as the key path an installer reads: devices[3].heartbeat_s."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "-"


def _message(err: Any) -> str:
    if err["type"] == "extra_forbidden":
        return "unknown key"
    if err["type"] == "missing":
        return "required key is missing"
    msg = str(err["msg"])
    return msg.removeprefix("Value error, ")
