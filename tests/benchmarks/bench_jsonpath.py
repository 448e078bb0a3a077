"""JSONPath on a 50 MB response: the core vs jsonpath-ng, and the UI meanwhile.

Why: users pull ids out of big responses; the path bar must answer fast and never
freeze the app. Measured in one run on the same generated document:

- ``$.items[*].id`` evaluated by jsonpath-ng directly (the baseline) and through the
  core's ``select_json`` (which walks jsonpath-ng's parse tree directly for plain paths),
  both on the parsed document; the parse itself is shown apart;
- in the TUI (headless): from typing the path in the Paths tab of a 50 MB response to
  the result shown (parse and evaluation in a child process), with the slowest key press
  and longest event-loop stall meanwhile. Goals: <= 1.5 s, keys <= 100 ms.

Run: ``python tests/benchmarks/bench_jsonpath.py [--mb 50]``.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_tui_body import big_body_server, make_body
from jsonpath_ng.ext import parse as parse_ext
from textual.widgets import Input, TabbedContent
from ui_latency import UiLatency

from tui.app.app import CallbenchApp
from tui.app.browser import Node
from tui.app.paths_pane import PathsPane
from tui.app.response import ResponseViewer
from tui.core.selector import compile_path, select_json

EXPRESSION = "$.items[*].id"
GOAL_SECONDS = 1.5
GOAL_KEY = 0.100


async def in_tui(root: Path) -> tuple[float, float, float, int]:
    app = CallbenchApp(root)
    async with app.run_test(size=(120, 40)) as pilot:
        while not app.ready:
            await pilot.pause(0.05)
        app._open(Node("call", "big/get"))
        await pilot.pause()
        viewer = app.query_one(ResponseViewer)
        app.action_send()
        while viewer.big is None:  # sent, received, formatted
            await asyncio.sleep(0.05)
        viewer.query_one("#response-tabs", TabbedContent).active = "tab-paths"
        pane = viewer.query_one(PathsPane)
        await pilot.pause()
        async with UiLatency(app) as latency:
            start = time.perf_counter()
            pane.query_one("#path-input", Input).value = EXPRESSION
            while pane.result is None and time.perf_counter() - start < 60:
                await asyncio.sleep(0.005)
            elapsed = time.perf_counter() - start
        count = len(pane.result) if isinstance(pane.result, list) else 0
    return elapsed, latency.slowest_key, latency.longest_stall, count


def main() -> int:
    megabytes = float(sys.argv[sys.argv.index("--mb") + 1]) if "--mb" in sys.argv else 50.0
    body = make_body(megabytes)
    start = time.perf_counter()
    document = orjson.loads(body)
    parse_seconds = time.perf_counter() - start
    start = time.perf_counter()
    baseline = [m.value for m in parse_ext(EXPRESSION).find(document)]
    base_seconds = time.perf_counter() - start
    start = time.perf_counter()
    ours = select_json(compile_path(EXPRESSION), document).values
    core_seconds = time.perf_counter() - start
    assert ours == baseline, "the core must find exactly what jsonpath-ng finds"
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
        (root / "big" / "get.toml").write_text('url = "/big"\n')
        tui_seconds, key, gap, count = asyncio.run(in_tui(root))
    print(
        f"bench_jsonpath: {EXPRESSION} on a {len(body) / 1e6:.1f} MB JSON body "
        f"({len(baseline):,} matches)"
    )
    print(f"  orjson parse of the body (info)         : {parse_seconds * 1000:7.0f} ms")
    print(f"  jsonpath-ng find (baseline)             : {base_seconds * 1000:7.0f} ms")
    print(
        f"  core select_json                        : {core_seconds * 1000:7.0f} ms   "
        f"{core_seconds / base_seconds:.3f}x baseline"
    )
    print(
        f"  TUI: typed -> result shown (child proc) : {tui_seconds * 1000:7.0f} ms   "
        f"({count:,} values)"
    )
    print(f"  slowest key press meanwhile             : {key * 1000:7.1f} ms")
    print(f"  longest event-loop stall meanwhile      : {gap * 1000:7.1f} ms")
    print(
        f"  goal: result <= {GOAL_SECONDS} s                : "
        f"{'PASS' if tui_seconds <= GOAL_SECONDS and count == len(baseline) else 'MISS'}"
    )
    print(
        f"  goal: keys <= {GOAL_KEY * 1000:.0f} ms                   : "
        f"{'PASS' if key <= GOAL_KEY else 'MISS'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
