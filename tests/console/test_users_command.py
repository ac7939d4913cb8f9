"""`zhian users`: passwords from stdin or a prompt (never argv), clear errors, the console accepts them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from zhian.console.db import ConsoleDB


def users(tmp: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "zhian.cli", "users", "--store", str(tmp / "zhian.db"), *args],
                          input=stdin, capture_output=True, text=True, timeout=60)


def test_add_list_passwd_remove(tmp_path: Path) -> None:
    assert users(tmp_path, "add", "li.wei", "--role", "desk", "--password-stdin", stdin="s3cret-pass\n").returncode == 0
    assert users(tmp_path, "add", "police1", "--role", "police", stdin="other-pass-9\n").returncode == 0
    listed = users(tmp_path, "list")
    assert listed.returncode == 0
    assert [line.split("\t")[:3] for line in listed.stdout.splitlines()] == [
        ["li.wei", "desk", "监控值班"], ["police1", "police", "社区民警"]]
    db = ConsoleDB(tmp_path / "console.db")
    try:
        assert db.authenticate("li.wei", "s3cret-pass") is not None
        token = db.open_session(db.authenticate("li.wei", "s3cret-pass"), 0)  # type: ignore[arg-type]
    finally:
        db.close()
    assert users(tmp_path, "passwd", "li.wei", stdin="new-pass-123\n").returncode == 0
    db = ConsoleDB(tmp_path / "console.db")
    try:
        assert db.authenticate("li.wei", "s3cret-pass") is None
        assert db.authenticate("li.wei", "new-pass-123") is not None
        assert db.session_user(token, 1) is None  # a new password ends the old sessions
    finally:
        db.close()
    assert users(tmp_path, "remove", "police1").returncode == 0
    assert "police1" not in users(tmp_path, "list").stdout


def test_errors_name_what_is_wrong(tmp_path: Path) -> None:
    short = users(tmp_path, "add", "desk1", "--role", "desk", stdin="short\n")
    assert short.returncode == 1 and "too short" in short.stderr
    bad_name = users(tmp_path, "add", "Bad Name", "--role", "desk", stdin="long-enough-1\n")
    assert bad_name.returncode == 1 and "user name" in bad_name.stderr
    bad_role = users(tmp_path, "add", "desk1", "--role", "boss", stdin="long-enough-1\n")
    assert bad_role.returncode == 2 and "invalid choice" in bad_role.stderr
    assert users(tmp_path, "add", "desk1", "--role", "desk", stdin="long-enough-1\n").returncode == 0
    again = users(tmp_path, "add", "desk1", "--role", "desk", stdin="long-enough-1\n")
    assert again.returncode == 1 and "exists already" in again.stderr
    missing = users(tmp_path, "remove", "ghost")
    assert missing.returncode == 1 and "no user 'ghost'" in missing.stderr
    # there is no option to put a password on the command line
    argv = users(tmp_path, "add", "desk2", "--role", "desk", "--password", "long-enough-1")
    assert argv.returncode == 2
