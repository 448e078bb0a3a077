"""A 50 MB JSON response in the TUI: time to the first screen of the body, and how long
key presses wait while it is formatted.

Why: a big body must never freeze the workbench (Posting freezes for 90-108 s on a 20 MB
body). Measured in one run, headless (``App.run_test``), against a loopback server:

- first screen: from the moment the last byte arrived (the exchange is handed to the
  viewer) to the first lines of the body on screen; goal <= 1 s;
- full view: to the whole pretty-printed body being scrollable (information);
- key gap: the longest time the app's event loop was blocked while all that ran (a
  probe task sleeps 5 ms at a time and records overruns), and the slowest of key presses
  sent every 30 ms through the pilot; goal <= 100 ms;
- baseline: orjson pretty-printing the same body in-process, the least work any viewer
  must do before it can show a pretty body; the headline ratios are against it.

Run: ``python tests/benchmarks/bench_tui_body.py [--mb N]``.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from textual.widgets import ContentSwitcher
from ui_latency import UiLatency

from tests.loopback import ServerThread
from tui.app.app import CallbenchApp
from tui.app.browser import Node
from tui.app.response import ResponseViewer
from tui.app.text_view import TextView

GOAL_FIRST_SCREEN = 1.0
GOAL_KEY_GAP = 0.100


def make_body(megabytes: float) -> bytes:
    item = {
        "id": 0,
        "name": "a product with a reasonably long name",
        "tags": ["alpha", "beta", "gamma"],
        "price": 12.5,
        "stock": {"warehouse": "north", "count": 17, "reserved": False},
    }
    one = len(orjson.dumps(item)) + 1
    count = int(megabytes * 1_000_000 / one)
    items = [{**item, "id": i} for i in range(count)]
    return orjson.dumps({"items": items, "total": count})


def big_body_server(body: bytes) -> ServerThread:
    """A loopback server answering GET /big with ``body``."""

    async def big(request: Request) -> Response:
        return Response(body, media_type="application/json")

    return ServerThread(Starlette(routes=[Route("/big", big)]))


async def measure(root: Path) -> dict[str, float]:
    app = CallbenchApp(root)
    marks: dict[str, float] = {}
    original_show = ResponseViewer.show_exchange

    def show_exchange(viewer: ResponseViewer, exchange: object) -> None:
        marks["last_byte"] = time.perf_counter()
        original_show(viewer, exchange)  # type: ignore[arg-type]

    ResponseViewer.show_exchange = show_exchange  # type: ignore[method-assign]
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            while not app.ready:
                await pilot.pause(0.05)
            app._open(Node("call", "big/get"))
            await pilot.pause()
            viewer = app.query_one(ResponseViewer)
            large = app.query_one("#body-large", TextView)
            switcher = app.query_one("#body-views", ContentSwitcher)
            app.action_send()
            while "last_byte" not in marks:
                await asyncio.sleep(0.002)
            async with UiLatency(app) as latency:
                deadline = time.perf_counter() + 120
                while "full" not in marks and time.perf_counter() < deadline:
                    now = time.perf_counter()
                    shown = switcher.current == "body-large" and large.line_count > 1
                    if "first" not in marks and shown:
                        marks["first"] = now
                    if viewer.big is not None:
                        marks["full"] = now
                        marks["lines"] = large.line_count
                    await asyncio.sleep(0.002)
    finally:
        ResponseViewer.show_exchange = original_show  # type: ignore[method-assign]
    if "full" not in marks:
        raise RuntimeError("the body was never fully formatted")
    marks["gap"] = latency.longest_stall
    marks["press"] = latency.slowest_key
    marks["presses"] = len(latency.latencies)
    return marks


def main() -> int:
    megabytes = float(sys.argv[sys.argv.index("--mb") + 1]) if "--mb" in sys.argv else 50.0
    body = make_body(megabytes)
    start = time.perf_counter()
    orjson.dumps(orjson.loads(body), option=orjson.OPT_INDENT_2)
    baseline = time.perf_counter() - start
    with (
        tempfile.TemporaryDirectory(prefix="callbench-bench-") as tmp,
        big_body_server(body) as server,
    ):
        for name in ("XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
            os.environ[name] = str(Path(tmp) / name.lower())
        root = Path(tmp) / "ws"
        (root / "big").mkdir(parents=True)
        (root / "big" / "collection.toml").write_text(
            f'base_url = "http://127.0.0.1:{server.port}"\n'
        )
        (root / "big" / "get.toml").write_text('method = "GET"\nurl = "/big"\n')
        marks = asyncio.run(measure(root))
    first = marks["first"] - marks["last_byte"]
    full = marks["full"] - marks["last_byte"]
    worst_key = max(marks["gap"], marks["press"])
    print(f"bench_tui_body: a {len(body) / 1e6:.1f} MB JSON body, headless TUI at 120x40")
    print(f"  orjson pretty-print in-process (baseline) : {baseline * 1000:7.0f} ms")
    print(
        f"  last byte -> first screen of the body     : {first * 1000:7.0f} ms"
        f"   {first / baseline:.2f}x baseline"
    )
    print(
        f"  last byte -> whole body scrollable        : {full * 1000:7.0f} ms"
        f"   {full / baseline:.2f}x baseline   ({int(marks['lines']):,} lines)"
    )
    print(f"  longest event-loop stall meanwhile        : {marks['gap'] * 1000:7.1f} ms")
    print(
        f"  slowest of {int(marks['presses'])} key presses meanwhile      : "
        f"{marks['press'] * 1000:7.1f} ms (sent -> handled)"
    )
    ok_first = first <= GOAL_FIRST_SCREEN
    ok_keys = worst_key <= GOAL_KEY_GAP
    print(
        f"  goal: first screen <= {GOAL_FIRST_SCREEN:.0f} s          : "
        f"{'PASS' if ok_first else 'MISS'}"
    )
    print(
        f"  goal: key gap <= {GOAL_KEY_GAP * 1000:.0f} ms              : "
        f"{'PASS' if ok_keys else 'MISS'}"
    )
    print(
        f"  result                                    : "
        f"{'PASS' if ok_first and ok_keys else 'MISS'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
