"""Secrets: the keyring (a real file backend in a temp folder), the vault, env variables."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from tests.conftest import write
from tui.core.secrets import SecretError, SecretStore, Vault, usable_keyring, vault_path

SECRET = "tok-7f3a9-value"
FILES = {
    "api/collection.toml": 'base_url = "{{api}}"\n[auth]\ntype = "bearer"\ntoken = "{{token}}"\n',
    "api/echo.toml": 'url = "/echo"\n',
    "environments/dev.toml": "[variables]\ntoken = { secret = true }\n",
}


def cli(root: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["callbench", *args, "-w", str(root)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
        env=os.environ.copy(),
    )


def test_the_fail_backend_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    assert usable_keyring() is None  # the autouse fixture sets the fail backend


def test_keyring_set_get_delete_and_send(
    tmp_path: Path, file_keyring: Path, server_url: str
) -> None:
    root = write(
        tmp_path / "ws",
        {
            **FILES,
            "environments/dev.toml": (
                f'[variables]\napi = "{server_url}"\ntoken = {{ secret = true }}\n'
            ),
        },
    )
    result = cli(root, "secret", "set", "token", "-e", "dev", stdin=SECRET + "\n")
    assert result.returncode == 0, result.stderr
    assert "stored token in the keyring (FileKeyring)" in result.stderr
    assert 'id = "' in (root / "callbench.toml").read_text()
    assert SECRET in file_keyring.read_text()
    assert cli(root, "secret", "get", "token", "-e", "dev").stdout == SECRET + "\n"
    sent = subprocess.run(
        [
            "callbench",
            "run",
            "api/echo",
            "-w",
            str(root),
            "-e",
            "dev",
            "--path",
            "$.headers.authorization",
        ],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    assert sent.stdout.strip() == f"Bearer {SECRET}"
    # Nothing of the secret in the workspace.
    assert not any(SECRET in p.read_text() for p in root.rglob("*") if p.is_file())
    assert cli(root, "secret", "delete", "token", "-e", "dev").returncode == 0
    assert SECRET not in file_keyring.read_text()
    missing = cli(root, "secret", "get", "token", "-e", "dev")
    assert missing.returncode == 1 and "has no value" in missing.stderr


def test_vault_when_there_is_no_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLBENCH_VAULT_PASSPHRASE", "correct horse")
    root = write(tmp_path / "ws", FILES)
    result = cli(root, "secret", "set", "token", "-e", "dev", stdin=SECRET)
    assert result.returncode == 0, result.stderr
    assert "stored token in the vault" in result.stderr
    path = vault_path()
    assert str(path).startswith(os.environ["XDG_DATA_HOME"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SECRET.encode() not in path.read_bytes()
    assert cli(root, "secret", "get", "token", "-e", "dev").stdout.strip() == SECRET
    with pytest.raises(SecretError, match="does not open with this passphrase"):
        Vault(path, "wrong").read()


def test_no_keyring_no_vault_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CALLBENCH_VAULT_PASSPHRASE", raising=False)
    root = write(tmp_path / "ws", FILES)
    result = cli(root, "secret", "set", "token", stdin=SECRET)
    assert result.returncode == 1
    assert "CALLBENCH_VAULT_PASSPHRASE" in result.stderr
    assert "CALLBENCH_SECRET_TOKEN" in result.stderr


def test_the_environment_variable_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLBENCH_SECRET_API_KEY", "from-env")
    assert SecretStore("abc", "dev").lookup("api-key") == "from-env"


def test_a_basic_auth_header_made_from_a_secret_is_masked(
    tmp_path: Path, server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    monkeypatch.setenv("CALLBENCH_SECRET_PW", SECRET)
    root = write(
        tmp_path / "ws",
        {
            "api/collection.toml": (
                f'base_url = "{server_url}"\n[auth]\ntype = "basic"\nusername = "ann"\n'
                'password = "{{pw}}"\n'
            ),
            "api/echo.toml": 'url = "/echo"\n',
            "environments/dev.toml": "[variables]\npw = { secret = true }\n",
        },
    )
    result = subprocess.run(
        ["callbench", "run", "api/echo", "-w", str(root), "-e", "dev", "--json"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    assert result.returncode == 0, result.stderr
    import base64

    encoded = base64.b64encode(f"ann:{SECRET}".encode()).decode()
    assert encoded not in result.stdout and SECRET not in result.stdout
    document = json.loads(result.stdout)
    sent = dict(document["request"]["headers"])
    assert sent["Authorization"] == "Basic ••••••"
