"""Helpers for pilot tests of the workbench."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from tests.conftest import write


def sample_workspace(root: Path, base_url: str) -> Path:
    """A small workspace whose calls go to the loopback test server."""
    return write(
        root,
        {
            "callbench.toml": 'name = "pilot"\ndefault_environment = "dev"\n',
            "environments/dev.toml": f'[variables]\napi = "{base_url}"\nwho = "dev-who"\n',
            "environments/other.toml": '[variables]\napi = "http://127.0.0.1:9"\nwho = "o"\n',
            "api/collection.toml": 'name = "API"\nbase_url = "{{api}}"\n',
            "api/items.toml": 'name = "Items"\nmethod = "GET"\nurl = "/items"\n',
            "api/echo.toml": (
                'name = "Echo"\nmethod = "POST"\nurl = "/echo"\n[query]\nwho = "{{who}}"\n'
                "[body]\ntype = \"json\"\ncontent = '''\n{\"qty\": {{qty}}}\n'''\n"
                '[variables]\nqty = { type = "integer", default = 1 }\n'
            ),
            "api/slow.toml": 'name = "Slow"\nurl = "/slow?seconds=5"\n',
            "api/orders/create.toml": (
                'name = "Create order"\nmethod = "POST"\nurl = "/orders"\nuse_as = "action"\n'
                '[body]\ntype = "json"\ncontent = \'{"qty": 1}\'\n'
            ),
        },
    )


async def wait_for(
    pilot: Pilot[object], predicate: Callable[[], bool], timeout: float = 10
) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        # A plain sleep: the app runs meanwhile (pilot.pause would wait for the whole
        # screen to go idle each time, which throttles a fast stream to a crawl).
        await asyncio.sleep(0.02)
    await pilot.pause()


async def until_ready(pilot: Pilot[object]) -> None:
    """Wait for the panes the app mounts just after its first frame."""
    await wait_for(pilot, lambda: bool(getattr(pilot.app, "ready", False)))
    await pilot.pause()


async def open_call(pilot: Pilot[object], title: str) -> None:
    """Open a call with the keyboard: filter by its title, Enter, Enter."""
    await until_ready(pilot)
    await pilot.press("f2", "slash")
    for char in title:
        await pilot.press(char if char != " " else "space")
    await pilot.press("enter", "enter")
    await pilot.pause()
