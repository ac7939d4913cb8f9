"""The console's own SQLite file beside the store (`console.db`): users, sessions and the
desk's notes, assignments and false-positive marks on alerts.

Shared by the server's threads: one connection, serialised by a lock (writes are few and small).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zhian.console.passwords import DUMMY_HASH, check_strength, hash_password, verify_password
from zhian.console.roles import ROLES

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    password TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    created_ms INTEGER NOT NULL,
    seen_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS notes (
    seq INTEGER PRIMARY KEY,
    alert TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    user TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS notes_alert ON notes (alert, seq);
CREATE TABLE IF NOT EXISTS marks (
    alert TEXT PRIMARY KEY,
    assignee TEXT,
    false_positive INTEGER NOT NULL DEFAULT 0,
    updated_ms INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);
"""

USER_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
NOTE_MAX = 2000


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """How long a session lives: idle since its last request, and at most in all."""

    idle_s: float = 30 * 60
    absolute_s: float = 12 * 3600


@dataclass(frozen=True, slots=True)
class User:
    """A console user (the hash stays in the database)."""

    name: str
    role: str


class UserError(ValueError):
    """A user operation that cannot be done, with the reason."""


def _token_hash(token: str) -> str:
    # the database keeps only a hash: a copied console.db does not hand out live sessions
    return hashlib.sha256(token.encode()).hexdigest()


def session_alive(created_ms: int, seen_ms: int, now_ms: int, policy: SessionPolicy) -> bool:
    """True while a session is within both its idle and its absolute limit."""
    return now_ms - seen_ms <= policy.idle_s * 1000 and now_ms - created_ms <= policy.absolute_s * 1000


