"""The little HTTP/1.1 the mock endpoint needs: read a request, frame a response.

Enough for the OpenAI SDK and ``curl``: ``Content-Length`` and chunked request
bodies, keep-alive, no ``Expect: 100-continue``, no pipelining guarantees
beyond reading requests in order.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

MAX_BODY_BYTES = 64 * 1024 * 1024
"""Largest request body accepted (a 413 beyond it)."""


class HttpError(Exception):
    """A request that cannot be parsed; answered with ``status`` and the connection closed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(slots=True)
class Request:
    """One parsed HTTP request."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    keep_alive: bool


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """Read one request from ``reader``; ``None`` when the client closed the connection.

    Raises:
        HttpError: The request is malformed or too large.
    """
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial.strip():
            return None
        raise HttpError(400, "incomplete request head") from exc
    except asyncio.LimitOverrunError as exc:
        raise HttpError(431, "request head too large") from exc
    lines = head.decode("latin-1").split("\r\n")
    while lines and not lines[0]:  # tolerate stray CRLFs between requests
        lines.pop(0)
    try:
        method, target, version = lines[0].split(" ", 2)
    except (IndexError, ValueError) as exc:
        raise HttpError(400, "malformed request line") from exc
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    connection = headers.get("connection", "").lower()
    if version == "HTTP/1.1":
        keep_alive = "close" not in connection
    else:
        keep_alive = "keep-alive" in connection
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = await _read_chunked(reader)
    else:
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError as exc:
            raise HttpError(400, "bad Content-Length") from exc
        if length < 0 or length > MAX_BODY_BYTES:
            raise HttpError(413, "request body too large")
        try:
            body = await reader.readexactly(length) if length else b""
        except asyncio.IncompleteReadError as exc:
            raise HttpError(400, "incomplete request body") from exc
    path = target.split("?", 1)[0]
    return Request(
        method=method.upper(), path=path, headers=headers, body=body, keep_alive=keep_alive
    )


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    size_total = 0
    try:
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                # Trailers (if any) end with an empty line.
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass
                return b"".join(parts)
            size_total += size
            if size_total > MAX_BODY_BYTES:
                raise HttpError(413, "request body too large")
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
        raise HttpError(400, "malformed chunked body") from exc


def response_head(
    status: int,
    content_length: int,
    *,
    keep_alive: bool,
    headers: tuple[tuple[str, str], ...] = (),
    content_type: str = "application/json",
) -> bytes:
    """Return the status line and headers of a response, ending with the blank line."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [
        f"HTTP/1.1 {status} {reason}",
        f"Content-Type: {content_type}",
        f"Content-Length: {content_length}",
        "Connection: keep-alive" if keep_alive else "Connection: close",
    ]
    lines.extend(f"{name}: {value}" for name, value in headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def json_bytes(value: Any) -> bytes:
    """Return ``value`` as compact UTF-8 JSON."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def error_body(message: str, type_: str, code: str | None) -> bytes:
    """Return an OpenAI-style error body ``{"error": {"message", "type", "code"}}``."""
    return json_bytes({"error": {"message": message, "type": type_, "param": None, "code": code}})
