"""Streams through the core and the CLI, against the real loopback server."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import write
from tui.core.runner import prepare
from tui.core.sender import Sender
from tui.core.sse import Event
from tui.core.streaming import EventBuffer, Reconnect, StreamSession, stream_kind
from tui.core.workspace import load_workspace


def workspace(tmp_path: Path, server_url: str) -> Path:
    calls = {
        "ticks": 'url = "/sse?count=50"\n[paths]\nn = "$.n"\n',
        "slow": 'url = "/sse?count=100&interval=0.2"\n',
        "drop": 'url = "/sse/drop"\n[options]\nreconnect = true\n',
        "drop-once": 'url = "/sse/drop"\n',
        "silent": 'url = "/sse/silent"\n[options]\ntimeout = 0.5\n',
        "cut": 'url = "/sse/cut"\n',
        "odd": 'url = "/sse/odd"\n',
        "lines": 'url = "/ndjson"\n',
        "forced": 'url = "/text"\n[options]\nstream = "sse"\n',
        "off": 'url = "/sse?count=2"\n[options]\nstream = "off"\n',
    }
    files = {"s/collection.toml": f'base_url = "{server_url}"\n'}
    files.update({f"s/{name}.toml": text for name, text in calls.items()})
    return write(tmp_path / "ws", files)


async def collect(
    root: Path, ref: str, **kwargs: bool
) -> tuple[list[Event | Reconnect], StreamSession]:
    ws = load_workspace(root)
    items: list[Event | Reconnect] = []
    async with Sender() as sender:
        prepared = prepare(ws, ref)
        reconnect = kwargs.get("reconnect", prepared.options.reconnect)
        async with StreamSession(sender, prepared, reconnect=reconnect) as session:
            assert session.kind is not None
            async for item in session.events():
                items.append(item)
    return items, session


@pytest.mark.parametrize(
    ("option", "content_type", "kind"),
    [
        ("auto", "text/event-stream; charset=utf-8", "sse"),
        ("auto", "application/x-ndjson", "lines"),
        ("auto", "application/json", None),
        ("sse", "text/plain", "sse"),
        ("lines", None, "lines"),
        ("off", "text/event-stream", None),
    ],
)
def test_stream_kind(option: str, content_type: str | None, kind: str | None) -> None:
    assert stream_kind(option, content_type) == kind


async def test_events_arrive_with_ids_offsets_and_counters(tmp_path: Path, server_url: str) -> None:
    items, session = await collect(workspace(tmp_path, server_url), "s/ticks")
    events = [i for i in items if isinstance(i, Event)]
    assert len(events) == 50
    assert (events[0].event, events[0].id, json.loads(events[0].data)) == (
        "tick",
        "0",
        {"n": 0, "text": "t0"},
    )
    assert events[-1].id == "49"
    assert all(a.offset <= b.offset for a, b in itertools.pairwise(events))
    assert session.stats.events == 50 and session.stats.bytes > 50 * 20


async def test_reconnect_honours_retry_and_sends_last_event_id(
    tmp_path: Path, server_url: str
) -> None:
    items, session = await collect(workspace(tmp_path, server_url), "s/drop")
    # The server ends the stream after "one", "two"; reconnect resumes after id 2.
    kinds = [type(i).__name__ for i in items[:4]]
    assert kinds == ["Event", "Event", "Reconnect", "Event"]
    reconnect = items[2]
    assert isinstance(reconnect, Reconnect) and reconnect.wait == 0.05
    resumed = items[3]
    assert isinstance(resumed, Event) and resumed.data == "resumed after 2"
    assert session.stats.reconnects >= 1


async def test_without_reconnect_the_stream_just_ends(tmp_path: Path, server_url: str) -> None:
    items, session = await collect(workspace(tmp_path, server_url), "s/drop-once")
    assert [i.data for i in items if isinstance(i, Event)] == ["one", "two"]
    assert session.error is None and session.stats.reconnects == 0


async def test_a_stream_that_never_sends_times_out_clearly(tmp_path: Path, server_url: str) -> None:
    items, session = await collect(workspace(tmp_path, server_url), "s/silent")
    assert items == []
    assert session.error is not None and session.error.kind == "read_timeout"


async def test_cut_odd_lines_and_ndjson(tmp_path: Path, server_url: str) -> None:
    root = workspace(tmp_path, server_url)
    items, session = await collect(root, "s/cut")
    assert [i.data for i in items if isinstance(i, Event)] == ["whole"]
    assert session.incomplete
    items, _ = await collect(root, "s/odd")
    data = [i.data for i in items if isinstance(i, Event)]
    assert len(data[0]) == 1_500_000 and data[1:] == ["bad \ufffd byte", "ok"]
    items, _ = await collect(root, "s/lines")
    assert [json.loads(i.data) for i in items if isinstance(i, Event)] == [
        {"i": 0},
        {"i": 1},
        {"i": 2},
    ]


async def test_stream_off_reads_the_whole_body(tmp_path: Path, server_url: str) -> None:
    ws = load_workspace(workspace(tmp_path, server_url))
    async with Sender() as sender, StreamSession(sender, prepare(ws, "s/off")) as session:
        assert session.kind is None
        exchange = await session.read_exchange()
    assert exchange.response.text.count("data:") == 2


def test_the_buffer_keeps_the_last_events_and_counts_the_rest() -> None:
    buffer = EventBuffer(keep=100)
    for start in range(0, 1000, 50):
        buffer.extend([Event(str(i)) for i in range(start, start + 50)])
    assert len(buffer.events) == 100 and buffer.dropped == 900
    assert buffer.events[0].data == "900" and buffer.events[-1].data == "999"


# -- the command line ---------------------------------------------------------------------


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["callbench", "run", "-w", str(root), *args],
        capture_output=True,
        text=True,
        timeout=30,
        env=os.environ.copy(),
    )


def test_cli_prints_each_event(tmp_path: Path, server_url: str) -> None:
    result = run(workspace(tmp_path, server_url), "s/ticks")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 50 and json.loads(lines[3]) == {"n": 3, "text": "t3"}
    assert result.stderr.startswith("callbench: 50 event(s) in ")
    assert "the stream ended" in result.stderr


def test_cli_json_is_one_object_per_event_with_the_projection(
    tmp_path: Path, server_url: str
) -> None:
    result = run(workspace(tmp_path, server_url), "s/ticks", "--json", "--path", "n")
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(objects) == 50
    assert objects[7]["event"] == "tick" and objects[7]["id"] == "7" and objects[7]["value"] == 7


def test_cli_path_projects_each_event(tmp_path: Path, server_url: str) -> None:
    result = run(workspace(tmp_path, server_url), "s/ticks", "--path", "$.text")
    assert result.stdout.splitlines()[:3] == ["t0", "t1", "t2"]


def test_cli_reconnect_is_reported(tmp_path: Path, server_url: str) -> None:
    result = run(workspace(tmp_path, server_url), "s/drop")
    assert result.stdout.splitlines()[:3] == ["one", "two", "resumed after 2"]
    assert "reconnecting (attempt 1, in 0.05 s): the server closed the stream" in result.stderr


def test_cli_silent_stream_is_a_transport_error(tmp_path: Path, server_url: str) -> None:
    result = run(workspace(tmp_path, server_url), "s/silent")
    assert result.returncode == 3
    assert "timed out waiting for 127.0.0.1" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_forced_sse_on_plain_text_says_so(tmp_path: Path, server_url: str) -> None:
    result = run(workspace(tmp_path, server_url), "s/forced")
    assert result.returncode == 0 and result.stdout == ""
    assert "no events: the response is text/plain, not text/event-stream" in result.stderr


def test_cli_ctrl_c_stops_cleanly_with_a_summary(tmp_path: Path, server_url: str) -> None:
    process = subprocess.Popen(
        ["callbench", "run", "-w", str(workspace(tmp_path, server_url)), "s/slow"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    assert json.loads(first)["n"] == 0
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "stopped" in err and "event(s) in" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
