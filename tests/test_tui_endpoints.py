"""Pilot test of the Endpoints pane: start the server, watch runs arrive, new endpoints."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.conftest import write
from tests.tui_helpers import until_ready, wait_for
from tui.app.app import CallbenchApp
from tui.app.dialogs import ChoiceScreen, PromptScreen
from tui.app.endpoints import EndpointsScreen
from tui.app.text_view import TextView

FILES = {
    "callbench.toml": "[serve]\nport = 0\nautostart = false\n",
    "api/collection.toml": 'base_url = "http://127.0.0.1:9"\n',
    "api/get.toml": 'url = "/x"\n[sample]\nbody = \'{"sampled": true}\'\n',
    "endpoints/hello.toml": (
        'path = "/hello/{who}"\n[security]\ntype = "public"\n'
        '[response]\nbody = \'{"hello": "{{who}}"}\'\n'
    ),
    "endpoints/broken.toml": 'path = "/x\n',
}


async def test_endpoints_pane_serves_and_shows_runs_live(tmp_path: Path) -> None:
    root = write(tmp_path / "ws", FILES)
    app = CallbenchApp(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_ready(pilot)
        await pilot.press("f8")
        screen = app.screen
        assert isinstance(screen, EndpointsScreen)
        assert "stopped" in str(screen.query_one("#server-status").render())
        assert screen.query_one("#endpoints-table").row_count == 1
        assert "broken.toml:1" in str(screen.query_one("#endpoint-problems").render())
        await pilot.press("s")
        await wait_for(pilot, lambda: app.endpoint_server is not None)
        server = app.endpoint_server
        assert server is not None
        assert "serving" in str(screen.query_one("#server-status").render())
        async with httpx.AsyncClient() as client:
            response = await client.get(f"{server.url}/hello/zoe")
        assert response.json() == {"hello": "zoe"}
        runs = screen.query_one("#runs-table")
        await wait_for(pilot, lambda: runs.row_count == 1)
        detail = screen.query_one("#run-detail", TextView)
        await wait_for(pilot, lambda: detail.line_count > 5)
        text = "\n".join(detail.source.line(i) for i in range(detail.line_count))
        assert '"path": "/hello/zoe"' in text and '"who": "zoe"' in text
        # A new endpoint from a template: protected by a secret, never open.
        await pilot.press("n")
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("down", "enter")  # webhook receiver
        assert isinstance(app.screen, PromptScreen)
        await pilot.press(*"payments", "enter")
        await pilot.pause()
        created = (root / "endpoints" / "payments.toml").read_text()
        assert 'type = "bearer"' in created and 'secret = "payments_token"' in created
        assert screen.query_one("#endpoints-table").row_count == 2
        await pilot.press("s")
        await wait_for(pilot, lambda: app.endpoint_server is None)
        await pilot.press("escape")
        assert not isinstance(app.screen, EndpointsScreen)


async def test_autostart_serves_when_the_workspace_asks(tmp_path: Path) -> None:
    files = {**FILES, "callbench.toml": "[serve]\nport = 0\nautostart = true\n"}
    root = write(tmp_path / "ws", files)
    app = CallbenchApp(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_ready(pilot)
        await wait_for(pilot, lambda: app.endpoint_server is not None)
        server = app.endpoint_server
        assert server is not None
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"{server.url}/hello/a")).status_code == 200
    assert server.server.should_exit, "quitting the app stops its endpoints server"
