"""Streams: Server-Sent Events and line streams as one async iterator for both fronts.

:class:`StreamSession` sends a prepared request and looks at the response: when the
call's ``stream`` option (or, with ``auto``, the content type) says it is a stream, the
body is read as events as they arrive; otherwise the whole body is read into a normal
exchange. With ``reconnect``, a dropped stream is opened again after the server's
``retry`` (or ``DEFAULT_RETRY_MS``), sending ``Last-Event-ID``; each reconnect is
reported as an item of its own.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from .errors import TransportError
from .exchange import Exchange
from .request_builder import PreparedRequest
from .sender import Sender, record
from .sse import Event, LineParser, SseParser
from .transport_errors import classify

DEFAULT_RETRY_MS = 3000
SSE_TYPES = ("text/event-stream",)
LINE_TYPES = (
    "application/x-ndjson",
    "application/ndjson",
    "application/jsonl",
    "application/x-jsonlines",
    "application/json-seq",
)
DEFAULT_KEEP = 100_000
YIELD_SECONDS = 0.005  # a fast stream gives the event loop a turn this often


def stream_kind(option: str, content_type: str | None) -> str | None:
    """ "sse", "lines" or None (not a stream) for a call's ``stream`` option."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if option == "sse":
        return "sse"
    if option == "lines":
        return "lines"
    if option == "off":
        return None
    if kind in SSE_TYPES:
        return "sse"
    if kind in LINE_TYPES:
        return "lines"
    return None


@dataclass(slots=True)
class Reconnect:
    """The stream dropped and is being opened again."""

    attempt: int
    reason: str
    wait: float
    offset: float = 0.0


@dataclass
class StreamStats:
    """Counters over the whole stream, however many events are kept."""

    events: int = 0
    bytes: int = 0
    reconnects: int = 0
    started: float = field(default_factory=time.perf_counter)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    @property
    def rate(self) -> float:
        return self.events / self.elapsed if self.elapsed > 0 else 0.0


class EventBuffer:
    """The last ``keep`` events (the rest are counted, not kept): bounded memory."""

    def __init__(self, keep: int = DEFAULT_KEEP) -> None:
        self.events: deque[Event] = deque(maxlen=keep)
        self.dropped = 0

    def extend(self, events: list[Event]) -> None:
        overflow = len(self.events) + len(events) - (self.events.maxlen or 0)
        if overflow > 0:
            self.dropped += min(overflow, len(self.events) + len(events))
        self.events.extend(events)


class StreamSession:
    """One send that may turn out to be a stream; use as ``async with``."""

    def __init__(
        self,
        sender: Sender,
        prepared: PreparedRequest,
        *,
        reconnect: bool = False,
        max_reconnects: int = 10,
        renew: Callable[[], Awaitable[PreparedRequest]] | None = None,
    ) -> None:
        self.sender = sender
        self.renew = renew  # a 401 asks it for the request with a new credential, once
        self.prepared = prepared
        self.reconnect = reconnect
        self.max_reconnects = max_reconnects
        self.stats = StreamStats()
        self.kind: str | None = None
        self.response: httpx.Response | None = None
        self.incomplete = False
        self.error: TransportError | None = None  # what ended the stream, if not its end
        self._context: Any = None
        self._tracer: Any = None
        self._started_at = time.time()
        self._parser: SseParser | LineParser | None = None

    async def __aenter__(self) -> StreamSession:
        await self._open()
        response = self.response
        if self.renew is not None and response is not None and response.status_code == 401:
            await self._close()
            self.prepared = await self.renew()
            self._started_at = time.time()
            await self._open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._close()

    async def _open(self, last_event_id: str = "") -> None:
        prepared = self.prepared
        if last_event_id:
            prepared.request.headers["Last-Event-ID"] = last_event_id
        self._context = self.sender.open(prepared)
        self.response, self._tracer = await self._context.__aenter__()
        self.kind = stream_kind(prepared.options.stream, self.response.headers.get("content-type"))

    async def _close(self) -> None:
        if self._context is not None:
            context, self._context = self._context, None
            await context.__aexit__(None, None, None)

    async def read_exchange(self) -> Exchange:
        """The whole response, for a response that is not a stream."""
        assert self.response is not None and self._tracer is not None
        ttfb = time.perf_counter() - self._tracer.start
        body = await self.response.aread()
        total = time.perf_counter() - self._tracer.start
        return record(
            self.prepared, self.response, body, self._tracer.timing(ttfb, total), self._started_at
        )

    def head(self) -> Exchange:
        """The exchange without a body: status and headers, for a stream."""
        assert self.response is not None and self._tracer is not None
        seconds = time.perf_counter() - self._tracer.start
        return record(
            self.prepared,
            self.response,
            b"",
            self._tracer.timing(seconds, seconds),
            self._started_at,
        )

    async def events(self) -> AsyncIterator[Event | Reconnect]:
        """Events as they arrive; reconnects (when enabled) are items of their own."""
        attempt = 0
        while True:
            assert self.response is not None
            parser: SseParser | LineParser = SseParser() if self.kind == "sse" else LineParser()
            if self._parser is not None:
                parser.last_event_id = self._parser.last_event_id
                parser.retry = self._parser.retry
            self._parser = parser
            reason = "the server closed the stream"
            self.error = None
            try:
                turn = time.perf_counter()
                async for chunk in self.response.aiter_raw():
                    # Buffered data is read without ever suspending: let the loop breathe
                    # (a UI in the same loop must keep answering keys).
                    if time.perf_counter() - turn > YIELD_SECONDS:
                        await asyncio.sleep(0)
                        turn = time.perf_counter()
                    batch = parser.feed(chunk)
                    self.stats.bytes += len(chunk)
                    if batch:
                        offset = self.stats.elapsed
                        for event in batch:
                            event.offset = offset
                            self.stats.events += 1
                            yield event
                for event in parser.feed(b"", final=True):
                    event.offset = self.stats.elapsed
                    self.stats.events += 1
                    yield event
            except TransportError as error:
                self.error = error
                reason = str(error)
            except httpx.TransportError as error:
                self.error = classify(error)
                reason = str(self.error)
            self.incomplete = parser.incomplete
            if not self.reconnect or attempt >= self.max_reconnects:
                return
            attempt += 1
            self.stats.reconnects += 1
            wait = (parser.retry if parser.retry is not None else DEFAULT_RETRY_MS) / 1000
            yield Reconnect(attempt, reason, wait, self.stats.elapsed)
            await self._close()
            await asyncio.sleep(wait)
            try:
                await self._open(parser.last_event_id)
            except TransportError as error:
                yield Reconnect(attempt, f"reconnecting failed: {error}", wait, self.stats.elapsed)
                return
            if self.kind is None:
                return  # what came back is no longer a stream


def write_events(path: Path, events: list[Event]) -> int:
    """Events as JSON Lines (event, data, id, retry, offset); an existing file is kept."""
    import orjson

    with path.open("xb") as handle:
        for event in events:
            handle.write(
                orjson.dumps(
                    {
                        "event": event.event,
                        "data": event.data,
                        "id": event.id,
                        "retry": event.retry,
                        "offset": event.offset,
                    }
                )
                + b"\n"
            )
    return len(events)
