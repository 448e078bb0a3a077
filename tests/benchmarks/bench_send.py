"""Send overhead: 1,000 sequential GETs through the core vs a bare ``httpx.AsyncClient``.

Why: every send in the CLI and the TUI goes through ``prepare`` (templating, scope, request
building) and ``Sender.send`` (tracing, recording the exchange). That work must stay small
next to the HTTP round trip itself, so the figure is a ratio against raw httpx talking to
the same loopback server in the same run, which holds on a noisy machine.

Run: ``python tests/benchmarks/bench_send.py [--profile]`` (exit 0 with PASS or MISS,
non-zero on error; --profile adds a cProfile summary of the core sends).
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.loopback import ServerThread
from tui.core.runner import prepare
from tui.core.sender import Sender
from tui.core.workspace import Workspace, load_workspace

REQUESTS = 1_000
WARMUP = 50
ROUNDS = 5
BLOCK = 100  # requests per interleaved block; REQUESTS is a multiple of it
GOAL = 1.15
CALL_REF = "bench/get"


async def small_json(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True, "id": 42, "name": "thing"})


APP = Starlette(routes=[Route("/json", small_json)])


def isolate_environment(home: Path) -> None:
    """Loopback only, no proxies, and no real config folders or keyring."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        os.environ.pop(name, None)
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        os.environ[name] = str(home / name.lower())
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"


def write_workspace(root: Path, base_url: str) -> None:
    """One collection with one GET call, as a user would write it."""
    (root / "bench").mkdir(parents=True)
    (root / "bench" / "collection.toml").write_text(
        f'name = "Bench"\nbase_url = "{base_url}"\n', encoding="utf-8"
    )
    (root / "bench" / "get.toml").write_text(
        'name = "Get JSON"\nmethod = "GET"\nurl = "/json"\n', encoding="utf-8"
    )


async def core_requests(sender: Sender, ws: Workspace, n: int) -> float:
    """Seconds for ``n`` sends, building the request each time as a real send does."""
    start = time.perf_counter()
    for _ in range(n):
        prepared = prepare(ws, CALL_REF, None, {})
        exchange = await sender.send(prepared)
        if exchange.response.status != 200:
            raise RuntimeError(f"core send got status {exchange.response.status}")
    return time.perf_counter() - start


async def raw_requests(client: httpx.AsyncClient, url: str, n: int) -> float:
    """Seconds for ``n`` bare httpx GETs with the body read: the floor the core sits on."""
    start = time.perf_counter()
    for _ in range(n):
        response = await client.get(url)
        response.read()
        if response.status_code != 200:
            raise RuntimeError(f"raw send got status {response.status_code}")
    return time.perf_counter() - start


async def measure(root: Path, url: str) -> tuple[list[float], list[float]]:
    """Per round, both sides send ``REQUESTS`` in interleaved blocks, alternating which side
    goes first, so drift on a busy machine hits both sides alike."""
    ws = load_workspace(root)
    core_times: list[float] = []
    raw_times: list[float] = []
    async with Sender() as sender, httpx.AsyncClient() as client:
        await core_requests(sender, ws, WARMUP)
        await raw_requests(client, url, WARMUP)
        for _ in range(ROUNDS):
            core = raw = 0.0
            for block in range(REQUESTS // BLOCK):
                if block % 2 == 0:
                    core += await core_requests(sender, ws, BLOCK)
                    raw += await raw_requests(client, url, BLOCK)
                else:
                    raw += await raw_requests(client, url, BLOCK)
                    core += await core_requests(sender, ws, BLOCK)
            core_times.append(core)
            raw_times.append(raw)
    return core_times, raw_times


async def profile(root: Path) -> None:
    """With --profile: where ``REQUESTS`` core sends spend their time (client thread only)."""
    ws = load_workspace(root)
    async with Sender() as sender:
        await core_requests(sender, ws, WARMUP)
        profiler = cProfile.Profile()
        profiler.enable()
        await core_requests(sender, ws, REQUESTS)
        profiler.disable()
    print(f"\nprofile of {REQUESTS} core sends (cProfile, this thread only):")
    for key in ("cumulative", "tottime"):
        pstats.Stats(profiler, stream=sys.stdout).sort_stats(key).print_stats(20)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="callbench-bench-") as tmp:
        isolate_environment(Path(tmp) / "home")
        root = Path(tmp) / "ws"
        with ServerThread(APP) as server:
            write_workspace(root, server.url)
            core_times, raw_times = asyncio.run(measure(root, server.url + "/json"))
            report(core_times, raw_times)
            if "--profile" in sys.argv[1:]:
                asyncio.run(profile(root))
    return 0


def report(core_times: list[float], raw_times: list[float]) -> None:

    ratios = [c / r for c, r in zip(core_times, raw_times, strict=True)]
    ratio = statistics.median(ratios)
    core_rps = REQUESTS / statistics.median(core_times)
    raw_rps = REQUESTS / statistics.median(raw_times)
    print(f"bench_send: {REQUESTS} sequential GETs to 127.0.0.1 (uvicorn + Starlette, same")
    print(f"  process), {WARMUP} warm-up each; {ROUNDS} rounds, each side interleaved in blocks")
    print(f"  of {BLOCK}; figures are medians over rounds")
    print(f"  raw httpx.AsyncClient    : {raw_rps:8.0f} req/s")
    print(f"  core prepare + send      : {core_rps:8.0f} req/s")
    overhead_us = (statistics.median(core_times) - statistics.median(raw_times)) / REQUESTS * 1e6
    print(f"  core overhead            : {overhead_us:8.0f} us/request")
    print(f"  per-round ratios         : {', '.join(f'{r:.3f}' for r in ratios)}")
    print(f"  ratio core/raw (median)  : {ratio:.3f}x")
    print(f"  goal                     : core <= {GOAL:.2f}x raw")
    print(f"  result                   : {'PASS' if ratio <= GOAL else 'MISS'}")


if __name__ == "__main__":
    sys.exit(main())
