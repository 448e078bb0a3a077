"""OAuth2 against a real authorization server on loopback (tests/oauth_server.py)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import write
from tests.oauth_server import OAuthServer
from tui.core.errors import CallbenchError
from tui.core.oauth2 import AuthError, AuthPrompt
from tui.core.session import Session
from tui.core.workspace import load_workspace

PASSWORD_GRANT = (
    'grant = "password"\nclient_id = "cid"\nclient_secret = "csecret"\nusername = "ann"\n'
)
FAKE_BROWSER = Path(__file__).parent / "support" / "fake_browser.py"


def workspace(root: Path, url: str, auth: str, variables: str = "") -> Path:
    return write(
        root,
        {
            "callbench.toml": 'name = "oauth"\n',
            "api/collection.toml": (
                f'base_url = "{url}"\n\n[auth]\ntype = "oauth2"\n'
                f'token_url = "{url}/oauth/token"\n{auth}\n'
                + (f"\n[variables]\n{variables}\n" if variables else "")
            ),
            "api/me.toml": 'method = "GET"\nurl = "/api/me"\n',
        },
    )


class Browser:
    """An Interaction that acts as the user: follows the URL (or pastes the redirect)."""

    def __init__(self, paste: bool = False, tamper: bool = False) -> None:
        self.paste = paste
        self.tamper = tamper
        self.prompts: list[AuthPrompt] = []
        self.closed = 0
        self.tasks: list[asyncio.Task[Any]] = []

    def show(self, prompt: AuthPrompt) -> None:
        self.prompts.append(prompt)
        if prompt.kind == "browser":
            self.tasks.append(asyncio.get_running_loop().create_task(self._visit(prompt)))

    async def _visit(self, prompt: AuthPrompt) -> None:
        async with httpx.AsyncClient(trust_env=False) as client:
            if not self.paste:
                await client.get(prompt.url, follow_redirects=True)
                return
            answer = await client.get(prompt.url)
            location = answer.headers["location"]
            if self.tamper:
                location = location.replace("state=", "state=x")
            assert prompt.deliver is not None
            prompt.deliver(location)

    def done(self) -> None:
        self.closed += 1


@pytest.fixture(autouse=True)
def no_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLBENCH_NO_BROWSER", "1")


async def send(root: Path, interaction: Any = None) -> tuple[Session, Any]:
    session = Session(load_workspace(root), interaction=interaction)
    try:
        exchange = await session.send(session.workspace.call("api/me"))
    finally:
        await session.aclose()
    return session, exchange


async def test_client_credentials_with_basic_client_auth(
    tmp_path: Path, oauth: OAuthServer, monkeypatch: pytest.MonkeyPatch
):
    root = workspace(
        tmp_path,
        oauth.url,
        'grant = "client_credentials"\nclient_id = "cid"\n'
        'client_secret = "{{secret}}"\nscope = "read"',
        "secret = { secret = true }",
    )
    monkeypatch.setenv("CALLBENCH_SECRET_SECRET", "csecret")
    session = Session(load_workspace(root))
    call = session.workspace.call("api/me")
    first = await session.send(call)
    second = await session.send(call)
    await session.aclose()
    assert first.response.status == 200 and second.response.status == 200
    assert json.loads(first.response.body)["client_id"] == "cid"
    requests = oauth.state.token_requests
    assert [(r["grant_type"], r["auth"]) for r in requests] == [("client_credentials", "basic")]
    assert requests[0]["scope"] == "read"
    token = next(iter(oauth.state.access_tokens))
    assert token in first.secrets  # masked wherever the exchange is shown
    assert ("authorization", f"Bearer {token}") in [
        (k.lower(), v) for k, v in first.request.headers
    ]


async def test_client_secret_in_the_body(tmp_path: Path, oauth: OAuthServer):
    root = workspace(
        tmp_path,
        oauth.url,
        'grant = "client_credentials"\nclient_id = "cid"\nclient_secret = "csecret"\n'
        'client_auth = "body"',
    )
    _, exchange = await send(root)
    assert exchange.response.status == 200
    assert oauth.state.token_requests[0]["auth"] == "body"


async def test_password_grant_and_a_refused_password(tmp_path: Path, oauth: OAuthServer):
    root = workspace(tmp_path / "ok", oauth.url, PASSWORD_GRANT + 'password = "pw"')
    _, exchange = await send(root)
    assert json.loads(exchange.response.body)["user"] == "ann"
    bad = workspace(tmp_path / "bad", oauth.url, PASSWORD_GRANT + 'password = "nope"')
    with pytest.raises(AuthError) as caught:
        await send(bad)
    message = str(caught.value)
    assert "/oauth/token answered 400 invalid_grant" in message and "\n" not in message
    assert oauth.state.api_requests == 1  # nothing sent without a token


async def test_an_expired_token_is_refreshed(tmp_path: Path, oauth: OAuthServer):
    oauth.state.expires_in = 1
    root = workspace(
        tmp_path,
        oauth.url,
        PASSWORD_GRANT + 'password = "pw"',
    )
    session = Session(load_workspace(root))
    call = session.workspace.call("api/me")
    assert (await session.send(call)).response.status == 200
    await asyncio.sleep(1.0)
    assert (await session.send(call)).response.status == 200
    await session.aclose()
    grants = [r["grant_type"] for r in oauth.state.token_requests]
    assert grants == ["password", "refresh_token"]
    assert oauth.state.api_requests == 2  # the expired token was never sent


async def test_a_401_refreshes_once_and_retries(tmp_path: Path, oauth: OAuthServer):
    root = workspace(
        tmp_path,
        oauth.url,
        PASSWORD_GRANT + 'password = "pw"',
    )
    session = Session(load_workspace(root))
    call = session.workspace.call("api/me")
    await session.send(call)
    oauth.state.revoke_access_tokens()
    again = await session.send(call)
    assert again.response.status == 200
    assert [r["grant_type"] for r in oauth.state.token_requests] == ["password", "refresh_token"]
    assert oauth.state.api_requests == 3  # ok, refused, retried
    # A dead refresh token too: the grant runs again, and a refusal after that stands.
    oauth.state.revoke_access_tokens()
    oauth.state.refresh_tokens.clear()
    assert (await session.send(call)).response.status == 200
    assert [r["grant_type"] for r in oauth.state.token_requests][-2:] == [
        "refresh_token",
        "password",
    ]
    await session.aclose()


async def test_authorization_code_with_pkce_through_the_loopback_listener(
    tmp_path: Path, oauth: OAuthServer
):
    root = workspace(
        tmp_path,
        oauth.url,
        f'grant = "authorization_code"\nclient_id = "public-cid"\n'
        f'authorize_url = "{oauth.url}/oauth/authorize"\nscope = "read"',
    )
    browser = Browser()
    _, exchange = await send(root, browser)
    assert exchange.response.status == 200
    assert json.loads(exchange.response.body)["client_id"] == "public-cid"
    asked = oauth.state.authorize_requests[0]
    assert asked["code_challenge_method"] == "S256" and asked["code_challenge"]
    assert asked["redirect_uri"].startswith("http://127.0.0.1:")
    request = oauth.state.token_requests[0]
    assert request["grant_type"] == "authorization_code" and request["code_verifier"]
    assert "error" not in request  # the server verified the PKCE pair
    assert browser.closed == 1


async def test_authorization_code_pasted_back_and_a_foreign_state(
    tmp_path: Path, oauth: OAuthServer
):
    auth = (
        f'grant = "authorization_code"\nclient_id = "cid"\nclient_secret = "csecret"\n'
        f'authorize_url = "{oauth.url}/oauth/authorize"\n'
        'redirect_uri = "https://app.example.com/callback"'
    )
    root = workspace(tmp_path, oauth.url, auth)
    _, exchange = await send(root, Browser(paste=True))
    assert exchange.response.status == 200
    assert oauth.state.authorize_requests[0]["redirect_uri"] == "https://app.example.com/callback"
    with pytest.raises(AuthError, match="state does not match"):
        await send(workspace(tmp_path / "t", oauth.url, auth), Browser(paste=True, tamper=True))


async def test_authorization_code_needs_an_interaction(tmp_path: Path, oauth: OAuthServer):
    root = workspace(
        tmp_path,
        oauth.url,
        f'grant = "authorization_code"\nclient_id = "public-cid"\n'
        f'authorize_url = "{oauth.url}/oauth/authorize"',
    )
    with pytest.raises(AuthError, match="needs you at a browser"):
        await send(root)


async def test_device_code_polls_through_pending(tmp_path: Path, oauth: OAuthServer):
    root = workspace(
        tmp_path,
        oauth.url,
        f'grant = "device_code"\nclient_id = "public-cid"\n'
        f'device_url = "{oauth.url}/oauth/device"\nscope = "read"',
    )
    browser = Browser()
    _, exchange = await send(root, browser)
    assert exchange.response.status == 200
    prompt = browser.prompts[0]
    assert prompt.kind == "device" and prompt.user_code and "user_code=" in prompt.url
    errors = [r.get("error") for r in oauth.state.token_requests]
    assert errors == ["authorization_pending", "authorization_pending", None]
    oauth.state.reset()

    class Denier(Browser):
        def show(self, prompt: AuthPrompt) -> None:
            super().show(prompt)
            httpx.post(
                f"{oauth.url}/oauth/device/deny",
                data={"user_code": prompt.user_code},
                trust_env=False,
            )

    oauth.state.device_pending_polls = 1
    with pytest.raises(AuthError, match="access_denied"):
        await send(root, Denier())


async def test_tokens_outlive_the_process_in_the_keyring(
    tmp_path: Path, oauth: OAuthServer, file_keyring: Path
):
    root = workspace(
        tmp_path / "ws",
        oauth.url,
        'grant = "client_credentials"\nclient_id = "cid"\nclient_secret = "csecret"',
    )
    await send(root)
    _, again = await send(root)  # a new session, as a second `callbench run` would be
    assert again.response.status == 200
    assert len(oauth.state.token_requests) == 1
    token = next(iter(oauth.state.access_tokens))
    assert token in file_keyring.read_text()
    for path in root.rglob("*"):
        if path.is_file():
            assert token not in path.read_text(), path


def run_cli(root: Path, *args: str, env: dict[str, str] | None = None):
    return subprocess.run(
        [sys.executable, "-m", "tui", "run", "-w", str(root), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_cli_client_credentials_masks_the_token(tmp_path: Path, oauth: OAuthServer):
    root = workspace(
        tmp_path,
        oauth.url,
        'grant = "client_credentials"\nclient_id = "cid"\nclient_secret = "{{cs}}"',
        "cs = { secret = true }",
    )
    result = run_cli(root, "api/me", "--json", env={"CALLBENCH_SECRET_CS": "csecret"})
    assert result.returncode == 0, result.stderr
    token = next(iter(oauth.state.access_tokens))
    assert token not in result.stdout and "csecret" not in result.stdout
    assert json.loads(result.stdout)["response"]["status"] == 200


def test_cli_authorization_code_through_a_browser(tmp_path: Path, oauth: OAuthServer):
    root = workspace(
        tmp_path,
        oauth.url,
        f'grant = "authorization_code"\nclient_id = "public-cid"\n'
        f'authorize_url = "{oauth.url}/oauth/authorize"',
    )
    browser = f"{sys.executable} {FAKE_BROWSER} %s"
    result = run_cli(root, "api/me", env={"BROWSER": browser, "CALLBENCH_NO_BROWSER": ""})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["client_id"] == "public-cid"
    assert "opened in your browser" in result.stderr and "Traceback" not in result.stderr


def test_cli_a_refused_grant_is_one_line(tmp_path: Path, oauth: OAuthServer):
    root = workspace(
        tmp_path, oauth.url, 'grant = "client_credentials"\nclient_id = "cid"\nclient_secret = "x"'
    )
    result = run_cli(root, "api/me")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "invalid_client" in result.stderr


def test_schema_names_what_a_grant_needs(tmp_path: Path):
    root = write(
        tmp_path,
        {
            "callbench.toml": "",
            "api/collection.toml": '[auth]\ntype = "oauth2"\ngrant = "device_code"\n'
            'token_url = "http://127.0.0.1:9/t"\n',
            "api/me.toml": 'url = "http://127.0.0.1:9/me"\n',
        },
    )
    loaded = load_workspace(root)
    problems = [str(p) for p in loaded.problems.values()]
    assert any("device_url" in p and "collection.toml" in p for p in problems), problems
    with pytest.raises(CallbenchError, match="collection 'api' is broken"):
        Session(loaded).prepare(loaded.call("api/me"))
