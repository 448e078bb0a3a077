"""Send prepared requests with httpx and record the exchange.

A :class:`Sender` lives as long as a run (the CLI) or a session (the TUI) and keeps one
``httpx.AsyncClient`` per set of transport settings (TLS verification, client
certificate, proxy), so connections are reused between sends.
"""

from __future__ import annotations

import os
import ssl
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any

import httpx

from .errors import TransportError
from .exchange import Exchange, ResponseData, SentRequest, Timing, charset_of, header_pairs
from .request_builder import PreparedRequest, TransportOptions
from .transport_errors import classify


class _Tracer:
    """Collects httpcore's trace events as offsets from the start of the send."""

    __slots__ = ("marks", "start")

    def __init__(self, start: float) -> None:
        self.start = start
        self.marks: dict[str, float] = {}

    async def __call__(self, event: str, info: dict[str, Any]) -> None:
        self.marks[event] = time.perf_counter() - self.start

    def span(self, name: str) -> float | None:
        begin = self.marks.get(f"{name}.started")
        end = self.marks.get(f"{name}.complete")
        if begin is None or end is None:
            return None
        return end - begin

    def timing(self, ttfb: float, total: float) -> Timing:
        connect = self.span("connection.connect_tcp")
        tls = self.span("connection.start_tls")
        send_start = _first(self.marks, "send_request_headers.started")
        send_end = _first(self.marks, "send_request_body.complete")
        wait_start = _first(self.marks, "receive_response_headers.started")
        wait_end = _first(self.marks, "receive_response_headers.complete")
        return Timing(
            total=total,
            ttfb=wait_end if wait_end is not None else ttfb,
            connect=connect,
            tls=tls,
            send=None if send_start is None or send_end is None else send_end - send_start,
            wait=None if wait_start is None or wait_end is None else wait_end - wait_start,
            download=total - (wait_end if wait_end is not None else ttfb),
        )


def _first(marks: dict[str, float], suffix: str) -> float | None:
    for name, value in marks.items():
        if name.endswith(suffix):
            return value
    return None


def _tls_error(detail: str) -> TransportError:
    return TransportError("tls", f"cannot load TLS settings: {detail}")


def _reason(error: OSError) -> str:
    """OpenSSL's reason in words ("key values mismatch"), else the OS error's text."""
    if isinstance(error, ssl.SSLError) and error.reason:
        return error.reason.replace("_", " ").lower()
    return error.strerror or str(error)


def _ssl_context(options: TransportOptions) -> ssl.SSLContext | bool:
    if options.verify is True and not options.cert:
        return True
    if isinstance(options.verify, str) and options.verify:
        if not os.path.exists(options.verify):
            raise _tls_error(f"verify: CA bundle {options.verify!r} not found")
        try:
            context = ssl.create_default_context(cafile=options.verify)
        except OSError as error:  # ssl.SSLError included
            raise _tls_error(
                f"verify: cannot load CA bundle {options.verify!r}: {_reason(error)}"
            ) from None
    else:
        context = ssl.create_default_context()
        if options.verify is False:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
    if options.cert:
        _load_client_cert(context, options)
    return context


def _load_client_cert(context: ssl.SSLContext, options: TransportOptions) -> None:
    """Load ``cert`` (and ``key``), with errors that name the option at fault.

    The password is always given as a callable: with ``None``, OpenSSL would prompt for
    an encrypted key's pass phrase on the terminal and block the CLI or the TUI.
    """
    key_file = options.key or options.cert
    for name, path in (("cert", options.cert), ("key", options.key)):
        if path and not os.path.exists(path):
            raise _tls_error(f"{name}: file {path!r} not found")
    asked = False

    def password() -> str:
        nonlocal asked
        asked = True
        if not options.key_password:
            raise _tls_error(f"key: the private key in {key_file!r} is encrypted; set key_password")
        return options.key_password

    files = repr(options.cert) + (f" and {options.key!r}" if options.key else "")
    try:
        context.load_cert_chain(options.cert, options.key or None, password)
    except ssl.SSLError as error:
        if asked and error.library != "X509":
            raise _tls_error(
                f"key_password: cannot decrypt the private key in {key_file!r} (wrong password?)"
            ) from None
        reason = _reason(error) if error.reason else "no PEM certificate and private key found"
        raise _tls_error(
            f"cert: cannot load the client certificate from {files}: {reason}"
        ) from None
    except OSError as error:
        raise _tls_error(f"cert: cannot read {files}: {_reason(error)}") from None


def _with_hint(error: TransportError, prepared: PreparedRequest) -> TransportError:
    """A TLS 1.3 server that wants a client certificate often just drops the connection
    (no alert): say what may be missing instead of a bare "closed the connection"."""
    https = prepared.request.url.scheme == "https"
    if https and not prepared.transport.cert and error.kind in ("reset", "tls"):
        return TransportError(
            error.kind,
            f"{error} (does the server require a client certificate? set cert in [options])",
        )
    return error


class Sender:
    def __init__(self) -> None:
        self._clients: dict[tuple[Any, ...], httpx.AsyncClient] = {}

    def client(self, options: TransportOptions) -> httpx.AsyncClient:
        key = options.key_tuple()
        client = self._clients.get(key)
        if client is None:
            try:
                verify = _ssl_context(options)
            except (OSError, ssl.SSLError) as error:
                raise _tls_error(f"verify/cert/key: {error}") from None
            client = httpx.AsyncClient(
                verify=verify, proxy=options.proxy or None, trust_env=True, timeout=None
            )
            self._clients[key] = client
        return client

    @asynccontextmanager
    async def open(
        self, prepared: PreparedRequest
    ) -> AsyncIterator[tuple[httpx.Response, _Tracer]]:
        """Send and yield the response with its body unread (for streams and send())."""
        request = prepared.request
        tracer = _Tracer(time.perf_counter())
        request.extensions = {**request.extensions, "trace": tracer}
        client = self.client(prepared.transport)
        try:
            response = await client.send(
                request, stream=True, follow_redirects=prepared.options.follow_redirects
            )
        except httpx.TransportError as error:
            raise _with_hint(classify(error), prepared) from None
        try:
            yield response, tracer
        except httpx.TransportError as error:
            raise classify(error) from None
        finally:
            await response.aclose()

    async def send(self, prepared: PreparedRequest) -> Exchange:
        started_at = time.time()
        async with self.open(prepared) as (response, tracer):
            ttfb = time.perf_counter() - tracer.start
            body = await response.aread()
            total = time.perf_counter() - tracer.start
        return record(prepared, response, body, tracer.timing(ttfb, total), started_at)

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    async def __aenter__(self) -> Sender:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def record(
    prepared: PreparedRequest,
    response: httpx.Response,
    body: bytes,
    timing: Timing,
    started_at: float,
) -> Exchange:
    """The exchange as data, independent of httpx objects."""
    request = response.request
    content_type = response.headers.get("content-type")
    return Exchange(
        call_ref=prepared.call_ref,
        request=SentRequest(
            method=request.method,
            url=str(request.url),
            headers=header_pairs(request.headers),
            body=_content(request),
        ),
        response=ResponseData(
            status=response.status_code,
            reason=response.reason_phrase,
            http_version=response.http_version,
            url=str(response.url),
            headers=header_pairs(response.headers),
            body=body,
            encoding=charset_of(content_type, prepared.options.force_utf8),
        ),
        timing=timing,
        started_at=started_at,
        redirects=[(r.status_code, str(r.url)) for r in response.history],
        secrets=prepared.secrets,
    )


def _content(request: httpx.Request) -> bytes:
    try:
        return request.content
    except httpx.RequestNotRead:
        return b""
