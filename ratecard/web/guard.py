"""The ASGI layer around the app: body size limit, access log without case data, safe headers.

Case data is criminal offence data. The log gets the method, the path (never the query string),
the status and the time taken, nothing else: no client address, no headers, no body. An
unexpected exception is logged by type and code location only, because its message may quote a
value from the case; the server's own traceback logging never sees it.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from typing import Any, Awaitable, Callable

log = logging.getLogger("ratecard.web")

MAX_BODY = 1024 * 1024  # 1 MiB: a case is a few kilobytes; anything near this is a mistake or an attack

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Pages may load only the package's own CSS and script; nothing from another origin, ever.
_CSP = ("default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'")
_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", _CSP.encode()),
]


def app_path(scope: Scope) -> str:
    """The path within the app: behind a proxy at a sub-path (--root-path /ratecard), the server
    hands over /ratecard/v1/screen; the app's own routes start after the prefix."""
    path, root = scope.get("path", ""), scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


class BodyTooLarge(Exception):
    """Raised from `receive` once a body passes the limit; the app answers 413."""


def too_large_text(limit: int = MAX_BODY) -> str:
    return f"The request body is larger than {limit // 1024} KiB; a case is a few kilobytes. Send one case at a time."


class Guard:
    """Wraps the app: limit, log, headers, and a last-resort 500 that logs no case data."""

    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY):
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 0}
        path = app_path(scope)
        static = path.startswith("/static/")

        async def send_wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [h for h in _HEADERS if h[0] not in present]  # a response may set its own (briefing HTML)
                if not static:
                    # answers about a person must not sit in a browser's or a proxy's cache
                    headers = [h for h in headers if h[0].lower() != b"cache-control"] + [(b"cache-control", b"no-store")]
                message = {**message, "headers": headers}
            await send(message)

        declared = _content_length(scope)
        try:
            if declared is not None and declared > self.max_body:
                await _plain_error(send_wrapped, 413, "too_large", too_large_text(self.max_body), path)
                return
            seen = {"n": 0}

            async def receive_limited() -> Message:
                message = await receive()
                if message["type"] == "http.request":
                    seen["n"] += len(message.get("body", b""))
                    if seen["n"] > self.max_body:
                        raise BodyTooLarge()
                return message

            await self.app(scope, receive_limited, send_wrapped)
        except Exception as e:  # noqa: BLE001 - the last line of defence; see the module docstring
            where = traceback.extract_tb(e.__traceback__)
            frames = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in reversed(where[-6:]))
            log.error("unhandled %s at %s", type(e).__name__, frames)
            if status["code"] == 0:
                status["code"] = 500
                await _plain_error(send_wrapped, 500, "server_error",
                                   "Something went wrong in ratecard; nothing was stored. Try again, and report it if it happens again.", path)
        finally:
            ms = (time.perf_counter() - started) * 1000
            log.info("%s %s %d %.1fms", scope.get("method", "-"), path, status["code"], ms)


def _content_length(scope: Scope) -> int | None:
    for k, v in scope.get("headers", []):
        if k.lower() == b"content-length":
            try:
                return int(v)
            except ValueError:
                return None
    return None


async def _plain_error(send: Send, code: int, error: str, text: str, path: str) -> None:
    if path.startswith("/v1/"):
        body = json.dumps({"error": error, "detail": text, "problems": []}).encode()
        ctype = b"application/json"
    else:
        body = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Error - ratecard</title></head>"
                f"<body><h1>Sorry, there is a problem</h1><p>{text}</p><p><a href=\"./\">Start again</a></p></body></html>").encode()
        ctype = b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": code,
                "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
