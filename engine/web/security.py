"""Pure ASGI middleware: security headers, body size limit, cross-origin refusal, CSRF cookie, token.

The CSRF check is a double submit: an ``HttpOnly; SameSite=Strict`` cookie and the same value in a
hidden form field (``forms.read_form`` compares them); ``CrossOrigin`` also refuses unsafe requests
a browser marks as coming from another site.
"""

from __future__ import annotations

import hmac
import secrets
from http.cookies import SimpleCookie
from typing import Any

Scope = dict[str, Any]
ASGIApp = Any

CSRF_COOKIE = "rehab_csrf"
TOKEN_COOKIE = "rehab_token"  # noqa: S105 (a cookie name)
SAFE = {"GET", "HEAD", "OPTIONS"}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _cookies(headers: dict[str, str]) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except Exception:  # a malformed cookie header is treated as no cookies
        return {}
    return {k: m.value for k, m in jar.items()}


async def _plain(send: Any, status: int, text: str) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def security_headers(*, static: bool = False) -> list[tuple[bytes, bytes]]:
    """The headers every response carries (the 500 page adds them itself: it is sent from outside
    the middleware)."""
    headers = [
        (b"content-security-policy", CSP.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"vary", b"HX-Request"),
    ]
    if not static:
        headers.append((b"cache-control", b"no-store"))
    return headers


class SecurityHeaders:
    """CSP, nosniff, no framing, no referrer; ``no-store`` on everything but static files."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def wrapped(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", [])) + security_headers(static=static)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, wrapped)


class BodyLimit:
    """Answer 413 when a request body passes its limit (Content-Length or streamed bytes)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        default: int,
        large: int,
        large_prefixes: tuple[str, ...],
        large_suffixes: tuple[str, ...] = (),
    ) -> None:
        self.app, self.default, self.large, self.large_prefixes = app, default, large, large_prefixes
        self.large_suffixes = large_suffixes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        large = path.startswith(self.large_prefixes) or (self.large_suffixes and path.endswith(self.large_suffixes))
        limit = self.large if large else self.default
        length = _headers(scope).get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _plain(send, 413, "request too large")
            return
        seen = 0

        async def counted() -> dict[str, Any]:
            nonlocal seen
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await _plain(send, 413, "request too large")


class _TooLarge(Exception):
    pass


class CrossOrigin:
    """Refuse unsafe requests from another site (Sec-Fetch-Site, else Origin vs Host)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE:
            h = _headers(scope)
            site = h.get("sec-fetch-site")
            origin = h.get("origin")
            if site is not None:
                bad = site not in ("same-origin", "none")
            elif origin is not None:
                bad = origin not in (f"http://{h.get('host', '')}", f"https://{h.get('host', '')}")
            else:
                bad = False  # not a browser
            if bad:
                await _plain(send, 403, "cross-origin request refused")
                return
        await self.app(scope, receive, send)


class CsrfCookie:
    """Give every browser a CSRF token cookie; put the token in ``scope['state']['csrf']``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookies = _cookies(_headers(scope))
        token = cookies.get(CSRF_COOKIE, "")
        fresh = len(token) != 43
        if fresh:
            token = secrets.token_urlsafe(32)
        scope.setdefault("state", {})["csrf"] = token
        scope["state"]["csrf_cookie"] = "" if fresh else token

        async def wrapped(message: dict[str, Any]) -> None:
            if fresh and message["type"] == "http.response.start":
                cookie = f"{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie.encode())]}
            await send(message)

        await self.app(scope, receive, wrapped)


def csrf_ok(scope_state: Any, submitted: str) -> bool:
    """The form's token equals the cookie that came with the request."""
    cookie = getattr(scope_state, "csrf_cookie", "") or ""
    return bool(cookie) and hmac.compare_digest(cookie.encode(), (submitted or "").encode())


class TokenAuth:
    """With ``--allow-remote``: every request needs the token (``?token=`` once, then a cookie)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app, self.token = app, token

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        h = _headers(scope)
        given = _cookies(h).get(TOKEN_COOKIE, "")
        auth = h.get("authorization", "")
        if auth.startswith("Bearer "):
            given = auth[7:]
        if given and hmac.compare_digest(given.encode(), self.token.encode()):
            await self.app(scope, receive, send)
            return
        from urllib.parse import parse_qs

        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        offered = (query.get("token") or [""])[0]
        if offered and hmac.compare_digest(offered.encode(), self.token.encode()):
            cookie = f"{TOKEN_COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict"
            await send(
                {
                    "type": "http.response.start",
                    "status": 303,
                    "headers": [(b"location", scope["path"].encode()), (b"set-cookie", cookie.encode())],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        await _plain(send, 401, "this desk needs its access token: open the address `rehab serve` printed")
