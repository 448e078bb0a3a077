"""Carrying values: [[extract]] persist into the environment or the keyring, and the
CLI's --session keeping extracted values between runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write
from tui.core.secrets import SecretStore
from tui.core.session import Session
from tui.core.workspace import load_workspace

ENV = '# the dev stack\n[variables]\nbase = "{url}"  # local\n'


def workspace(root: Path, url: str, persist: bool = True, secret: bool = False) -> Path:
    return write(
        root,
        {
            "callbench.toml": 'default_environment = "dev"\n',
            "environments/dev.toml": ENV.format(url=url),
            "api/collection.toml": 'base_url = "{{base}}"\n'
            + ("\n[variables]\ntoken = { secret = true }\n" if secret else ""),
            "api/login.toml": (
                'method = "POST"\nurl = "/login"\n[body]\ntype = "json"\n'
                'content = \'{"user": "ann"}\'\n\n[[extract]]\nvariable = "token"\n'
                f'from = "$.access_token"\npersist = {"true" if persist else "false"}\n'
            ),
            "api/me.toml": 'url = "/echo"\n[headers]\nAuthorization = "Bearer {{token}}"\n',
        },
    )


async def test_persist_writes_the_environment_in_place(tmp_path: Path, server_url: str):
    root = workspace(tmp_path, server_url)
    session = Session(load_workspace(root), "dev")
    await session.send(session.workspace.call("api/login"))
    await session.aclose()
    assert session.persisted == ["token: saved to environments/dev.toml"]
    text = (root / "environments/dev.toml").read_text()
    assert text.startswith("# the dev stack\n") and "# local" in text  # comments kept
    assert 'token = "token-for-ann"' in text
    # A new session (the next start) finds it in the environment.
    fresh = Session(load_workspace(root), "dev")
    exchange = await fresh.send(fresh.workspace.call("api/me"))
    await fresh.aclose()
    assert exchange.response.json["headers"]["authorization"] == "Bearer token-for-ann"


async def test_persist_of_a_secret_goes_to_the_keyring(
    tmp_path: Path, server_url: str, file_keyring: Path
):
    root = workspace(tmp_path / "ws", server_url, secret=True)
    session = Session(load_workspace(root), "dev")
    await session.send(session.workspace.call("api/login"))
    await session.aclose()
    assert session.persisted[0].startswith("token: kept in the keyring")
    workspace_id = load_workspace(root).settings.id
    assert SecretStore(workspace_id, "dev").lookup("token") == "token-for-ann"
    for path in root.rglob("*"):
        if path.is_file():
            assert "token-for-ann" not in path.read_text(), path


async def test_persist_with_no_environment_says_so(tmp_path: Path, server_url: str):
    root = workspace(tmp_path, server_url)
    (root / "api/collection.toml").write_text(f'base_url = "{server_url}"\n')
    session = Session(load_workspace(root), None)
    await session.send(session.workspace.call("api/login"))
    await session.aclose()
    assert session.persisted == ["token: not persisted: no environment is active"]
    assert session.session_values["token"] == "token-for-ann"  # still in the session


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", "run", "-w", str(root), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_session_carries_a_login_token_to_the_next_run(tmp_path: Path, server_url: str):
    root = workspace(tmp_path, server_url, persist=False)
    assert cli(root, "api/me").returncode == 1  # no token anywhere yet
    login = cli(root, "api/login", "--session", "ci")
    assert login.returncode == 0, login.stderr
    me = cli(root, "api/me", "--session", "ci")
    assert me.returncode == 0, me.stderr
    assert json.loads(me.stdout)["headers"]["authorization"] == "Bearer token-for-ann"
    other = cli(root, "api/me", "--session", "other")
    assert other.returncode == 1 and "token" in other.stderr
    bad = cli(root, "api/me", "--session", "../x")
    assert bad.returncode == 1 and "--session '../x'" in bad.stderr


def test_cli_session_never_writes_a_secret_to_its_file(
    tmp_path: Path, server_url: str, isolated_user_dirs: Path
):
    root = workspace(tmp_path / "ws", server_url, persist=False, secret=True)
    login = cli(root, "api/login", "--session", "ci")
    assert login.returncode == 0, login.stderr
    assert "secret values not kept" in login.stderr and "token" in login.stderr
    files = [p for p in isolated_user_dirs.rglob("*.json") if "sessions" in p.parts]
    assert files, "the session file was written"
    for path in files:
        assert "token-for-ann" not in path.read_text()
    me = cli(root, "api/me", "--session", "ci")
    assert me.returncode == 1  # the secret was not kept: it must come from a store


@pytest.mark.parametrize("name", ["ci", "nightly-2"])
def test_cli_session_with_a_keyring_keeps_secrets_there(
    tmp_path: Path, server_url: str, file_keyring: Path, name: str
):
    root = workspace(tmp_path / "ws", server_url, persist=False, secret=True)
    assert cli(root, "api/login", "--session", name).returncode == 0
    me = cli(root, "api/me", "--session", name)
    assert me.returncode == 0, me.stderr
    assert json.loads(me.stdout)["headers"]["authorization"] == "Bearer token-for-ann"
    assert "token-for-ann" in file_keyring.read_text()
