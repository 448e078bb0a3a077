"""Server-Sent Events throughput: a bare httpx-sse client, the core iterator, the TUI.

Why: live streams (LLM tokens, scores, job progress) must be shown as fast as they come.
A loopback server in its own process streams small events as fast as it can, one event
per write; in one run we measure events/s received by

- a bare httpx-sse client (the baseline),
- the core's StreamSession (goal >= 0.8x the baseline),
- the TUI, headless (``App.run_test``), with every event counted and the longest wait of
  a key press meanwhile (goals: >= 20,000 events/s with none dropped, keys <= 100 ms).

Run: ``python tests/benchmarks/bench_stream.py [--events N]``.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx
from httpx_sse import aconnect_sse

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ui_latency import UiLatency

from tui.app.app import CallbenchApp
from tui.app.browser import Node
from tui.app.stream_view import StreamView
from tui.core.runner import prepare
from tui.core.sender import Sender
from tui.core.sse import Event
from tui.core.streaming import StreamSession
from tui.core.workspace import load_workspace

GOAL_CORE = 0.8
GOAL_TUI_RATE = 20_000
GOAL_KEY = 0.100

SERVER = textwrap.dedent(
    """
    import socket, sys, uvicorn
    from starlette.applications import Starlette
    from starlette.responses import StreamingResponse
    from starlette.routing import Route

    async def events(request):
        count = int(request.query_params["count"])
        async def body():
            for i in range(count):
                yield b'id: %d\\ndata: {"n": %d, "token": "t%d"}\\n\\n' % (i, i, i)
        return StreamingResponse(body(), media_type="text/event-stream")

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    print(f"on http://127.0.0.1:{sock.getsockname()[1]}", file=sys.stderr, flush=True)
    uvicorn.Server(uvicorn.Config(Starlette(routes=[Route("/events", events)]),
                                  log_level="critical")).run(sockets=[sock])
    """
)


async def bare(url: str, count: int) -> float:
    start = time.perf_counter()
    received = 0
    async with (
        httpx.AsyncClient(timeout=60) as client,
        aconnect_sse(client, "GET", f"{url}/events?count={count}") as source,
    ):
        async for _ in source.aiter_sse():
            received += 1
    assert received == count, received
    return received / (time.perf_counter() - start)


async def core(root: Path, count: int) -> float:
    workspace = load_workspace(root)
    start = time.perf_counter()
    received = 0
    async with Sender() as sender:
        prepared = prepare(workspace, "bench/events", None, {"count": str(count)})
        async with StreamSession(sender, prepared) as session:
            async for item in session.events():
                if isinstance(item, Event):
                    received += 1
    assert received == count, received
    return received / (time.perf_counter() - start)


async def tui(root: Path, count: int) -> tuple[float, int, float, float]:
    app = CallbenchApp(root)
    async with app.run_test(size=(120, 40)) as pilot:
        while not app.ready:
            await pilot.pause(0.05)
        app._open(Node("call", "bench/events"))
        app.session.set_value("bench/events", "count", str(count))
        await pilot.pause()
        view = app.query_one(StreamView)
        async with UiLatency(app) as latency:
            start = time.perf_counter()
            app.action_send()
            while view.state != "ended" and time.perf_counter() - start < 120:
                await asyncio.sleep(0.01)
            elapsed = time.perf_counter() - start
        shown = view.stats.events if view.stats else 0
    return shown / elapsed, shown, latency.slowest_key, latency.longest_stall


def main() -> int:
    count = int(sys.argv[sys.argv.index("--events") + 1]) if "--events" in sys.argv else 100_000
    with tempfile.TemporaryDirectory(prefix="callbench-bench-") as tmp:
        for name in ("XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
            os.environ[name] = str(Path(tmp) / name.lower())
        server = subprocess.Popen([sys.executable, "-c", SERVER], stderr=subprocess.PIPE, text=True)
        assert server.stderr is not None
        url = re.search(r"on (http://\S+)", server.stderr.readline()).group(1)  # type: ignore[union-attr]
        try:
            root = Path(tmp) / "ws"
            (root / "bench").mkdir(parents=True)
            (root / "bench" / "collection.toml").write_text(f'base_url = "{url}"\n')
            (root / "bench" / "events.toml").write_text(
                'url = "/events?count={{count}}"\n[variables]\ncount = "1000"\n'
            )
            asyncio.run(bare(url, 1000))  # warm-up
            base = asyncio.run(bare(url, count))
            ours = asyncio.run(core(root, count))
            rate, shown, key, gap = asyncio.run(tui(root, count))
        finally:
            server.terminate()
            server.wait(10)
    print(f"bench_stream: {count:,} small SSE events, one per write, server in its own process")
    print(f"  bare httpx-sse client (baseline) : {base:10,.0f} events/s")
    print(f"  core StreamSession               : {ours:10,.0f} events/s   {ours / base:.2f}x")
    print(
        f"  TUI (headless), counted          : {rate:10,.0f} events/s   {rate / base:.2f}x"
        f"   ({shown:,} of {count:,} counted)"
    )
    print(f"  slowest key press meanwhile      : {key * 1000:8.1f} ms (sent -> handled)")
    print(f"  longest event-loop stall         : {gap * 1000:8.1f} ms")
    print(
        f"  goal: core >= {GOAL_CORE}x baseline       : "
        f"{'PASS' if ours / base >= GOAL_CORE else 'MISS'}"
    )
    print(
        f"  goal: TUI >= {GOAL_TUI_RATE:,}/s, none dropped : "
        f"{'PASS' if rate >= GOAL_TUI_RATE and shown == count else 'MISS'}"
    )
    print(
        f"  goal: keys <= {GOAL_KEY * 1000:.0f} ms              : "
        f"{'PASS' if key <= GOAL_KEY else 'MISS'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
