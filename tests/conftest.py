"""Fixtures: a real HTTP server on 127.0.0.1, isolated user folders, workspaces."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.loopback import ServerThread
from tests.oauth_server import OAuthServer, OAuthState, oauth_app
from tests.server_app import app


@pytest.fixture(scope="session")
def server() -> Iterator[ServerThread]:
    with ServerThread(app) as running:
        yield running


@pytest.fixture(scope="session")
def server_url(server: ServerThread) -> str:
    return server.url


class ResetServer:
    """Accepts a connection, reads the request, then resets it (RST, no response)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.recv(65536)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="session")
def reset_url() -> Iterator[str]:
    server = ResetServer()
    yield f"http://127.0.0.1:{server.port}"
    server.close()


@pytest.fixture(scope="session")
def closed_port() -> int:
    """A loopback port with nothing listening."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    sock.close()
    return port


@pytest.fixture(autouse=True)
def isolated_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Never touch the real config, data, cache folders or keyring."""
    home = tmp_path_factory.mktemp("home")
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(home / name.lower()))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    return home


def write(root: Path, files: dict[str, str]) -> Path:
    """Create a workspace from ``{relative path: text}``."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A real keyring backend (a JSON file in tmp_path), also for child processes."""
    path = tmp_path / "keyring.json"
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.support.file_keyring.FileKeyring")
    monkeypatch.setenv("CALLBENCH_TEST_KEYRING_FILE", str(path))
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parent.parent))
    import keyring.core

    keyring.core.init_backend()
    yield path
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    keyring.core.init_backend()


@pytest.fixture(scope="session")
def oauth_server() -> Iterator[OAuthServer]:
    """The OAuth2 authorization server of tests/oauth_server.py, on 127.0.0.1."""
    state = OAuthState()
    with ServerThread(oauth_app(state)) as running:
        yield OAuthServer(url=running.url, state=state)


@pytest.fixture
def oauth(oauth_server: OAuthServer) -> OAuthServer:
    """The OAuth2 server with its state reset: no tokens, no records, default knobs."""
    oauth_server.state.reset()
    return oauth_server
