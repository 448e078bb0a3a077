"""Endpoints server under load: 1,000 concurrent requests to an endpoint with validated inputs.

Why: mocks and webhook receivers sit in front of real test suites; they must not be the
slow or flaky part. Measured in one run, each server in its own process on loopback:

- ``callbench serve`` (the real command) answering an endpoint with typed inputs from
  the path, query and a header, a templated JSON body and a run-history record;
- baseline: a bare Starlette route on uvicorn returning the same JSON (no validation,
  no templating, no history).

1,000 requests are started at once over ``CONNECTIONS`` keep-alive connections; reported:
errors (goal 0), p50 and p99 latency, and their ratio to the baseline's.

Run: ``python tests/benchmarks/bench_endpoints.py``.
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REQUESTS = 1000
CONNECTIONS = 100
ROUNDS = 3

ENDPOINT = """\
method = "GET"
path = "/orders/{order_id}"
[security]
type = "public"
[inputs]
order_id = { from = "path", type = "integer" }
qty = { from = "query", type = "integer" }
trace = { from = "header", type = "string", key = "X-Trace" }
[response]
body = '{"order": {{order_id}}, "qty": {{qty}}, "trace": "{{trace}}"}'
"""

BARE = textwrap.dedent(
    """
    import socket, sys, uvicorn
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def order(request):
        return JSONResponse({"order": int(request.path_params["order_id"]),
                             "qty": int(request.query_params["qty"]),
                             "trace": request.headers["x-trace"]})

    app = Starlette(routes=[Route("/orders/{order_id}", order)])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    print(f"on http://127.0.0.1:{sock.getsockname()[1]}", file=sys.stderr, flush=True)
    uvicorn.Server(uvicorn.Config(app, log_level="critical")).run(sockets=[sock])
    """
)


def start(command: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
    )
    assert process.stderr is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        found = re.search(r"on (http://127\.0\.0\.1:\d+)", line)
        if found:
            return process, found.group(1)
        if not line and process.poll() is not None:
            break
    process.kill()
    raise RuntimeError(f"server did not start: {command}")


async def load(url: str) -> tuple[list[float], int]:
    """REQUESTS requests over CONNECTIONS keep-alive connections, all started at once.

    A lean client on raw asyncio streams: httpx on the same two cores would be the
    bottleneck, and the figures would measure the client instead of the servers.
    """
    host, port = url.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors = 0
    per_connection = REQUESTS // CONNECTIONS

    async def connection(first: int) -> None:
        nonlocal errors
        try:
            reader, writer = await asyncio.open_connection(host, int(port))
        except OSError:
            errors += per_connection
            return
        for i in range(first, first + per_connection):
            request = (
                f"GET /orders/{i}?qty={i % 7} HTTP/1.1\r\nHost: {host}\r\nX-Trace: t{i}\r\n\r\n"
            ).encode()
            start = time.perf_counter()
            try:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(re.search(rb"content-length: (\d+)", head.lower()).group(1))
                body = await reader.readexactly(length)
                if not head.startswith(b"HTTP/1.1 200") or f'"order":{i}'.encode() not in (
                    body.replace(b" ", b"")
                ):
                    errors += 1
            except (OSError, asyncio.IncompleteReadError, AttributeError):
                errors += 1
            latencies.append(time.perf_counter() - start)
        writer.close()

    await asyncio.gather(*(connection(c * per_connection) for c in range(CONNECTIONS)))
    return latencies, errors


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="callbench-bench-") as tmp:
        root = Path(tmp) / "ws"
        (root / "endpoints").mkdir(parents=True)
        (root / "endpoints" / "order.toml").write_text(ENDPOINT)
        env = {**os.environ}
        for name in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
            env[name] = str(Path(tmp) / name.lower())
        ours, ours_url = start(
            [sys.executable, "-m", "tui", "serve", str(root), "--port", "0"], env
        )
        bare, bare_url = start([sys.executable, "-c", BARE], env)
        results: dict[str, list[tuple[float, float, int]]] = {"ours": [], "bare": []}
        try:
            for _ in range(ROUNDS):  # alternate, so both see the same machine
                for name, url in (("bare", bare_url), ("ours", ours_url)):
                    latencies, errors = asyncio.run(load(url))
                    results[name].append(
                        (percentile(latencies, 0.5), percentile(latencies, 0.99), errors)
                    )
        finally:
            ours.terminate()
            bare.terminate()
            ours.wait(10)
            bare.wait(10)
        history = list((Path(tmp) / "xdg_data_home").rglob("endpoints.jsonl"))
        recorded = len(history[0].read_text().splitlines()) if history else 0

    def summary(name: str) -> tuple[float, float, int]:
        rows = results[name]
        return (
            statistics.median(r[0] for r in rows),
            statistics.median(r[1] for r in rows),
            sum(r[2] for r in rows),
        )

    p50, p99, errors = summary("ours")
    b50, b99, b_errors = summary("bare")
    print(
        f"bench_endpoints: {REQUESTS} concurrent requests ({CONNECTIONS} connections), "
        f"median of {ROUNDS} rounds, servers in their own processes"
    )
    print(
        f"  bare Starlette route (baseline) : p50 {b50 * 1000:6.1f} ms   p99 "
        f"{b99 * 1000:6.1f} ms   errors {b_errors}"
    )
    print(
        f"  callbench serve, typed inputs   : p50 {p50 * 1000:6.1f} ms   p99 "
        f"{p99 * 1000:6.1f} ms   errors {errors}"
    )
    print(f"  ratio to baseline               : p50 {p50 / b50:.2f}x   p99 {p99 / b99:.2f}x")
    print(f"  runs in the history file        : {recorded} (of {ROUNDS * REQUESTS})")
    print(f"  goal: 0 errors                  : {'PASS' if errors == 0 else 'MISS'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
