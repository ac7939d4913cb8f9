"""A small GA/T 1400 视图库 for the tests: HTTP Digest, register/keepalive/unregister, notifications."""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

REALM = "viid-test"


def md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


class FakeViid:
    """Listens on 127.0.0.1; records every authenticated request; `stop()` ends it."""

    def __init__(self, username: str, password: str) -> None:
        self.username, self.password = username, password
        self.requests: list[tuple[str, dict[str, str], Any]] = []
        self.refuse: dict[str, int] = {}       # path -> StatusCode to answer once
        self.nonces: set[str] = set()
        self.unauthenticated = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                if not fake._authorised(self.command, self.path, self.headers.get("Authorization", "")):
                    fake.unauthenticated += 1
                    nonce = secrets.token_hex(8)
                    fake.nonces.add(nonce)
                    self.send_response(401)
                    self.send_header("WWW-Authenticate",
                                     f'Digest realm="{REALM}", nonce="{nonce}", qop="auth", algorithm=MD5')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                fake.requests.append((self.path, dict(self.headers), json.loads(raw)))
                code = fake.refuse.pop(self.path, 0)
                status = {"RequestURL": self.path, "StatusCode": code, "StatusString": "OK" if code == 0 else "refused",
                          "Id": "", "LocalTime": "20261102073105"}
                body = {"ResponseStatusObject": status}
                if self.path == "/VIID/SubscribeNotifications":
                    items = json.loads(raw)["SubscribeNotificationListObject"]["SubscribeNotificationObject"]
                    body = {"ResponseStatusListObject": {"ResponseStatusObject": [
                        dict(status, Id=i["NotificationID"]) for i in items]}}
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/VIID+JSON;charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def _authorised(self, method: str, path: str, header: str) -> bool:
        if not header.startswith("Digest "):
            return False
        parts = dict(p.strip().split("=", 1) for p in header[7:].split(","))
        f = {k: v.strip('"') for k, v in parts.items()}
        if f.get("username") != self.username or f.get("nonce") not in self.nonces or f.get("uri") != path:
            return False
        ha1 = md5(f"{self.username}:{REALM}:{self.password}")
        ha2 = md5(f"{method}:{path}")
        return f.get("response") == md5(f"{ha1}:{f['nonce']}:{f['nc']}:{f['cnonce']}:{f['qop']}:{ha2}")

    def paths(self) -> list[str]:
        return [p for p, _, _ in self.requests]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
