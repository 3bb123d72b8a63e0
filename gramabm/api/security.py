"""The server's guards: the API key, the body size limit, and safe file names.

Both middlewares are plain ASGI and decide before the application reads a byte of the body: a
state-changing call without the key is answered 401 and never reaches a route; a body whose
declared length is over the limit is answered 413 at once, and one that streams in without a
declared length is cut off (413) as soon as the running count passes the limit.

File routes take a name from the URL. :func:`safe_file_name` decodes it repeatedly (so
``%2e%2e%2f`` and ``%252e%252e%252f`` are seen for what they are) and accepts only plain relative
names made of letters, digits, ``.``, ``_`` and ``-``, without ``..``; :func:`resolve_inside` then
checks that the resolved path is still inside the directory it was meant for.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path, PurePosixPath
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import HTTPException, Request, Security
from fastapi.security import APIKeyHeader

from gramabm.errors import GramabmError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

API_KEY_HEADER = "X-API-Key"
"""Header that carries the API key."""

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that change nothing and so need no key."""

_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_MAX_DECODES = 4

api_key_header = APIKeyHeader(name=API_KEY_HEADER, auto_error=False, description="API key")
"""The security scheme shown in the OpenAPI document (the middleware enforces it)."""


class UnsafePathError(GramabmError, ValueError):
    """A file name from a request tries to leave its directory or is not a plain name."""


class BodyTooLargeError(HTTPException):
    """The request body passed the size limit while it streamed in."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body exceeds the limit of {limit} bytes")


def key_matches(expected: str, given: str | None) -> bool:
    """Whether ``given`` is the key (compared in constant time)."""
    if not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


async def _send_json(
    send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]]
) -> None:
    body = json.dumps({"detail": detail}).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


class ApiKeyMiddleware:
    """Refuse state-changing calls (any method but GET, HEAD, OPTIONS) without the key.

    Args:
        app: The wrapped application.
        api_key: The key; ``None`` or empty lets every call through.
    """

    def __init__(self, app: ASGIApp, api_key: str | None) -> None:
        self.app = app
        self.api_key = api_key or None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 401 before the route (and its body) is touched when the key is missing."""
        if (
            self.api_key is not None
            and scope["type"] == "http"
            and scope["method"].upper() not in SAFE_METHODS
            and not key_matches(self.api_key, _header(scope, API_KEY_HEADER.lower().encode()))
        ):
            await _send_json(
                send,
                401,
                f"missing or wrong API key: send it in the {API_KEY_HEADER} header",
                [(b"www-authenticate", API_KEY_HEADER.encode())],
            )
            return
        await self.app(scope, receive, send)


class BodyLimitMiddleware:
    """Refuse bodies over ``max_bytes`` without reading them whole.

    Args:
        app: The wrapped application.
        max_bytes: Largest body accepted.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then count the bytes as they arrive."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                await _send_json(send, 400, "Content-Length is not a number", [])
                return
            if int(declared) > self.max_bytes:
                await _send_json(
                    send,
                    413,
                    f"request body of {int(declared)} bytes exceeds the limit of "
                    f"{self.max_bytes} bytes",
                    [(b"connection", b"close")],
                )
                return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLargeError as exc:
            # Reached only when no route turned the error into a response itself.
            if started:
                raise
            await _send_json(send, 413, str(exc.detail), [(b"connection", b"close")])


def require_api_key(
    request: Request, key: Annotated[str | None, Security(api_key_header)] = None
) -> None:
    """Route dependency: documents the key in OpenAPI and re-checks it behind the middleware.

    Raises:
        HTTPException: 401 when a key is configured and the request lacks it.
    """
    expected = getattr(request.app.state, "api_key", None)
    if expected and not key_matches(expected, key):
        raise HTTPException(
            401, f"missing or wrong API key: send it in the {API_KEY_HEADER} header"
        )


def safe_file_name(name: str) -> PurePosixPath:
    """A file name from a URL as a safe relative path, or an error saying why it is not.

    Args:
        name: The name as routed (already percent-decoded once by the server).

    Returns:
        The relative path.

    Raises:
        UnsafePathError: The name (at any level of percent-encoding) is absolute, climbs with
            ``..``, holds a backslash, a control character or any character outside letters,
            digits, ``.``, ``_``, ``-`` and ``/`` between parts.
    """
    decoded = name
    for _ in range(_MAX_DECODES):
        step = unquote(decoded)
        if step == decoded:
            break
        decoded = step
    else:
        raise UnsafePathError(f"file name {name!r} is encoded too many times")
    if decoded != name:
        raise UnsafePathError(f"file name {name!r} is percent-encoded; ask for the plain name")
    if not decoded or decoded.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", decoded):
        raise UnsafePathError(f"file name {name!r} is absolute; names are relative to the job")
    parts = decoded.split("/")
    if any(p in ("..", ".") for p in parts) or "\\" in decoded:
        raise UnsafePathError(f"file name {name!r} leaves its directory")
    bad = [p for p in parts if not _PART.match(p)]
    if bad:
        raise UnsafePathError(
            f"file name {name!r}: {bad[0]!r} is not a plain name (letters, digits, '.', '_', '-')"
        )
    return PurePosixPath(*parts)


def resolve_inside(root: Path, rel: PurePosixPath) -> Path:
    """``root / rel`` resolved, refused if it ends outside ``root`` (e.g. through a symlink).

    Raises:
        UnsafePathError: The resolved path is not inside ``root``.
    """
    base = root.resolve()
    path = base.joinpath(*rel.parts).resolve()
    if not path.is_relative_to(base):
        raise UnsafePathError(f"file name {rel.as_posix()!r} resolves outside its directory")
    return path


async def save_upload(upload: Any, target: Path, limit: int, field: str = "file") -> int:
    """Copy an uploaded file to ``target`` in chunks, stopping as soon as it passes ``limit``.

    Args:
        upload: The ``UploadFile``.
        target: Where to write.
        limit: Largest size accepted, in bytes.
        field: The form field, named in the error.

    Returns:
        Bytes written.

    Raises:
        HTTPException: 413 naming the field when the file is larger than ``limit``.
    """
    size = 0
    with target.open("wb") as out:
        while chunk := await upload.read(1 << 20):
            size += len(chunk)
            if size > limit:
                raise HTTPException(413, f"{field}: the upload exceeds the limit of {limit} bytes")
            out.write(chunk)
    return size
