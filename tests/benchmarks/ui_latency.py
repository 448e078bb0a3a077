"""How responsive a headless app stays while something runs, for the TUI benchmarks.

Two probes run in the app's event loop: one sleeps 5 ms at a time and records how late
it wakes (the longest stall of the loop); the other posts a "down" key every 30 ms to
the focused browser tree and times it from sent to handled.
"""

from __future__ import annotations

import asyncio
import time
from types import TracebackType
from typing import Any

from textual import events

from tui.app.browser import BrowserTree


class UiLatency:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.gaps: list[float] = []
        self.latencies: list[float] = []
        self._handled: list[float] = []
        self._done = False
        self._tasks: list[asyncio.Task[None]] = []
        self._original = BrowserTree.action_cursor_down

    @property
    def slowest_key(self) -> float:
        return max(self.latencies, default=0.0)

    @property
    def longest_stall(self) -> float:
        return max(self.gaps, default=0.0)

    async def __aenter__(self) -> UiLatency:
        handled = self._handled
        original = self._original

        def cursor_down(tree: BrowserTree) -> None:
            handled.append(time.perf_counter())
            original(tree)

        BrowserTree.action_cursor_down = cursor_down  # type: ignore[method-assign]
        self.app.query_one("#browser-tree").focus()
        self._tasks = [asyncio.create_task(self._stalls()), asyncio.create_task(self._keys())]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._done = True
        await asyncio.gather(*self._tasks)
        BrowserTree.action_cursor_down = self._original  # type: ignore[method-assign]

    async def _stalls(self) -> None:
        while not self._done:
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            self.gaps.append(time.perf_counter() - before - 0.005)

    async def _keys(self) -> None:
        while not self._done:
            sent = time.perf_counter()
            seen = len(self._handled)
            self.app.post_message(events.Key("down", None))
            while len(self._handled) == seen and time.perf_counter() - sent < 5:
                await asyncio.sleep(0.001)
            self.latencies.append(time.perf_counter() - sent)
            await asyncio.sleep(0.03)
