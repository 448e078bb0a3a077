"""Pilot tests of the stream view against the real loopback server."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Input, Switch

from tests.tui_helpers import open_call, sample_workspace, wait_for
from tui.app.app import CallbenchApp
from tui.app.dialogs import PromptScreen
from tui.app.stream_view import EventList, StreamView
from tui.app.text_view import TextView


def stream_workspace(tmp_path: Path, server_url: str) -> Path:
    root = sample_workspace(tmp_path / "ws", server_url)
    (root / "api" / "ticks.toml").write_text('name = "Ticks"\nurl = "/sse?count=200"\n')
    (root / "api" / "slow-stream.toml").write_text(
        'name = "Slow stream"\nurl = "/sse?count=1000&interval=0.05"\n'
    )
    (root / "api" / "drops.toml").write_text(
        'name = "Drops"\nurl = "/sse/drop"\n[options]\nreconnect = true\n'
    )
    return root


def text_of(view: TextView) -> str:
    return "\n".join(view.source.line(i) for i in range(view.line_count))


async def test_events_appear_live_filter_project_join_and_save(
    tmp_path: Path, server_url: str
) -> None:
    root = stream_workspace(tmp_path, server_url)
    app = CallbenchApp(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_call(pilot, "Ticks")
        await pilot.press("ctrl+j")
        view = app.query_one(StreamView)
        events = view.query_one(EventList)
        await wait_for(pilot, lambda: view.state == "ended")
        assert len(events.rows) == 200 and view.stats is not None and view.stats.events == 200
        counters = str(view.query_one("#stream-counters").render())
        assert "200 events" in counters and "the stream ended" in counters
        assert app.query_one("#response-tabs").active == "tab-stream"
        # The newest is followed and selected; its data is shown pretty.
        detail = view.query_one("#stream-detail", TextView)
        await wait_for(pilot, lambda: '"n": 199' in text_of(detail))
        # Text filter.
        view.query_one("#stream-text", Input).value = '"t7"'
        await pilot.pause()
        assert [e.id for e in events.rows] == ["7"]
        view.query_one("#stream-text", Input).value = ""
        # Projection joined into a live text.
        view.query_one("#stream-path", Input).value = "$.text"
        view.query_one("#stream-join", Switch).value = True
        await pilot.pause()
        joined = text_of(view.query_one("#stream-joined", TextView))
        assert joined.startswith("t0t1t2t3") and joined.endswith("t199")
        # Save as JSON Lines.
        out = tmp_path / "events.jsonl"
        events.focus()
        await pilot.press("w")
        assert isinstance(app.screen, PromptScreen)
        app.screen.query_one(Input).value = str(out)
        await pilot.press("enter")
        await pilot.pause()
        lines = out.read_text().splitlines()
        assert len(lines) == 200 and json.loads(lines[5])["id"] == "5"


async def test_escape_stops_a_stream_and_keeps_what_arrived(
    tmp_path: Path, server_url: str
) -> None:
    app = CallbenchApp(stream_workspace(tmp_path, server_url))
    async with app.run_test(size=(120, 40)) as pilot:
        await open_call(pilot, "Slow stream")
        await pilot.press("ctrl+j")
        view = app.query_one(StreamView)
        await wait_for(pilot, lambda: len(view.query_one(EventList).rows) >= 3)
        await pilot.press("escape")
        await wait_for(pilot, lambda: view.state == "ended")
        kept = len(view.query_one(EventList).rows)
        assert 3 <= kept < 1000
        assert "stopped" in str(view.query_one("#stream-counters").render())
        await pilot.pause(0.3)
        assert len(view.query_one(EventList).rows) == kept, "nothing more after stopping"


async def test_reconnects_are_shown_in_the_list(tmp_path: Path, server_url: str) -> None:
    app = CallbenchApp(stream_workspace(tmp_path, server_url))
    async with app.run_test(size=(120, 40)) as pilot:
        await open_call(pilot, "Drops")
        await pilot.press("ctrl+j")
        view = app.query_one(StreamView)
        events = view.query_one(EventList)
        await wait_for(pilot, lambda: len(events.rows) >= 4, timeout=15)
        kinds = [type(item).__name__ for item in list(events.rows)[:4]]
        assert kinds == ["Event", "Event", "Reconnect", "Event"]
        await pilot.press("escape")
