"""The ASGI layer around the app: which requests are answered at all, the body size limit, an
access log without case data, and safe headers.

Refused before the app sees them (and before any body is read):
- a Host header that is not one of the server's own names (DNS rebinding: a web page whose name
  the attacker points at 127.0.0.1 would otherwise reach a server bound to this machine only);
- a POST sent by another site's page (`Sec-Fetch-Site: cross-site` or `same-site`, which every
  current browser sends): an officer's open browser tab cannot be made to use the server;
- a POST to /v1 that is not `Content-Type: application/json` (a page can send text/plain to any
  address without asking; JSON needs the browser to ask first, and ratecard never agrees).

Case data is criminal offence data. The log gets the method, the path (never the query string),
the status and the time taken, nothing else: no client address, no headers, no body. An
unexpected exception is logged by type and code location only, because its message may quote a
value from the case; the server's own traceback logging never sees it.
"""

from __future__ import annotations

import html
import json
import logging
import time
import traceback
from collections.abc import Iterable, MutableMapping
from typing import Any, Awaitable, Callable

log = logging.getLogger("ratecard.web")

MAX_BODY = 1024 * 1024  # 1 MiB: a case is a few kilobytes; anything near this is a mistake or an attack

Scope = MutableMapping[str, Any]  # as starlette types them, so FastAPI's app is an ASGIApp
Message = MutableMapping[str, Any]
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
_HEADER_NAMES = frozenset(k for k, _ in _HEADERS)
_NO_STORE = (b"cache-control", b"no-store")


def app_path(scope: Scope) -> str:
    """The path within the app: behind a proxy at a sub-path (--root-path /ratecard), the server
    hands over /ratecard/v1/screen; the app's own routes start after the prefix."""
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


class BodyTooLarge(Exception):
    """Raised from `receive` once a body passes the limit; the app answers 413."""


def too_large_text(limit: int = MAX_BODY) -> str:
    return f"The request body is larger than {limit // 1024} KiB; a case is a few kilobytes. Send one case at a time."


LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
# In allowed_hosts: any address written as digits (a DNS-rebinding page always arrives under the
# attacker's name, never as an address), for a server listening on every interface.
ANY_ADDRESS = "*address"
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_READ = frozenset({b"host", b"sec-fetch-site", b"content-type", b"content-length"})  # the headers the guard reads


def host_name(value: str) -> str:
    """The name in a Host header, without its port: 'example.org:8000' -> 'example.org', '[::1]:80' -> '::1'."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:].partition("]")[0]
    return value.rpartition(":")[0] if value.count(":") == 1 else value


def _is_address(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


class Guard:
    """Wraps the app: who is answered, limit, log, headers, and a last-resort 500 that logs no case data.

    `allowed_hosts`: the names the Host header may give (ports aside); None answers any."""

    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY, allowed_hosts: Iterable[str] | None = LOOPBACK_NAMES):
        self.app = app
        self.max_body = max_body
        self.allowed_hosts = None if allowed_hosts is None else frozenset(h.lower() for h in allowed_hosts)

    def refusal(self, scope: Scope, path: str, seen: dict[bytes, bytes]) -> tuple[int, str, str] | None:
        """(status, error, message) for a request answered without the app, or None. `seen`: the
        request's headers that matter here (_READ)."""
        if self.allowed_hosts is not None:
            given = host_name(seen.get(b"host", b"").decode("latin-1"))
            if given not in self.allowed_hosts and not (ANY_ADDRESS in self.allowed_hosts and _is_address(given)):
                names = ", ".join(sorted(h if h != ANY_ADDRESS else "its addresses" for h in self.allowed_hosts))
                return (400, "bad_host", f"This server answers to {names}; the request was addressed to another name. "
                        "If ratecard is reached by a name of its own (behind a proxy, say), start it with "
                        "--allowed-host NAME.")
        if scope.get("method") in _UNSAFE:
            if seen.get(b"sec-fetch-site", b"").strip().lower() in (b"cross-site", b"same-site"):
                return (403, "forbidden", "ratecard does not accept requests sent from another site's pages.")
            if path.startswith("/v1/"):
                ctype = seen.get(b"content-type", b"").partition(b";")[0].strip().lower()
                if ctype != b"application/json":
                    return (415, "unsupported_media_type",
                            "Send the request body as JSON, with the header 'Content-Type: application/json'.")
        return None

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
                headers = message.get("headers", [])
                present = {k.lower() for k, _ in headers}
                # a response may set its own (briefing HTML)
                extra = _HEADERS if present.isdisjoint(_HEADER_NAMES) else [h for h in _HEADERS if h[0] not in present]
                if not static:
                    # answers about a person must not sit in a browser's or a proxy's cache
                    if b"cache-control" in present:
                        headers = [h for h in headers if h[0].lower() != b"cache-control"]
                    extra = [*extra, _NO_STORE]
                message = {**message, "headers": [*headers, *extra]}
            await send(message)

        seen = {name: v for k, v in scope.get("headers", ()) if (name := k.lower()) in _READ}
        declared = _content_length(seen)
        try:
            refused = self.refusal(scope, path, seen)
            if refused is not None:
                await _plain_error(send_wrapped, refused[0], refused[1], refused[2], path)
                return
            if declared is not None and declared > self.max_body:
                await _plain_error(send_wrapped, 413, "too_large", too_large_text(self.max_body), path)
                return
            received = {"n": 0}

            async def receive_limited() -> Message:
                message = await receive()
                if message["type"] == "http.request":
                    received["n"] += len(message.get("body", b""))
                    if received["n"] > self.max_body:
                        raise BodyTooLarge()
                return message

            await self.app(scope, receive_limited, send_wrapped)
        except Exception as e:  # noqa: BLE001 - the last line of defence; see the module docstring
            if _client_gone(e):
                return  # it hung up (or was closed for being slow): nobody to answer, nothing went wrong
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


def _client_gone(e: Exception) -> bool:
    from starlette.requests import ClientDisconnect

    return isinstance(e, ClientDisconnect)


def _content_length(seen: dict[bytes, bytes]) -> int | None:
    try:
        return int(seen[b"content-length"])
    except (KeyError, ValueError):
        return None


async def _plain_error(send: Send, code: int, error: str, text: str, path: str) -> None:
    if path.startswith("/v1/") or path == "/healthz":
        body = json.dumps({"error": error, "detail": text, "problems": []}).encode()
        ctype = b"application/json"
    else:
        body = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Error - ratecard</title></head>"
                f"<body><h1>Sorry, there is a problem</h1><p>{html.escape(text)}</p><p><a href=\"./\">Start again</a></p>"
                "</body></html>").encode()
        ctype = b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": code,
                "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
