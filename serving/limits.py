"""Bounds on what one client may cost the server: time to send a request, and its size.

uvicorn bounds only the idle time between two requests on a kept-alive connection. A
client that connects and sends its request line and headers slowly, or without end,
would hold its connection for ever. :class:`BoundedHttpProtocol` gives every request
head a deadline and a size limit; :class:`BodyDeadline` gives every body a deadline.
Both answer with a JSON error and close the connection, so a slow client costs one
socket for a bounded time and never a worker.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from mmp.errors import MmpError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]],
                    Callable[[Message], Awaitable[None]]], Awaitable[None]]

#: Request line plus headers, in bytes; past this the request is refused with 431.
MAX_HEAD_BYTES = 64 * 1024


def server_options(client_timeout: int) -> dict[str, Any]:
    """The uvicorn options that bound what one client may cost (``mmp serve`` uses them):
    request heads and idle connections get ``client_timeout`` seconds. Bodies get their
    deadline from ``ServingSettings.body_timeout_seconds`` (:class:`BodyDeadline`)."""
    return {"http": "serving.limits:BoundedHttpProtocol", "timeout_keep_alive": client_timeout}


class RequestTimeout(MmpError):
    """A client took longer than allowed to send its request."""

    http_status = 408


class BoundedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline and a size limit for request heads.

    From a connection's start, or from the first byte of a later request on it, the
    request line and headers must arrive within ``timeout_keep_alive`` seconds (the
    server's client timeout) and within :data:`MAX_HEAD_BYTES`; otherwise the client
    gets 408 or 431 and the connection is closed. Select it with
    ``uvicorn.run(..., http="serving.limits:BoundedHttpProtocol")``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._in_head = True  # the bytes arriving now belong to a request head
        self._head_bytes = 0
        self._tail = b""  # the last bytes seen, in case the blank line is split

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._in_head:  # counted before the parser buffers any of it
            seen = self._tail + data
            end = seen.find(b"\r\n\r\n")
            self._head_bytes += len(data) if end < 0 else max(end + 4 - len(self._tail), 0)
            self._tail = seen[-3:]
            if self._head_bytes > MAX_HEAD_BYTES:
                self._refuse(431, f"the request line and headers exceed {MAX_HEAD_BYTES} "
                                  "bytes", "send shorter headers")
                return
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._head_timer is None:  # a later request on a kept-alive connection
            self._start_head()

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._stop_head()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head, self._head_bytes, self._tail = True, 0, b""

    def _start_head(self) -> None:
        self._head_timer = self.loop.call_later(self.timeout_keep_alive, self._head_expired)

    def _stop_head(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_expired(self) -> None:
        self._head_timer = None
        self._refuse(408, f"the request headers did not arrive within "
                          f"{self.timeout_keep_alive} s", "send the whole request at once")

    def _refuse(self, status: int, message: str, hint: str) -> None:
        self._stop_head()
        error = "RequestTimeout" if status == 408 else "RequestHeaderFieldsTooLarge"
        body = json.dumps({"error": error, "message": message, "hint": hint}).encode()
        self.transport.write(b"".join([
            STATUS_LINE[status], b"content-type: application/json\r\n",
            b"content-length: %d\r\n" % len(body), b"connection: close\r\n\r\n", body]))
        self.transport.close()


class BodyDeadline:
    """ASGI middleware: a request's body must arrive within ``seconds`` of its start.

    Past the deadline the app's next read raises :class:`RequestTimeout` (the API answers
    408) and the response closes the connection, so a trickling client is let go.
    """

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline = asyncio.get_running_loop().time() + self.seconds
        state = {"body_done": False, "expired": False}

        async def bounded_receive() -> Message:
            if state["body_done"]:
                return await receive()  # waiting for a disconnect is not bounded
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                state["expired"] = True
                raise RequestTimeout(f"the request body did not arrive within {self.seconds:g} s",
                                     hint="send the whole body at once") from None
            state["body_done"] = message["type"] != "http.request" or not message.get(
                "more_body", False)
            return message

        async def closing_send(message: Message) -> None:
            if state["expired"] and message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"connection", b"close")]}
            await send(message)

        await self.app(scope, bounded_receive, closing_send)
