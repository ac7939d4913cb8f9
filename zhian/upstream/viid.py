"""A GA/T 1400 (公安视频图像信息应用系统) HTTP client: register, keepalive, unregister, notify.

Requests are JSON (`application/VIID+JSON`), carry the `User-Identify` header with zhian's
20-digit platform code, and authenticate with HTTP Digest (the platform answers the first
request with 401 and a challenge). Every answer is a `ResponseStatusObject` (or a list of
them) whose `StatusCode` 0 means success.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from ingest.errors import ZhianError

GB_ID_RE = re.compile(r"\d{20}")
CONTENT_TYPE = "application/VIID+JSON;charset=UTF-8"


class ViidError(ZhianError):
    """The platform refused a request or could not be reached."""


@dataclass(frozen=True, slots=True)
class ViidConfig:
    """Where the 视图库 is and who zhian is to it."""

    base_url: str          # http://host:port (paths /VIID/… are appended)
    device_id: str         # zhian's 20-digit code, assigned by the police platform
    username: str
    password: str
    timeout_s: float = 10.0

    def __post_init__(self) -> None:
        if not GB_ID_RE.fullmatch(self.device_id):
            raise ValueError(f"GA/T 1400 device id must be 20 digits, not {self.device_id!r}")
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"base URL must start with http:// or https://, not {self.base_url!r}")


class ViidClient:
    """Synchronous requests to one 视图库; each method raises ViidError on refusal."""

    def __init__(self, config: ViidConfig) -> None:
        self.config = config
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, config.base_url, config.username, config.password)
        self._opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(passwords))

    def register(self) -> dict[str, Any]:
        """POST /VIID/System/Register."""
        return self._system("Register")

    def keepalive(self) -> dict[str, Any]:
        """POST /VIID/System/Keepalive."""
        return self._system("Keepalive")

    def unregister(self) -> dict[str, Any]:
        """POST /VIID/System/UnRegister."""
        return self._system("UnRegister")

    def notify(self, notifications: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """POST /VIID/SubscribeNotifications; the statuses, one per notification."""
        body = {"SubscribeNotificationListObject": {"SubscribeNotificationObject": notifications}}
        answer = self._post("/VIID/SubscribeNotifications", body)
        statuses = _statuses(answer)
        failed = [s for s in statuses if str(s.get("StatusCode")) != "0"]
        if failed:
            raise ViidError(f"platform refused {len(failed)} of {len(notifications)} notifications: "
                            f"{failed[0].get('StatusCode')} {failed[0].get('StatusString', '')}")
        return statuses

    def _system(self, action: str) -> dict[str, Any]:
        body = {f"{action}Object": {"DeviceID": self.config.device_id}}
        status = _statuses(self._post(f"/VIID/System/{action}", body))[0]
        if str(status.get("StatusCode")) != "0":
            raise ViidError(f"{action} refused: {status.get('StatusCode')} {status.get('StatusString', '')}")
        return status

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked in ViidConfig)
            self.config.base_url.rstrip("/") + path, data=data, method="POST",
            headers={"Content-Type": CONTENT_TYPE, "User-Identify": self.config.device_id})
        try:
            with self._opener.open(request, timeout=self.config.timeout_s) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise ViidError(f"POST {path}: HTTP {exc.code} {exc.reason}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise ViidError(f"POST {path}: {exc}") from exc
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise ViidError(f"POST {path}: answer is not JSON") from exc


def _statuses(answer: Any) -> list[dict[str, Any]]:
    """The ResponseStatusObject(s) of an answer."""
    if isinstance(answer, dict):
        if isinstance(answer.get("ResponseStatusObject"), dict):
            return [answer["ResponseStatusObject"]]
        listed = answer.get("ResponseStatusListObject")
        if isinstance(listed, dict) and isinstance(listed.get("ResponseStatusObject"), list):
            return [s for s in listed["ResponseStatusObject"] if isinstance(s, dict)] or [{}]
    raise ViidError("answer without ResponseStatusObject")