class ConsoleDB:
    """Users, sessions, notes and marks; thread-safe."""

    def __init__(self, path: Path | str, policy: SessionPolicy | None = None) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.policy = policy or SessionPolicy()
        self._lock = threading.Lock()
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self.db.close()

    # ---- users --------------------------------------------------------------------------

    def add_user(self, name: str, role: str, password: str, now_ms: int) -> User:
        """Create a user; UserError when the name, role or password is not acceptable."""
        if not USER_RE.fullmatch(name):
            raise UserError(f"user name {name!r}: 2-32 characters, lower-case letters, digits, '.', '_' or '-'")
        if role not in ROLES:
            raise UserError(f"role {role!r}: one of {', '.join(ROLES)}")
        check_strength(password)
        digest = hash_password(password)
        with self._lock:
            try:
                self.db.execute("INSERT INTO users (name, role, password, created_ms) VALUES (?, ?, ?, ?)",
                                (name, role, digest, now_ms))
            except sqlite3.IntegrityError:
                raise UserError(f"user {name!r} exists already") from None
        return User(name, role)

    def set_password(self, name: str, password: str) -> None:
        """Change a password and end the user's sessions."""
        check_strength(password)
        digest = hash_password(password)
        with self._lock:
            cur = self.db.execute("UPDATE users SET password = ? WHERE name = ?", (digest, name))
            if cur.rowcount == 0:
                raise UserError(f"no user {name!r}")
            self.db.execute("DELETE FROM sessions WHERE user = ?", (name,))

    def remove_user(self, name: str) -> None:
        """Delete a user and their sessions."""
        with self._lock:
            self.db.execute("DELETE FROM sessions WHERE user = ?", (name,))
            if self.db.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount == 0:
                raise UserError(f"no user {name!r}")

    def users(self) -> list[dict[str, Any]]:
        """Every user with role and creation time, by name."""
        with self._lock:
            rows = self.db.execute("SELECT name, role, created_ms FROM users ORDER BY name").fetchall()
        return [{"name": n, "role": r, "created_ms": c} for n, r, c in rows]

    def authenticate(self, name: str, password: str) -> User | None:
        """The user when the password matches, else None (same work either way)."""
        with self._lock:
            row = self.db.execute("SELECT role, password FROM users WHERE name = ?", (name,)).fetchone()
        if row is None:
            verify_password(password, DUMMY_HASH)
            return None
        return User(name, row[0]) if verify_password(password, row[1]) else None

    # ---- sessions -----------------------------------------------------------------------

    def open_session(self, user: User, now_ms: int) -> str:
        """A new random session token for the user (only its hash is stored)."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self.db.execute("INSERT INTO sessions (token_hash, user, created_ms, seen_ms) VALUES (?, ?, ?, ?)",
                            (_token_hash(token), user.name, now_ms, now_ms))
            # expired sessions of anyone go now; there are few
            self.db.execute("DELETE FROM sessions WHERE seen_ms < ? OR created_ms < ?",
                            (now_ms - int(self.policy.idle_s * 1000), now_ms - int(self.policy.absolute_s * 1000)))
        return token

    def session_user(self, token: str, now_ms: int, touch: bool = True) -> User | None:
        """The user of a live session (its idle clock restarts when `touch`), else None."""
        key = _token_hash(token)
        with self._lock:
            row = self.db.execute(
                "SELECT s.created_ms, s.seen_ms, u.name, u.role FROM sessions s JOIN users u ON u.name = s.user"
                " WHERE s.token_hash = ?", (key,)).fetchone()
            if row is None:
                return None
            created, seen, name, role = row
            if not session_alive(created, seen, now_ms, self.policy):
                self.db.execute("DELETE FROM sessions WHERE token_hash = ?", (key,))
                return None
            if touch:
                self.db.execute("UPDATE sessions SET seen_ms = ? WHERE token_hash = ?", (now_ms, key))
        return User(name, role)

    def close_session(self, token: str) -> None:
        """Log out."""
        with self._lock:
            self.db.execute("DELETE FROM sessions WHERE token_hash = ?", (_token_hash(token),))

    # ---- notes and marks on alerts ----------------------------------------------------------

    def add_note(self, alert: str, user: str, kind: str, text: str, now_ms: int) -> dict[str, Any]:
        """Append a note (or a record of a desk action) to an alert's history."""
        if len(text) > NOTE_MAX:
            raise UserError(f"note too long: at most {NOTE_MAX} characters")
        with self._lock:
            cur = self.db.execute("INSERT INTO notes (alert, at_ms, user, kind, text) VALUES (?, ?, ?, ?, ?)",
                                  (alert, now_ms, user, kind, text))
        return {"seq": cur.lastrowid, "alert": alert, "at_ms": now_ms, "user": user, "kind": kind, "text": text}

    def notes(self, alert: str) -> list[dict[str, Any]]:
        """An alert's notes and desk actions, oldest first."""
        with self._lock:
            rows = self.db.execute("SELECT seq, at_ms, user, kind, text FROM notes WHERE alert = ? ORDER BY seq",
                                   (alert,)).fetchall()
        return [{"seq": s, "alert": alert, "at_ms": t, "user": u, "kind": k, "text": x} for s, t, u, k, x in rows]

    def mark(self, alert: str, user: str, now_ms: int, *, assignee: str | None = None,
             false_positive: bool | None = None) -> dict[str, Any]:
        """Set an alert's assignee and/or false-positive mark; returns the marks now."""
        with self._lock:
            self.db.execute(
                "INSERT INTO marks (alert, assignee, false_positive, updated_ms, updated_by) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT(alert) DO UPDATE SET"
                " assignee = COALESCE(?, assignee), false_positive = COALESCE(?, false_positive),"
                " updated_ms = excluded.updated_ms, updated_by = excluded.updated_by",
                (alert, assignee, int(bool(false_positive)), now_ms, user,
                 assignee, None if false_positive is None else int(false_positive)))
        return self.marks([alert]).get(alert, {})

    def marks(self, alerts: list[str] | None = None) -> dict[str, dict[str, Any]]:
        """Marks by alert id (all of them, or of the given alerts)."""
        sql = "SELECT alert, assignee, false_positive, updated_ms, updated_by FROM marks"
        args: list[Any] = []
        if alerts is not None:
            sql += f" WHERE alert IN ({','.join('?' * len(alerts))})"
            args = list(alerts)
        with self._lock:
            rows = self.db.execute(sql, args).fetchall() if alerts != [] else []
        return {a: {"assignee": who, "false_positive": bool(fp), "updated_ms": t, "updated_by": by}
                for a, who, fp, t, by in rows}
