"""JWT auth: signed here with pyjwt, sent over the wire, verified on arrival."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import write
from tui.core.runner import prepare
from tui.core.sender import Sender
from tui.core.workspace import load_workspace

KEY = "a-shared-jwt-signing-key-of-32-bytes!"


def workspace(tmp_path: Path, server_url: str, auth: str) -> Path:
    return write(
        tmp_path / "ws",
        {
            "api/collection.toml": f'base_url = "{server_url}"\n[auth]\n{auth}\n',
            "api/echo.toml": 'url = "/echo"\n',
            "environments/dev.toml": '[variables]\njwt_key = { secret = true }\nuser = "ann"\n',
        },
    )


async def token_sent(root: Path) -> str:
    ws = load_workspace(root)
    async with Sender() as sender:
        exchange = await sender.send(prepare(ws, "api/echo", "dev"))
    header: str = exchange.response.json["headers"]["x-token"]
    return header.removeprefix("JWT ")


async def test_hs256_with_templated_claims_and_a_lifetime(
    tmp_path: Path, server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLBENCH_SECRET_JWT_KEY", KEY)
    root = workspace(
        tmp_path,
        server_url,
        (
            'type = "jwt"\nalgorithm = "HS256"\nkey = "{{jwt_key}}"\nlifetime = 120\n'
            'header = "X-Token"\nprefix = "JWT "\nclaims = { sub = "{{user}}", aud = "api" }'
        ),
    )
    token = await token_sent(root)
    claims = jwt.decode(token, KEY, algorithms=["HS256"], audience="api")
    assert claims["sub"] == "ann"
    assert claims["exp"] - claims["iat"] == 120 and abs(claims["iat"] - time.time()) < 5
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "another key" * 4, algorithms=["HS256"], audience="api")


async def test_rs256_with_a_key_file(tmp_path: Path, server_url: str) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp_path / "signing.pem"
    pem.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    root = workspace(
        tmp_path,
        server_url,
        (
            f'type = "jwt"\nalgorithm = "RS256"\nkey_file = "{pem}"\nheader = "X-Token"\n'
            'prefix = "JWT "\nclaims = { sub = "svc" }'
        ),
    )
    token = await token_sent(root)
    claims = jwt.decode(token, private.public_key(), algorithms=["RS256"])
    assert claims["sub"] == "svc"


def test_the_token_is_masked_in_json_output(
    tmp_path: Path, server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLBENCH_SECRET_JWT_KEY", KEY)
    root = workspace(tmp_path, server_url, 'type = "jwt"\nkey = "{{jwt_key}}"')
    result = subprocess.run(
        ["callbench", "run", "api/echo", "-w", str(root), "-e", "dev", "--json"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    assert result.returncode == 0, result.stderr
    assert "eyJ" not in result.stdout and KEY not in result.stdout
    assert '"Bearer ••••••"' in result.stdout


@pytest.mark.parametrize(
    ("auth", "message"),
    [
        ('type = "jwt"', "needs 'key' (a secret) or 'key_file'"),
        ('type = "jwt"\nkey = "k"\nalgorithm = "none"', "algorithm: is one of"),
        ('type = "jwt"\nkey = "k"\nlifetime = "long"', "lifetime: must be an integer"),
    ],
)
def test_bad_jwt_settings_are_file_errors(tmp_path: Path, auth: str, message: str) -> None:
    root = workspace(tmp_path, "http://127.0.0.1:9", auth)
    problems = load_workspace(root).problems
    assert any(message in str(p) for p in problems.values()), problems
