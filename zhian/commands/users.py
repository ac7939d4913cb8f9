"""`zhian users add|list|passwd|remove`: console users and their roles. Passwords come from
a prompt or standard input, never from the command line (it shows in `ps` and shell history)."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
import time
from pathlib import Path

from zhian.console.db import ConsoleDB, UserError
from zhian.console.passwords import PasswordError
from zhian.console.roles import ROLE_ZH, ROLES

log = logging.getLogger("zhian.users")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `users` subcommand."""
    p = sub.add_parser("users", help="console users and roles (desk, installer, police, admin)",
                       description="Manage the users of the web console served by `zhian run`.")
    p.add_argument("--store", type=Path, default=Path("var/zhian.db"),
                   help="the store of `zhian run`; users live in console.db beside it (default var/zhian.db)")
    p.add_argument("--console-db", type=Path, default=None, metavar="FILE", help="the console database itself")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    a = actions.add_parser("add", help="add a user (password prompted, or read from stdin)")
    a.add_argument("name")
    a.add_argument("--role", required=True, choices=ROLES)
    a.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    actions.add_parser("list", help="list users and roles")
    w = actions.add_parser("passwd", help="change a password (ends the user's sessions)")
    w.add_argument("name")
    w.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    r = actions.add_parser("remove", help="remove a user (ends their sessions)")
    r.add_argument("name")
    p.set_defaults(func=run)


def read_password(from_stdin: bool) -> str:
    """The new password: stdin's first line, or typed twice at a prompt."""
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise PasswordError("the two passwords differ")
    return first


def run(args: argparse.Namespace) -> int:
    """Carry out one action; exit 1 with the reason when it cannot be done."""
    path = args.console_db or args.store.parent / "console.db"
    db = ConsoleDB(path)
    try:
        if args.action == "list":
            for u in db.users():
                created = time.strftime("%Y-%m-%d %H:%M", time.localtime(u["created_ms"] / 1000))
                print(f"{u['name']}\t{u['role']}\t{ROLE_ZH.get(u['role'], '')}\tcreated {created}")
            return 0
        if args.action == "add":
            if any(u["name"] == args.name for u in db.users()):
                raise UserError(f"user {args.name!r} exists already (change the password with `passwd`)")
            db.add_user(args.name, args.role, read_password(args.password_stdin), int(time.time() * 1000))
            print(f"user {args.name} added with role {args.role} ({path})", file=sys.stderr)
        elif args.action == "passwd":
            db.set_password(args.name, read_password(args.password_stdin))
            print(f"password of {args.name} changed; their sessions ended", file=sys.stderr)
        elif args.action == "remove":
            db.remove_user(args.name)
            print(f"user {args.name} removed", file=sys.stderr)
    except (UserError, PasswordError) as exc:
        log.error("%s", exc)
        return 1
    finally:
        db.close()
    return 0
