"""SVG snapshots of the workbench at 120x40 and 80x24 (pytest-textual-snapshot).

Nothing here sends: the sample workspace points at a fixed address, and the response
shown is a fixed exchange handed to the viewer, so every run draws the same screen.
Update after an intended change with ``pytest tests/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.tui_helpers import open_call, until_ready
from tui.app.app import CallbenchApp
from tui.app.response import ResponseViewer
from tui.core.exchange import Exchange, ResponseData, SentRequest, Timing
from tui.core.sse import Event
from tui.core.streaming import StreamStats

SAMPLE = Path(__file__).parent.parent / "collections"
WIDE = (120, 40)
NARROW = (80, 24)


@pytest.fixture
def sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "sample"
    shutil.copytree(SAMPLE, root)
    settings = root / "callbench.toml"  # no endpoints server in a snapshot
    settings.write_text(settings.read_text().replace("autostart = true", "autostart = false"))
    monkeypatch.chdir(root)  # problems are shown relative to the current folder
    return root


def fixed_exchange() -> Exchange:
    body = (
        b'{"items": [{"id": 1, "name": "Teapot", "price": 18.5, "tags": ["kitchen"]},'
        b' {"id": 2, "name": "Mug", "price": 6.0, "tags": ["kitchen", "gift"]}], "total": 2}'
    )
    return Exchange(
        call_ref="shop/list-products",
        request=SentRequest(
            "GET",
            "http://127.0.0.1:8787/products?locale=en&limit=20",
            [("User-Agent", "callbench-sample/1.0"), ("Accept", "application/json")],
        ),
        response=ResponseData(
            status=200,
            reason="OK",
            http_version="HTTP/1.1",
            url="http://127.0.0.1:8787/products?locale=en&limit=20",
            headers=[("content-type", "application/json"), ("content-length", str(len(body)))],
            body=body,
        ),
        timing=Timing(
            total=0.0123, ttfb=0.0101, connect=0.0004, send=0.0001, wait=0.0095, download=0.0022
        ),
        started_at=0,
    )


async def show_response(pilot: Pilot[Any]) -> None:
    await open_call(pilot, "List products")
    viewer = pilot.app.query_one(ResponseViewer)
    viewer.show_exchange(fixed_exchange())
    await pilot.pause(0.3)
    await pilot.wait_for_scheduled_animations()


async def open_create_order(pilot: Pilot[Any]) -> None:
    await open_call(pilot, "Create order")
    await pilot.press("f3", "alt+b")  # the Body tab
    await pilot.pause(0.2)


@pytest.mark.parametrize("size", [WIDE, NARROW], ids=["120x40", "80x24"])
def test_workbench_with_a_response(snap_compare: Any, sample: Path, size: tuple[int, int]) -> None:
    assert snap_compare(CallbenchApp(sample), run_before=show_response, terminal_size=size)


@pytest.mark.parametrize("size", [WIDE, NARROW], ids=["120x40", "80x24"])
def test_json_body_editor(snap_compare: Any, sample: Path, size: tuple[int, int]) -> None:
    assert snap_compare(CallbenchApp(sample), run_before=open_create_order, terminal_size=size)


def test_variables_pane_at_80x24(snap_compare: Any, sample: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_call(pilot, "Create order")
        await pilot.press("f4")
        await pilot.pause(0.2)

    assert snap_compare(CallbenchApp(sample), run_before=run_before, terminal_size=NARROW)


def test_help_screen(snap_compare: Any, sample: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await until_ready(pilot)
        await pilot.press("f1")
        await pilot.pause(0.2)

    assert snap_compare(CallbenchApp(sample), run_before=run_before, terminal_size=NARROW)


def test_unsaved_changes_dialog(snap_compare: Any, sample: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_call(pilot, "Get product")
        await pilot.press("ctrl+l", "end", *"/v2")
        await open_call(pilot, "List products")
        await pilot.pause(0.2)

    assert snap_compare(CallbenchApp(sample), run_before=run_before, terminal_size=WIDE)


def test_broken_file(snap_compare: Any, sample: Path) -> None:
    (sample / "shop" / "broken.toml").write_text('name = "Broken"\nurl = "/x\n')

    async def run_before(pilot: Pilot[Any]) -> None:
        await open_call(pilot, "broken")
        await pilot.pause(0.2)

    assert snap_compare(CallbenchApp(sample), run_before=run_before, terminal_size=NARROW)


class _FixedStats(StreamStats):
    """Counters that read the same in every run."""

    @property
    def elapsed(self) -> float:
        return 2.0


def test_stream_view(snap_compare: Any, sample: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_call(pilot, "Ticker")
        viewer = pilot.app.query_one(ResponseViewer)
        head = fixed_exchange()
        head.response.headers = [("content-type", "text/event-stream")]
        head.response.body = b""
        view = viewer.show_stream(head)
        stats = _FixedStats(events=6, bytes=420)
        view.start(stats)
        for n in range(6):
            view.push(Event(f'{{"n": {n}, "token": "t{n}"}}', "tick", str(n), None, n * 0.5))
        view.finish("the stream ended")
        viewer.stream_ended("the stream ended")
        await pilot.pause(0.3)

    assert snap_compare(CallbenchApp(sample), run_before=run_before, terminal_size=WIDE)
