"""Run CPU-heavy jobs (formatting big bodies) in a child process.

A thread would hold the interpreter lock for the whole job and freeze the UI; a child
process does not. The child is a plain ``python -m`` of a core module that prints its
result as JSON, so nothing of the app (its threads, its ``__main__``) is copied or
re-imported, as multiprocessing's fork and spawn would.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import orjson


class JobFailed(RuntimeError):
    pass


async def run_module(module: str, *args: str) -> Any:
    """Run ``python -m module args...`` and return the JSON it prints on stdout."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await process.communicate()
    except asyncio.CancelledError:
        if process.returncode is None:
            process.kill()
        raise
    if process.returncode != 0:
        message = stderr.decode(errors="replace").strip().splitlines()
        raise JobFailed(message[-1] if message else f"{module} exited {process.returncode}")
    return json.loads(stdout)


class QueryProcess:
    """A child that parsed a big body once and answers JSONPath queries about it."""

    def __init__(self, body_file: str) -> None:
        self.body_file = body_file
        self._process: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()
        self._ready: Any = None

    async def start(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tui.core.path_eval",
            "--serve",
            self.body_file,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            limit=1 << 30,  # one answer is one line, however many values it holds
        )
        self._ready = asyncio.ensure_future(self._read())

    async def _read(self) -> Any:
        assert self._process is not None and self._process.stdout is not None
        line = await self._process.stdout.readline()
        if not line:
            raise JobFailed("the query process stopped")
        return orjson.loads(line)

    async def query(self, expression: str) -> dict[str, Any]:
        async with self._lock:
            if self._process is None:
                await self.start()
            ready = await self._ready
            if "error" in ready:
                return dict(ready)
            assert self._process is not None and self._process.stdin is not None
            self._process.stdin.write(expression.replace("\n", " ").encode() + b"\n")
            await self._process.stdin.drain()
            answer: dict[str, Any] = await self._read()
            return answer

    def _forget_ready(self) -> None:
        ready, self._ready = self._ready, None
        if ready is not None:
            if ready.done():
                ready.exception()  # retrieved: a killed child is not an error to report
            else:
                ready.cancel()

    def close(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.kill()
        self._process = None
        self._forget_ready()

    async def aclose(self) -> None:
        """Kill the child and reap it while the event loop still runs."""
        process, self._process = self._process, None
        self._forget_ready()
        if process is not None:
            if process.returncode is None:
                process.kill()
            await process.wait()
