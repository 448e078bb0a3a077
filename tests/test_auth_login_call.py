"""token_from_call: a login call's token sent by the calls that need it."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write
from tests.oauth_server import OAuthServer
from tui.core.oauth2 import AuthError
from tui.core.session import Session
from tui.core.workspace import load_workspace

DEFAULT_AUTH = 'from = "$.token"'


def workspace(root: Path, url: str, auth: str = DEFAULT_AUTH, password: str = "{{pw}}") -> Path:
    return write(
        root,
        {
            "callbench.toml": "",
            "auth/collection.toml": (
                f'base_url = "{url}"\n\n[variables]\npw = {{ secret = true }}\n'
            ),
            "auth/login.toml": (
                'method = "POST"\nurl = "/login"\n\n[body]\ntype = "json"\n'
                f'content = \'{{"user": "ann", "password": "{password}"}}\'\n\n'
                '[[extract]]\nvariable = "who"\nfrom = "$.token"\n'
            ),
            "api/collection.toml": (
                f'base_url = "{url}"\n\n[auth]\ntype = "token_from_call"\ncall = "auth/login"\n'
                f"{auth}\n"
            ),
            "api/me.toml": 'url = "/api/me"\n',
        },
    )


@pytest.fixture(autouse=True)
def password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLBENCH_SECRET_PW", "pw")


async def test_logs_in_once_then_reuses_the_token(tmp_path: Path, oauth: OAuthServer):
    session = Session(load_workspace(workspace(tmp_path, oauth.url)))
    call = session.workspace.call("api/me")
    first = await session.send(call)
    second = await session.send(call)
    await session.aclose()
    assert first.response.status == second.response.status == 200
    assert json.loads(first.response.body)["user"] == "ann"
    assert oauth.state.login_requests == 1
    token = next(iter(oauth.state.access_tokens))
    assert token in first.secrets
    # The login call's own [[extract]] ran, as it would for any send.
    assert session.extracted_from["who"] == "auth/login"


async def test_a_401_logs_in_again_once(tmp_path: Path, oauth: OAuthServer):
    session = Session(load_workspace(workspace(tmp_path, oauth.url)))
    call = session.workspace.call("api/me")
    await session.send(call)
    oauth.state.revoke_access_tokens()
    again = await session.send(call)
    await session.aclose()
    assert again.response.status == 200
    assert oauth.state.login_requests == 2
    assert oauth.state.api_requests == 3


async def test_token_from_a_header_with_its_own_header_and_prefix(
    tmp_path: Path, oauth: OAuthServer
):
    auth = 'from = "header:X-Auth-Token"\nheader = "Authorization"\nprefix = "Bearer "'
    session = Session(load_workspace(workspace(tmp_path, oauth.url, auth)))
    exchange = await session.send(session.workspace.call("api/me"))
    await session.aclose()
    assert exchange.response.status == 200


async def test_an_expired_token_logs_in_before_sending(tmp_path: Path, oauth: OAuthServer):
    oauth.state.expires_in = 1
    auth = 'from = "$.token"\nexpires_from = "$.expires_in"'
    session = Session(load_workspace(workspace(tmp_path, oauth.url, auth)))
    call = session.workspace.call("api/me")
    await session.send(call)
    await asyncio.sleep(1.0)
    assert (await session.send(call)).response.status == 200
    await session.aclose()
    assert oauth.state.login_requests == 2
    assert oauth.state.api_requests == 2  # the expired token was never sent


async def test_a_failed_login_is_one_clear_error(tmp_path: Path, oauth: OAuthServer):
    root = workspace(tmp_path, oauth.url, password="wrong")
    session = Session(load_workspace(root))
    with pytest.raises(AuthError, match=r"the login call auth/login answered 401"):
        await session.send(session.workspace.call("api/me"))
    missing = workspace(tmp_path / "m", oauth.url, 'from = "$.nothing"')
    session = Session(load_workspace(missing))
    with pytest.raises(AuthError, match=r"auth.from: \$.nothing found nothing"):
        await session.send(session.workspace.call("api/me"))
    await session.aclose()
    assert oauth.state.api_requests == 0


async def test_a_login_call_that_needs_itself_is_refused(tmp_path: Path, oauth: OAuthServer):
    root = workspace(tmp_path, oauth.url)
    text = (root / "auth/login.toml").read_text()
    (root / "auth/login.toml").write_text(
        text + '\n[auth]\ntype = "token_from_call"\ncall = "auth/login"\nfrom = "$.token"\n'
    )
    session = Session(load_workspace(root))
    with pytest.raises(AuthError, match="uses token_from_call itself"):
        await session.send(session.workspace.call("api/me"))
    await session.aclose()


def test_cli_logs_in_and_masks_the_token(tmp_path: Path, oauth: OAuthServer):
    root = workspace(tmp_path, oauth.url)
    result = subprocess.run(
        [sys.executable, "-m", "tui", "run", "api/me", "-w", str(root), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["response"]["status"] == 200
    token = next(iter(oauth.state.access_tokens))
    assert token not in result.stdout
