"""The SSE parser against the WHATWG rules, and where httpx-sse 0.4.3 goes wrong."""

from __future__ import annotations

import pytest

from tui.core.sse import Event, LineParser, SseParser


def parse(*chunks: bytes) -> tuple[list[tuple[str, str, str, int | None]], SseParser]:
    parser = SseParser()
    events: list[Event] = []
    for chunk in chunks:
        events += parser.feed(chunk)
    events += parser.feed(b"", final=True)
    return [(e.event, e.data, e.id, e.retry) for e in events], parser


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        ((b"data: hello\n\n",), [("message", "hello", "", None)]),
        ((b"data: a\ndata: b\n\n",), [("message", "a\nb", "", None)]),
        ((b"event: add\ndata: 1\n\n",), [("add", "1", "", None)]),
        ((b"data:no space\n\n",), [("message", "no space", "", None)]),
        ((b"data:  two spaces\n\n",), [("message", " two spaces", "", None)]),
        ((b"data\n\n",), [("message", "", "", None)]),  # a field without a colon
        ((b": a comment\n\n",), []),  # no data: nothing dispatched
        ((b"event: only\n\n",), []),
        ((b"id: 7\n\n\n\ndata: x\n\n",), [("message", "x", "7", None)]),  # httpx-sse: 3 events
        (
            (b"id: 1\ndata: a\n\ndata: b\n\n",),
            [("message", "a", "1", None), ("message", "b", "1", None)],
        ),
        ((b"id: a\x00b\ndata: x\n\n",), [("message", "x", "", None)]),  # NUL: id ignored
        ((b"retry: 1500\ndata: x\n\n",), [("message", "x", "", 1500)]),
        ((b"retry: 1.5\ndata: x\n\n",), [("message", "x", "", None)]),  # not all digits
        ((b"foo: bar\ndata: x\n\n",), [("message", "x", "", None)]),  # unknown field
        ((b"data: a\r\n\r\n",), [("message", "a", "", None)]),
        ((b"data: a\r\r",), [("message", "a", "", None)]),
        ((b"data: a\r", b"\n\r\n"), [("message", "a", "", None)]),  # CRLF split across chunks
        ((b"\xef\xbb\xbfdata: bom\n\n",), [("message", "bom", "", None)]),
        ((b"da", b"ta: sp", b"lit\n", b"\n"), [("message", "split", "", None)]),
        ((b"data: caf\xc3", b"\xa9\n\n"), [("message", "café", "", None)]),
        ((b"data: bad \xff\n\n",), [("message", "bad \ufffd", "", None)]),
        ((b"data: whole\n\ndata: unfinished",), [("message", "whole", "", None)]),
    ],
)
def test_parser(
    chunks: tuple[bytes, ...], expected: list[tuple[str, str, str, int | None]]
) -> None:
    assert parse(*chunks)[0] == expected


def test_a_stream_cut_mid_event_is_marked_incomplete() -> None:
    _, parser = parse(b"data: whole\n\ndata: unfinished")
    assert parser.incomplete
    _, parser = parse(b"data: whole\n\n")
    assert not parser.incomplete


def test_a_line_over_a_megabyte() -> None:
    events, _ = parse(b"data: ", b"x" * 2_000_000, b"\n\n")
    assert len(events) == 1 and len(events[0][1]) == 2_000_000


def test_line_streams() -> None:
    parser = LineParser()
    events = parser.feed(b'{"a": 1}\n\n{"b"') + parser.feed(b": 2}\r\nlast", final=True)
    assert [(e.event, e.data) for e in events] == [
        ("line", '{"a": 1}'),
        ("line", '{"b": 2}'),
        ("line", "last"),
    ]
