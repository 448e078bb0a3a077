"""Client TLS certificates, sent to a real uvicorn HTTPS server that requires them.

trustme makes a CA, the server's certificate and a client certificate; the server only
completes a connection whose client presents a certificate signed by that CA, and
answers with the subject of the certificate it received. The calls go through the core
(prepare + Sender) and through the installed ``callbench run`` command.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trustme
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from uvicorn.protocols.http.h11_impl import H11Protocol

from tests.conftest import write
from tests.loopback import ServerThread
from tui.cli import EXIT_OK, EXIT_TRANSPORT
from tui.core.errors import TransportError
from tui.core.exchange import Exchange
from tui.core.runner import prepare
from tui.core.sender import Sender
from tui.core.workspace import load_workspace

CLIENT_NAME = "callbench-client"
KEY_PASSWORD = "pem-pass-4711"
REPO = Path(__file__).resolve().parent.parent
CALLBENCH = shutil.which("callbench", path=str(Path(sys.executable).parent)) or "callbench"


class ClientCertProtocol(H11Protocol):
    """uvicorn's h11 protocol, adding the ASGI TLS extension's ``client_cert_name``.

    uvicorn does not fill ``scope["extensions"]["tls"]``; the peer certificate is read
    from the connection's SSL object, once the handshake is done.
    """

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        ssl_object = transport.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        name = x509.load_der_x509_certificate(der).subject.rfc4514_string() if der else None
        app = self.app

        async def with_tls(scope: Any, receive: Any, send: Any) -> None:
            scope["extensions"] = {**scope.get("extensions", {}), "tls": {"client_cert_name": name}}
            await app(scope, receive, send)

        self.app = with_tls


async def whoami(request: Request) -> JSONResponse:
    """The subject of the client certificate this connection presented."""
    tls = request.scope.get("extensions", {}).get("tls", {})
    return JSONResponse({"client_cert_name": tls.get("client_cert_name")})


app = Starlette(routes=[Route("/whoami", whoami)])


class TLSServerThread(ServerThread):
    """The loopback server over HTTPS, with uvicorn's own TLS options."""

    def __init__(self, asgi_app: Any, **tls: Any) -> None:
        super().__init__(asgi_app)
        config = uvicorn.Config(
            asgi_app,
            log_level="critical",  # the refused handshakes are expected here
            lifespan="off",
            access_log=False,
            http=ClientCertProtocol,
            **tls,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"


@dataclass(frozen=True)
class TLSFiles:
    ca: Path
    server_cert: Path
    server_key: Path
    cert: Path
    key: Path
    encrypted_key: Path
    combined: Path


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    """A CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files."""
    folder = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1")
    client = ca.issue_cert("client.example", common_name=CLIENT_NAME)
    files = TLSFiles(
        ca=folder / "ca.pem",
        server_cert=folder / "server-cert.pem",
        server_key=folder / "server-key.pem",
        cert=folder / "client-cert.pem",
        key=folder / "client-key.pem",
        encrypted_key=folder / "client-key-encrypted.pem",
        combined=folder / "client-combined.pem",
    )
    ca.cert_pem.write_to_path(str(files.ca))
    for blob in server.cert_chain_pems:
        blob.write_to_path(str(files.server_cert), append=True)
    server.private_key_pem.write_to_path(str(files.server_key))
    client.cert_chain_pems[0].write_to_path(str(files.cert))
    client.private_key_pem.write_to_path(str(files.key))
    client.private_key_and_cert_chain_pem.write_to_path(str(files.combined))
    key = serialization.load_pem_private_key(client.private_key_pem.bytes(), password=None)
    files.encrypted_key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(KEY_PASSWORD.encode()),
        )
    )
    return files


def _mtls_server(files: TLSFiles, **extra: Any) -> TLSServerThread:
    return TLSServerThread(
        app,
        ssl_certfile=str(files.server_cert),
        ssl_keyfile=str(files.server_key),
        ssl_ca_certs=str(files.ca),
        ssl_cert_reqs=ssl.CERT_REQUIRED,
        **extra,
    )


@pytest.fixture(scope="module")
def mtls_url(tls_files: TLSFiles) -> Iterator[str]:
    """An HTTPS server (TLS 1.3) that requires a client certificate from the test CA."""
    with _mtls_server(tls_files) as running:
        yield running.url


