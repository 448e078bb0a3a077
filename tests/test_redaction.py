"""Secrets never land in a file: after a session that used them through the TUI and the
CLI, every file the tool wrote (workspace, user config/data/cache/state: history,
sessions, preferences, caches) is scanned for the secret values and the tokens made
from them. The keyring stand-in (outside those folders) is the one place they belong."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import write
from tests.oauth_server import OAuthServer
from tests.tui_helpers import open_call, until_ready, wait_for
from tui.app.app import CallbenchApp
from tui.app.response import ResponseViewer, _raw_text, _request_text

API_KEY = "sk-live-9d8c7b6a5f4e3d2c"
CLIENT_SECRET = "csecret"  # the OAuth server's client secret
PASSWORD = "pw"  # too short to scan for alone: covered through its basic-auth form


def workspace(root: Path, api: str, oauth_url: str) -> Path:
    return write(
        root,
        {
            "callbench.toml": 'name = "redaction"\ndefault_environment = "dev"\n',
            "environments/dev.toml": (
                f'[variables]\napi = "{api}"\nauth_url = "{oauth_url}"\n'
                "api_key = { secret = true }\ncs = { secret = true }\npw = { secret = true }\n"
            ),
            "api/collection.toml": (
                'name = "API"\nbase_url = "{{api}}"\n\n[auth]\ntype = "api_key"\n'
                'name = "X-API-Key"\nvalue = "{{api_key}}"\n'
            ),
            "api/echo.toml": 'name = "Echo"\nurl = "/echo"\n',
            "api/basic.toml": (
                'name = "Basic"\nurl = "/echo"\n\n[auth]\ntype = "basic"\n'
                'username = "ann"\npassword = "{{pw}}"\n'
            ),
            "oa/collection.toml": (
                'name = "OAuth"\nbase_url = "{{auth_url}}"\n\n[auth]\ntype = "oauth2"\n'
                'grant = "password"\ntoken_url = "{{auth_url}}/oauth/token"\n'
                'client_id = "cid"\nclient_secret = "{{cs}}"\nusername = "ann"\n'
                'password = "{{pw}}"\n'
            ),
            "oa/me.toml": 'name = "Me"\nurl = "/api/me"\n\n[[extract]]\nvariable = "who"\n'
            'from = "$.user"\n',
        },
    )


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        input="",
    )


async def test_no_secret_in_any_file_written(
    tmp_path: Path,
    server_url: str,
    oauth: OAuthServer,
    file_keyring: Path,
    isolated_user_dirs: Path,
) -> None:
    root = workspace(tmp_path / "ws", server_url, oauth.url)
    for name, value in (("api_key", API_KEY), ("cs", CLIENT_SECRET), ("pw", PASSWORD)):
        stored = subprocess.run(
            [sys.executable, "-m", "tui", "secret", "set", name, "-e", "dev", "-w", str(root)],
            input=value,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert stored.returncode == 0, stored.stderr

    # The CLI: plain, --json, -i, a curl export, a saved session, the OAuth2 call.
    outputs = []
    for args in (
        ("run", "api/echo", "-w", str(root), "--json"),
        ("run", "api/echo", "-w", str(root), "-i"),
        ("run", "api/basic", "-w", str(root), "--curl"),
        ("run", "oa/me", "-w", str(root), "--json", "--session", "s1"),
        ("run", "oa/me", "-w", str(root), "--curl", "--session", "s1"),
    ):
        result = cli(root, *args)
        assert result.returncode == 0, (args, result.stderr)
        outputs.append((args, result.stdout + result.stderr))

    # The TUI: the same calls sent from the workbench.
    app = CallbenchApp(root)
    shown: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await until_ready(pilot)
        viewer = app.query_one(ResponseViewer)
        for title in ("Echo", "Basic", "Me"):
            await open_call(pilot, title)
            await pilot.press("ctrl+j")
            await wait_for(
                pilot,
                lambda title=title: (
                    viewer.exchange is not None and viewer.exchange.call_ref.endswith(title.lower())
                ),
            )
            assert viewer.exchange is not None
            # What the Request and Raw tabs show.
            shown += [_request_text(viewer.exchange), _raw_text(viewer.exchange)]
    tokens = list(oauth.state.access_tokens) + list(oauth.state.refresh_tokens)
    assert tokens, "the OAuth2 call got its tokens"
    basic = base64.b64encode(f"ann:{PASSWORD}".encode()).decode()
    needles = [API_KEY, CLIENT_SECRET, basic, *tokens]

    for args, text in outputs:
        if "-i" in args:
            # The body is the server's (this one echoes the request): printed as it came,
            # for pipes. The status line and headers callbench prints are masked.
            text = text.split("\n\n", 1)[0]
            assert text.startswith("HTTP/1.1 200 OK")
        for needle in needles:
            assert needle not in text, (args, needle)
    for text in shown:
        for needle in needles:
            assert needle not in text

    written = [p for base in (root, isolated_user_dirs) for p in base.rglob("*") if p.is_file()]
    assert any("sessions" in p.parts for p in written)  # the session file was written
    hits = [
        (str(path), needle)
        for path in written
        for needle in needles
        if needle.encode() in path.read_bytes()
    ]
    assert hits == []
    # The secrets are where they belong: the keyring (not a workspace file).
    assert API_KEY in file_keyring.read_text()
    assert json.loads(file_keyring.read_text())
