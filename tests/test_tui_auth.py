"""Every auth type sent from the TUI against the loopback servers: a signed JWT verified
by the server, a login call's token, and a client certificate (OAuth2's interactive
grants: test_tui_oauth.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import write
from tests.oauth_server import OAuthServer
from tests.server_app import JWT_KEY
from tests.test_client_cert import (  # noqa: F401 (fixtures)
    TLSFiles,
    assert_client_accepted,
    mtls_url,
    options,
    tls_files,
)
from tests.tui_helpers import open_call, wait_for
from tui.app.app import CallbenchApp
from tui.app.response import ResponseViewer
from tui.core.exchange import Exchange


async def send_in_tui(root: Path, title: str) -> Exchange:
    app = CallbenchApp(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_call(pilot, title)
        await pilot.press("ctrl+j")
        viewer = app.query_one(ResponseViewer)
        await wait_for(pilot, lambda: viewer.exchange is not None)
        assert viewer.exchange is not None
        return viewer.exchange


async def test_jwt_verified_by_the_server(
    tmp_path: Path, server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLBENCH_SECRET_JWT_KEY", JWT_KEY)
    root = write(
        tmp_path,
        {
            "callbench.toml": "",
            "api/collection.toml": (
                f'base_url = "{server_url}"\n[variables]\njwt_key = {{ secret = true }}\n'
                '[auth]\ntype = "jwt"\nkey = "{{jwt_key}}"\nclaims = { sub = "ann", aud = "api" }\n'
            ),
            "api/me.toml": 'name = "Me"\nurl = "/jwt"\n',
        },
    )
    exchange = await send_in_tui(root, "Me")
    assert exchange.response.status == 200
    assert exchange.response.json == {"verified": True, "sub": "ann"}


async def test_token_from_a_login_call(
    tmp_path: Path, oauth: OAuthServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLBENCH_SECRET_PW", "pw")
    root = write(
        tmp_path,
        {
            "callbench.toml": "",
            "auth/collection.toml": (
                f'base_url = "{oauth.url}"\n[variables]\npw = {{ secret = true }}\n'
            ),
            "auth/login.toml": (
                'name = "Login"\nmethod = "POST"\nurl = "/login"\n[body]\ntype = "json"\n'
                'content = \'{"user": "ann", "password": "{{pw}}"}\'\n'
            ),
            "api/collection.toml": (
                f'base_url = "{oauth.url}"\n[auth]\ntype = "token_from_call"\n'
                'call = "auth/login"\nfrom = "header:X-Auth-Token"\n'
            ),
            "api/me.toml": 'name = "Me"\nurl = "/api/me"\n',
        },
    )
    exchange = await send_in_tui(root, "Me")
    assert exchange.response.status == 200 and exchange.response.json["user"] == "ann"
    assert oauth.state.login_requests == 1
    token = next(iter(oauth.state.access_tokens))
    assert token in exchange.secrets


async def test_client_certificate(
    tmp_path: Path,
    tls_files: TLSFiles,  # noqa: F811 (the imported fixture)
    mtls_url: str,  # noqa: F811
) -> None:
    call = options(verify=tls_files.ca, cert=tls_files.cert, key=tls_files.key)
    root = write(
        tmp_path,
        {
            "callbench.toml": "",
            "api/collection.toml": f'base_url = "{mtls_url}"\n',
            "api/me.toml": f'name = "Me"\nurl = "/whoami"\n{call}',
        },
    )
    assert_client_accepted(await send_in_tui(root, "Me"))
