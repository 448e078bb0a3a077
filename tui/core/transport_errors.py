"""Turn httpx's transport exceptions into one classified, readable error.

httpx wraps the socket's own error (refused, DNS, TLS, reset) a few causes deep; we look
down the chain so the user reads "connection refused by 127.0.0.1:8000" and not a
stack of exception names.
"""

from __future__ import annotations

import socket
import ssl

import httpx

from .errors import TransportError


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _target(request: httpx.Request | None) -> str:
    if request is None:
        return "the server"
    url = request.url
    port = url.port or (443 if url.scheme == "https" else 80)
    return f"{url.host}:{port}"


def classify(error: httpx.TransportError) -> TransportError:
    """A TransportError with a kind and a message naming the host and the cause."""
    try:
        request: httpx.Request | None = error.request
    except RuntimeError:
        request = None
    host = _target(request)
    chain = _chain(error)
    detail = str(error) or type(error).__name__

    def has(kind: type[BaseException]) -> BaseException | None:
        return next((e for e in chain if isinstance(e, kind)), None)

    if isinstance(error, httpx.ConnectTimeout):
        return TransportError("connect_timeout", f"timed out connecting to {host}")
    if isinstance(error, httpx.ReadTimeout):
        return TransportError("read_timeout", f"timed out waiting for {host} to answer")
    if isinstance(error, httpx.WriteTimeout):
        return TransportError("write_timeout", f"timed out sending the request to {host}")
    if isinstance(error, httpx.PoolTimeout):
        return TransportError("pool_timeout", f"no free connection to {host} in time")
    if isinstance(error, httpx.ProxyError):
        return TransportError("proxy", f"proxy error reaching {host}: {detail}")
    if isinstance(error, httpx.UnsupportedProtocol):
        return TransportError("unsupported", f"unsupported protocol for {host}: {detail}")
    if has(ConnectionRefusedError) or "refused" in detail.lower():
        return TransportError("refused", f"connection refused by {host} (is the server up?)")
    if has(socket.gaierror) or "name or service not known" in detail.lower():
        cause = has(socket.gaierror)
        reason = cause.strerror if isinstance(cause, socket.gaierror) else detail
        host_name = request.url.host if request is not None else host
        return TransportError("dns", f"cannot resolve host {host_name!r}: {reason}")
    ssl_error = has(ssl.SSLError)
    if ssl_error is not None or "ssl" in detail.lower() or "certificate" in detail.lower():
        reason = getattr(ssl_error, "reason", None) or detail
        return TransportError("tls", f"TLS handshake with {host} failed: {reason}")
    if has(ConnectionResetError) or "reset" in detail.lower():
        return TransportError("reset", f"connection reset by {host}")
    if isinstance(error, httpx.RemoteProtocolError):
        if "disconnected" in detail.lower() or "closed" in detail.lower():
            return TransportError("reset", f"{host} closed the connection: {detail}")
        return TransportError("protocol", f"{host} broke the HTTP protocol: {detail}")
    if isinstance(error, httpx.ConnectError):
        return TransportError("connect", f"cannot connect to {host}: {detail}")
    return TransportError("other", f"request to {host} failed: {detail}")
