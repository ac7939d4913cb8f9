"""The console's FastAPI application: login, pages, static files and the API routers.

Everything needs a live session (the OpenAPI spec too) except `/healthz`, `POST /api/login`
and the login page with its own script and style sheet. The session token travels in an HttpOnly, SameSite=Strict
cookie; the page never sees it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import FileResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field

from zhian.console import api_alerts, api_data, api_users
from zhian.console.context import COOKIE, ConsoleContext, User, context, now_ms, require, session_user
from zhian.console.roles import ROLE_ZH, permissions_of

STATIC = Path(str(files("zhian.console") / "static"))
PUBLIC_ASSETS = frozenset({"login.js", "i18n.js", "style.css"})
HEADERS = {
    # only our own scripts and styles; evidence images and clips come from the same origin
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; media-src 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class LoginIn(BaseModel):
    """User name and password."""

    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


def _me(user: User) -> dict[str, Any]:
    return {"user": user.name, "role": user.role, "role_zh": ROLE_ZH.get(user.role, user.role),
            "permissions": permissions_of(user.role)}


def create_app(ctx: ConsoleContext) -> FastAPI:
    """The console app over one compound's store and processor."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(ctx.feed.catch_up)
        task = asyncio.create_task(ctx.feed.run())
        try:
            yield
        finally:
            ctx.feed.closing = True
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            ctx.feed.close()

    app = FastAPI(title="zhian console", version="1", lifespan=lifespan, openapi_url=None,
                  docs_url=None, redoc_url=None,
                  description="The security desk console of zhian: alerts, events, devices, timelines, evidence. "
                              "Log in with POST /api/login; the session is an HttpOnly cookie.")
    app.state.ctx = ctx

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for k, v in HEADERS.items():
            response.headers.setdefault(k, v)
        if request.url.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.get("/healthz", tags=["health"], summary="Liveness, without login")
    def healthz() -> dict[str, Any]:
        """Always answers while the server runs; says how far the alert feed has read."""
        return {"ok": True, "outbox_position": ctx.feed.book.position}

    @app.post("/api/login", tags=["auth"], summary="Open a session (sets the cookie)")
    def login(body: LoginIn, response: Response,
              c: Annotated[ConsoleContext, Depends(context)]) -> dict[str, Any]:
        """401 with the same message for an unknown user and a wrong password; 429 after 5
        failures for one name within 5 minutes."""
        wait_ms = c.throttle.wait_ms(body.username, now_ms())
        if wait_ms > 0:
            c.audit(body.username, "login.throttled", {})
            raise HTTPException(429, f"too many failed logins for this user name: try again in {wait_ms // 1000 + 1} s",
                                headers={"Retry-After": str(wait_ms // 1000 + 1)})
        user = c.users.authenticate(body.username, body.password)
        if user is None:
            c.throttle.failed(body.username, now_ms())
            c.audit(body.username, "login.failed", {})
            raise HTTPException(401, "wrong user name or password")
        c.throttle.succeeded(user.name)
        token = c.users.open_session(user, now_ms())
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/",
                            max_age=int(c.users.policy.absolute_s))
        c.audit(user.name, "login", {"role": user.role})
        return _me(user)

    @app.post("/api/logout", tags=["auth"], summary="End the session")
    def logout(request: Request, response: Response, user: Annotated[User, Depends(require())]) -> dict[str, Any]:
        """Deletes the session on the server and the cookie in the browser."""
        token = request.cookies.get(COOKIE)
        if token:
            ctx.users.close_session(token)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
        return {"user": user.name, "logged_out": True}

    @app.get("/api/me", tags=["auth"], summary="Who is logged in, with role and permissions")
    def me(user: Annotated[User, Depends(require())]) -> dict[str, Any]:
        """The page builds its menus from the permissions."""
        return _me(user)

    app.include_router(api_alerts.router)
    app.include_router(api_data.router)
    app.include_router(api_users.router)

    @app.get("/api/openapi.json", include_in_schema=False)
    def openapi(_user: Annotated[User, Depends(require())]) -> dict[str, Any]:
        # behind the login like every other API call
        return app.openapi()

    @app.get("/login", include_in_schema=False)
    def login_page() -> FileResponse:
        return FileResponse(STATIC / "login.html", headers={"Cache-Control": "no-store"})

    @app.get("/", include_in_schema=False)
    def index(request: Request) -> Response:
        if session_user(request) is None:
            return RedirectResponse("/login", status_code=303)
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    @app.get("/static/{name}", include_in_schema=False)
    def static(request: Request, name: str) -> Response:
        # a fixed set of files: the page's scripts need a session, the login page's do not
        path = STATIC / name
        if "/" in name or name.startswith(".") or not path.is_file():
            raise HTTPException(404, f"no static file {name!r}")
        if name not in PUBLIC_ASSETS and session_user(request) is None:
            raise HTTPException(401, "not logged in: log in at /login")
        return FileResponse(path, headers={"Cache-Control": "no-cache"})

    return app
