"""A one-shot HTTP listener on 127.0.0.1 that catches an OAuth2 redirect.

The authorization-code grant ends with the browser being sent to ``redirect_uri`` with
``?code=...&state=...``. This listens for that one request (RFC 8252, loopback
redirection), answers it with a short page, and hands over the full URL. Over SSH the
browser runs elsewhere and cannot reach us: the user pastes the URL the browser ended on
instead, through :meth:`RedirectListener.deliver`; whichever comes first wins.
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit

PAGE = (
    b"<!doctype html><meta charset=utf-8><title>callbench</title>"
    b"<p>callbench has the authorization response. You can close this tab.</p>"
)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")


class RedirectListener:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, path: str = "/callback") -> None:
        self.host = "127.0.0.1" if host == "localhost" else host.strip("[]")
        self.port = port
        self.path = path or "/"
        self._host_shown = host
        self._server: asyncio.Server | None = None
        self._result: asyncio.Future[str] | None = None

    @classmethod
    def for_redirect_uri(cls, redirect_uri: str) -> RedirectListener | None:
        """A listener for a loopback ``redirect_uri``; None when it points elsewhere."""
        parts = urlsplit(redirect_uri)
        if parts.scheme != "http" or (parts.hostname or "") not in LOOPBACK_HOSTS:
            return None
        listener = cls(parts.hostname or "127.0.0.1", parts.port or 80, parts.path)
        return listener

    @property
    def redirect_uri(self) -> str:
        host = self._host_shown if self._host_shown != "::1" else "[::1]"
        return f"http://{host}:{self.port}{self.path}"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._result = loop.create_future()
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    def deliver(self, url: str) -> None:
        """The redirect URL, pasted by the user (the browser could not reach us)."""
        if self._result is not None and not self._result.done():
            self._result.set_result(url.strip())

    async def wait(self, timeout: float) -> str:
        assert self._result is not None, "start() first"
        return await asyncio.wait_for(asyncio.shield(self._result), timeout)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            method, target, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
        except (
            TimeoutError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ValueError,
            ConnectionError,
        ):
            writer.close()
            return
        if method != "GET" or urlsplit(target).path != self.path:
            status, body = b"404 Not Found", b"not the redirect path"
        else:
            status, body = b"200 OK", PAGE
            self.deliver(f"http://{self._host_shown}:{self.port}{target}")
        writer.write(
            b"HTTP/1.1 " + status + b"\r\nContent-Type: text/html; charset=utf-8\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body
        )
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()
