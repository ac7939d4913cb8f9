"""User management for admins: list, add, reset a password, remove (each audited).

The same rules as `zhian users`: names of 2-32 lower-case characters, one of the four roles,
passwords of some strength. A reset ends the user's sessions. An admin cannot remove their own
account, so one admin (the one acting) always remains: the console cannot be locked out from
inside."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from zhian.console.context import ConsoleContext, User, context, now_ms, require
from zhian.console.db import UserError
from zhian.console.passwords import PasswordError
from zhian.console.roles import ROLE_ZH

router = APIRouter(prefix="/api/users", tags=["users"])

Ctx = Annotated[ConsoleContext, Depends(context)]
Admin = Annotated[User, Depends(require("users.manage"))]


class NewUser(BaseModel):
    """A user to create."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=64)
    role: str = Field(min_length=1, max_length=16)
    password: str = Field(min_length=1, max_length=1024)


class NewPassword(BaseModel):
    """A password to set."""

    model_config = ConfigDict(extra="forbid")
    password: str = Field(min_length=1, max_length=1024)


def _user_error(exc: UserError | PasswordError) -> HTTPException:
    return HTTPException(404 if str(exc).startswith("no user") else 400, str(exc))


@router.get("", summary="Every user with role and creation time")
def list_users(ctx: Ctx, _admin: Admin) -> dict[str, Any]:
    """Names, roles (with their Chinese names) and creation times; never a password hash."""
    return {"users": [{**u, "role_zh": ROLE_ZH.get(u["role"], u["role"])} for u in ctx.users.users()]}


@router.post("", status_code=201, summary="Add a user")
def add_user(body: NewUser, ctx: Ctx, admin: Admin) -> dict[str, Any]:
    """400 naming what is wrong with the name, role or password, or when the name is taken."""
    try:
        user = ctx.users.add_user(body.name, body.role, body.password, now_ms())
    except (UserError, PasswordError) as exc:
        raise _user_error(exc) from None
    ctx.audit(admin.name, "user.add", {"name": user.name, "role": user.role})
    return {"name": user.name, "role": user.role}


@router.post("/{name}/password", summary="Set a user's password (ends their sessions)")
def reset_password(name: str, body: NewPassword, ctx: Ctx, admin: Admin) -> dict[str, Any]:
    """404 for an unknown user, 400 for a weak password."""
    try:
        ctx.users.set_password(name, body.password)
    except (UserError, PasswordError) as exc:
        raise _user_error(exc) from None
    ctx.audit(admin.name, "user.password", {"name": name})
    return {"name": name, "sessions_ended": True}


@router.delete("/{name}", summary="Remove a user (and their sessions)")
def remove_user(name: str, ctx: Ctx, admin: Admin) -> dict[str, Any]:
    """400 for one's own account; 404 for an unknown user."""
    if name == admin.name:
        raise HTTPException(400, "you cannot remove your own account: ask another admin")
    try:
        ctx.users.remove_user(name)
    except UserError as exc:
        raise _user_error(exc) from None
    ctx.audit(admin.name, "user.remove", {"name": name})
    return {"name": name, "removed": True}