@pytest.fixture(scope="module")
def mtls12_url(tls_files: TLSFiles) -> Iterator[str]:
    """The same server limited to TLS 1.2, where the client certificate is in the handshake."""

    def tls12(config: uvicorn.Config, default: Any) -> ssl.SSLContext:
        context: ssl.SSLContext = default()
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        return context

    with _mtls_server(tls_files, ssl_context_factory=tls12) as running:
        yield running.url


def options(**values: str | Path) -> str:
    """An ``[options]`` table; paths are written absolute (a JSON string is a TOML string)."""
    lines = [f"{name} = {json.dumps(str(value))}" for name, value in values.items()]
    return "[options]\n" + "\n".join(lines) + "\n"


def workspace(root: Path, url: str, call_options: str) -> Path:
    """A collection at ``url`` declaring the secret ``key_pw``, with one call ``api/me``."""
    return write(
        root,
        {
            "api/collection.toml": (
                f'base_url = "{url}"\n[variables]\nkey_pw = {{ secret = true }}\n'
            ),
            "api/me.toml": f'url = "/whoami"\n{call_options}',
        },
    )


async def send(root: Path, ref: str = "api/me") -> Exchange:
    ws = load_workspace(root)
    assert ws.problems == {}, ws.problems
    async with Sender() as sender:
        return await sender.send(prepare(ws, ref))


