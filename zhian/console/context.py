"""What the console's routes need from the running processor, and the auth checks they share."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request

from ingest.event import Event
from ingest.registry import Registry
from zhian.console.db import ConsoleDB, User
from zhian.console.feed import OutboxFeed
from zhian.console.roles import allowed, refusal
from zhian.console.throttle import LoginThrottle
from zhian.store import Store

COOKIE = "zhian_session"


def now_ms() -> int:
    """Wall-clock time in epoch milliseconds."""
    return int(time.time() * 1000)


@dataclass
class ConsoleContext:
    """The console's view of one compound: its store, registry and the processor's entry point."""

    store_path: Path
    registry: Registry
    users: ConsoleDB
    # feeds the processor's durable log (LiveProcessor.submit); None: read-only console
    submit: Callable[[Event], None] | None = None
    # the engine's event time now (its watermark), so a desk action lands at the compound's "now"
    event_time: Callable[[], int] = now_ms
    evidence_dir: Path | None = None
    poll_s: float = 0.15
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    feed: OutboxFeed = field(init=False)
    _audit_lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        self.store_path = Path(self.store_path)
        if self.evidence_dir is None:
            self.evidence_dir = self.store_path.parent / "evidence"
        self.feed = OutboxFeed(self.store_path, self.poll_s)

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection to the store for one request."""
        db = sqlite3.connect(f"file:{self.store_path.resolve()}?mode=ro", uri=True, timeout=5)
        try:
            yield db
        finally:
            db.close()

    def audit(self, user: str, action: str, detail: dict[str, Any]) -> str:
        """Append to the store's hash-chained audit log (the one `zhian timeline` writes)."""
        with self._audit_lock:
            store = Store(self.store_path)
            try:
                return store.audit(user, action, {**detail, "via": "console"}, now_ms())
            finally:
                store.close()


def context(request: Request) -> ConsoleContext:
    """The console context of the app serving this request."""
    ctx: ConsoleContext = request.app.state.ctx
    return ctx


def session_user(request: Request) -> User | None:
    """The user of the request's session cookie, if it is live."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    return context(request).users.session_user(token, now_ms())


def require(permission: str | None = None) -> Callable[[Request], User]:
    """A dependency: the logged-in user, 401 without a live session, 403 without `permission`."""

    def check(request: Request) -> User:
        user = session_user(request)
        if user is None:
            raise HTTPException(401, "not logged in, or the session expired: log in at /login (POST /api/login)")
        if permission is not None and not allowed(user.role, permission):
            raise HTTPException(403, refusal(user.role, permission))
        return user

    return check
