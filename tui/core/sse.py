"""Server-Sent Events parsed as the WHATWG HTML standard says, incrementally.

httpx-sse 0.4.3 emits events that have no data and an empty event for each extra blank
line once an id was seen, and it never reconnects, so this module replaces its parser:

- lines end with CRLF, LF or CR (a CR at the end of a chunk waits for the next one);
- a UTF-8 BOM at the start of the stream is dropped; invalid UTF-8 becomes U+FFFD;
- ``:`` starts a comment; a line without a colon is a field with an empty value;
  one space after the colon is dropped; unknown fields are ignored;
- ``data`` lines are joined with LF; a blank line dispatches the event, unless the data
  buffer is empty (then nothing is dispatched); the type defaults to ``message``;
- ``id`` (without NUL) sets the last event id, which stays for later events;
  ``retry`` with only digits sets the reconnection time.

:class:`LineParser` does the same job for line streams (NDJSON, JSON Lines, text).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(slots=True)
class Event:
    data: str
    event: str = "message"
    id: str = ""
    retry: int | None = None
    offset: float = 0.0  # seconds since the stream was opened
    size: int = 0  # bytes of the event on the wire (approximately, for counters)


class _Lines:
    """Text from byte chunks, cut into lines at CRLF, LF or CR."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""  # the start of a line whose end has not come yet
        self._started = False
        self._skip_lf = False  # the last chunk ended with CR: a leading LF belongs to it

    def feed(self, chunk: bytes, final: bool = False) -> list[str]:
        text = self._decoder.decode(chunk, final)
        if not self._started and text:
            self._started = True
            text = text.removeprefix("\ufeff")
        if self._skip_lf and text:
            self._skip_lf = False
            if text[0] == "\n":
                text = text[1:]
        if not text:
            return []
        text = self._pending + text
        parts = _LINE_END.split(text)
        self._pending = parts.pop()
        self._skip_lf = text.endswith("\r")
        return parts

    def tail(self) -> str:
        """The unterminated last line, at the end of the stream."""
        tail, self._pending = self._pending, ""
        return tail


class SseParser:
    def __init__(self) -> None:
        self._lines = _Lines()
        self._data: list[str] = []
        self._event = ""
        self._size = 0
        self.last_event_id = ""
        self.retry: int | None = None

    def feed(self, chunk: bytes, final: bool = False) -> list[Event]:
        events: list[Event] = []
        self._size += len(chunk)
        for line in self._lines.feed(chunk, final):
            if not line:
                event = self._dispatch()
                if event is not None:
                    events.append(event)
                continue
            if line[0] == ":":
                continue
            name, colon, value = line.partition(":")
            if colon and value.startswith(" "):
                value = value[1:]
            if name == "data":
                self._data.append(value)
            elif name == "event":
                self._event = value
            elif name == "id":
                if "\x00" not in value:
                    self.last_event_id = value
            elif name == "retry" and value.isascii() and value.isdigit():
                self.retry = int(value)
        return events

    def _dispatch(self) -> Event | None:
        size, self._size = self._size, 0
        if not self._data:
            self._event = ""
            return None
        event = Event(
            data="\n".join(self._data),
            event=self._event or "message",
            id=self.last_event_id,
            retry=self.retry,
            size=size,
        )
        self._data = []
        self._event = ""
        return event

    @property
    def incomplete(self) -> bool:
        """The stream stopped mid-event: the spec discards that part (and so do we)."""
        return bool(self._data) or bool(self._lines._pending)


class LineParser:
    """Each non-empty line is one event (type ``line``): NDJSON, JSON Lines, text."""

    def __init__(self) -> None:
        self._lines = _Lines()
        self.last_event_id = ""
        self.retry: int | None = None
        self.incomplete = False

    def feed(self, chunk: bytes, final: bool = False) -> list[Event]:
        lines = self._lines.feed(chunk, final)
        if final:
            lines.append(self._lines.tail())  # a last line without a newline still counts
        size = len(chunk) // max(len(lines), 1)
        return [Event(data=line, event="line", size=size) for line in lines if line]