def run_cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``callbench run ARGS -w ROOT``; os.environ carries the isolated folders and secrets.

    PYTHONPATH puts this source tree first, so the command runs the code under test.
    """
    paths = [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]
    return subprocess.run(
        [CALLBENCH, "run", *args, "-w", str(root)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=30,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(paths)},
        cwd=root,
    )


def assert_one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("callbench: "), stderr
    return lines[0]


def assert_client_accepted(exchange: Exchange) -> None:
    assert exchange.response.status == 200, exchange.response.text
    assert exchange.request.url.startswith("https://127.0.0.1:")
    assert exchange.response.json["client_cert_name"].startswith(f"CN={CLIENT_NAME},")


async def test_cert_and_key_are_presented(
    tmp_path: Path, tls_files: TLSFiles, mtls_url: str
) -> None:
    call = options(verify=tls_files.ca, cert=tls_files.cert, key=tls_files.key)
    exchange = await send(workspace(tmp_path, mtls_url, call))
    assert_client_accepted(exchange)
    assert exchange.timing.tls is not None and exchange.timing.tls > 0


async def test_without_a_cert_the_server_refuses_and_the_error_is_a_transport_error(
    tmp_path: Path, tls_files: TLSFiles, mtls_url: str
) -> None:
    root = workspace(tmp_path, mtls_url, options(verify=tls_files.ca))
    with pytest.raises(TransportError) as caught:
        await send(root)
    # TLS 1.3: the client's handshake is over before the server checks its certificate,
    # and uvicorn (asyncio) drops the connection without a TLS alert: the client can only
    # see the connection close before any response.
    assert caught.value.kind in ("reset", "tls"), caught.value
    assert f"127.0.0.1:{mtls_url.rsplit(':', 1)[1]}" in str(caught.value)
    assert "does the server require a client certificate?" in str(caught.value)


async def test_without_a_cert_a_tls12_server_fails_the_handshake(
    tmp_path: Path, tls_files: TLSFiles, mtls12_url: str
) -> None:
    root = workspace(tmp_path, mtls12_url, options(verify=tls_files.ca))
    with pytest.raises(TransportError) as caught:
        await send(root)
    assert caught.value.kind == "tls"
    port = mtls12_url.rsplit(":", 1)[1]
    assert str(caught.value).startswith(f"TLS handshake with 127.0.0.1:{port} failed")
    # and with the certificate, the same TLS 1.2 server accepts the client
    call = options(verify=tls_files.ca, cert=tls_files.cert, key=tls_files.key)
    assert_client_accepted(await send(workspace(tmp_path / "ok", mtls12_url, call)))


async def test_relative_paths_start_at_the_workspace(
    tmp_path: Path, tls_files: TLSFiles, mtls_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "ws"
    certs = root / "certs"
    certs.mkdir(parents=True)
    for name, source in (("ca.pem", tls_files.ca), ("client.pem", tls_files.cert)):
        (certs / name).write_bytes(Path(source).read_bytes())
    (certs / "client.key").write_bytes(Path(tls_files.key).read_bytes())
    call = options(verify="certs/ca.pem", cert="certs/client.pem", key="certs/client.key")
    workspace(root, mtls_url, call)
    monkeypatch.chdir(tmp_path)  # not the workspace: paths must not depend on it
    assert_client_accepted(await send(root))


async def test_encrypted_key_with_a_secret_password(
    tmp_path: Path, tls_files: TLSFiles, mtls_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLBENCH_SECRET_KEY_PW", KEY_PASSWORD)
    call = options(
        verify=tls_files.ca,
        cert=tls_files.cert,
        key=tls_files.encrypted_key,
        key_password="{{key_pw}}",
    )
    assert_client_accepted(await send(workspace(tmp_path, mtls_url, call)))


async def test_encrypted_key_with_a_wrong_password_is_named(
    tmp_path: Path, tls_files: TLSFiles, mtls_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLBENCH_SECRET_KEY_PW", "not-the-password")
    call = options(
        verify=tls_files.ca,
        cert=tls_files.cert,
        key=tls_files.encrypted_key,
        key_password="{{key_pw}}",
    )
    root = workspace(tmp_path, mtls_url, call)
    with pytest.raises(TransportError) as caught:
        await send(root)
    assert caught.value.kind == "tls"
    message = str(caught.value)
    assert "key_password" in message and "wrong password" in message
    assert str(tls_files.encrypted_key) in message
    assert "not-the-password" not in message

    result = run_cli(root, "api/me")
    assert result.returncode == EXIT_TRANSPORT, result.stderr
    assert result.stdout == ""
    line = assert_one_error_line(result.stderr)
    assert "cannot decrypt the private key" in line and "wrong password" in line
    assert "not-the-password" not in line


async def test_encrypted_key_without_a_password_fails_and_never_prompts(
    tmp_path: Path, tls_files: TLSFiles, mtls_url: str
) -> None:
    """OpenSSL would ask for the pass phrase on the terminal; callbench must not let it."""
    call = options(verify=tls_files.ca, cert=tls_files.cert, key=tls_files.encrypted_key)
    root = workspace(tmp_path, mtls_url, call)
    with pytest.raises(TransportError, match="is encrypted; set key_password") as caught:
        await send(root)
    assert caught.value.kind == "tls"


async def test_combined_pem_in_cert_alone(
    tmp_path: Path, tls_files: TLSFiles, mtls_url: str
) -> None:
    call = options(verify=tls_files.ca, cert=tls_files.combined)
    assert_client_accepted(await send(workspace(tmp_path, mtls_url, call)))


async def test_a_cert_file_without_its_key_is_a_clear_error(
    tmp_path: Path, tls_files: TLSFiles, mtls_url: str
) -> None:
    root = workspace(tmp_path, mtls_url, options(verify=tls_files.ca, cert=tls_files.cert))
    with pytest.raises(TransportError) as caught:
        await send(root)
    assert caught.value.kind == "tls"
    assert str(caught.value).startswith("cannot load TLS settings: cert: ")
    assert str(tls_files.cert) in str(caught.value)


async def test_a_missing_key_file_is_named(
    tmp_path: Path, tls_files: TLSFiles, mtls_url: str
) -> None:
    missing = tmp_path / "nope.pem"
    call = options(verify=tls_files.ca, cert=tls_files.cert, key=missing)
    with pytest.raises(TransportError) as caught:
        await send(workspace(tmp_path, mtls_url, call))
    assert str(caught.value) == f"cannot load TLS settings: key: file {str(missing)!r} not found"


def test_cli_run_with_a_client_cert_prints_the_body(
    tmp_path: Path, tls_files: TLSFiles, mtls_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLBENCH_SECRET_KEY_PW", KEY_PASSWORD)
    call = options(
        verify=tls_files.ca,
        cert=tls_files.cert,
        key=tls_files.encrypted_key,
        key_password="{{key_pw}}",
    )
    result = run_cli(workspace(tmp_path, mtls_url, call), "api/me")
    assert result.returncode == EXIT_OK, result.stderr
    assert result.stderr == ""
    assert json.loads(result.stdout)["client_cert_name"].startswith(f"CN={CLIENT_NAME},")


def test_cli_run_without_a_cert_exits_with_the_transport_status(
    tmp_path: Path, tls_files: TLSFiles, mtls_url: str
) -> None:
    result = run_cli(workspace(tmp_path, mtls_url, options(verify=tls_files.ca)), "api/me")
    assert result.returncode == EXIT_TRANSPORT
    assert result.stdout == ""
    assert "127.0.0.1:" in assert_one_error_line(result.stderr)
