"""Interactive OAuth2 grants in the TUI: the dialog, paste-back, the device code."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from textual.widgets import Input, Static

from tests.conftest import write
from tests.oauth_server import OAuthServer
from tests.tui_helpers import open_call, wait_for
from tui.app.app import CallbenchApp
from tui.app.auth_prompt import AuthPromptScreen
from tui.app.response import ResponseViewer


@pytest.fixture(autouse=True)
def no_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLBENCH_NO_BROWSER", "1")


def workspace(root: Path, url: str, grant: str) -> Path:
    return write(
        root,
        {
            "callbench.toml": 'name = "oauth"\n',
            "api/collection.toml": (
                f'base_url = "{url}"\n\n[auth]\ntype = "oauth2"\ngrant = "{grant}"\n'
                f'token_url = "{url}/oauth/token"\nclient_id = "public-cid"\n'
                f'authorize_url = "{url}/oauth/authorize"\ndevice_url = "{url}/oauth/device"\n'
            ),
            "api/me.toml": 'name = "Me"\nurl = "/api/me"\n',
        },
    )


def prompt_screen(app: CallbenchApp) -> AuthPromptScreen | None:
    screen = app.screen
    return screen if isinstance(screen, AuthPromptScreen) else None


async def test_authorization_code_pasted_back_in_the_dialog(tmp_path: Path, oauth: OAuthServer):
    app = CallbenchApp(workspace(tmp_path, oauth.url, "authorization_code"))
    async with app.run_test(size=(120, 40)) as pilot:
        await open_call(pilot, "Me")
        await pilot.press("ctrl+j")
        await wait_for(pilot, lambda: prompt_screen(app) is not None)
        screen = prompt_screen(app)
        assert screen is not None
        url = str(screen.query_one("#auth-url", Static).render())
        assert url.startswith(f"{oauth.url}/oauth/authorize?") and "code_challenge=" in url
        # The user's browser is elsewhere: it approves, and the user pastes where it went.
        location = httpx.get(screen.prompt.url, trust_env=False).headers["location"]
        paste = screen.query_one("#auth-paste", Input)
        paste.value = location
        await pilot.press("enter")
        viewer = app.query_one(ResponseViewer)
        await wait_for(pilot, lambda: viewer.exchange is not None)
        assert viewer.exchange is not None and viewer.exchange.response.status == 200
        assert prompt_screen(app) is None
        token = next(iter(oauth.state.access_tokens))
        assert token in viewer.exchange.secrets


async def test_device_code_shows_the_code_and_escape_cancels(tmp_path: Path, oauth: OAuthServer):
    oauth.state.device_pending_polls = 1000  # nobody approves
    app = CallbenchApp(workspace(tmp_path, oauth.url, "device_code"))
    async with app.run_test(size=(120, 40)) as pilot:
        await open_call(pilot, "Me")
        await pilot.press("ctrl+j")
        await wait_for(pilot, lambda: prompt_screen(app) is not None)
        screen = prompt_screen(app)
        assert screen is not None
        code = str(screen.query_one("#auth-code", Static).render())
        assert code == next(iter(oauth.state.device_codes.values()))["user_code"]
        await wait_for(pilot, lambda: len(oauth.state.token_requests) >= 2)
        await pilot.press("escape")
        await wait_for(pilot, lambda: prompt_screen(app) is None)
        polls = len(oauth.state.token_requests)
        await pilot.pause(0.3)
        assert len(oauth.state.token_requests) == polls  # polling stopped
        assert oauth.state.api_requests == 0
