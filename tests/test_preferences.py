"""The environment chosen for a workspace, remembered outside it (user state folder)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import write
from tui.core.preferences import (
    initial_environment,
    remember_environment,
    remembered_environment,
    state_path,
)
from tui.core.session import Session
from tui.core.workspace import load_workspace

FILES = {
    "callbench.toml": 'default_environment = "dev"\n',
    "environments/dev.toml": '[variables]\napi = "http://dev"\n',
    "environments/other.toml": '[variables]\napi = "http://other"\n',
    "api/collection.toml": 'base_url = "{{api}}"\n',
    "api/items.toml": 'url = "/items"\n',
}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return write(tmp_path / "ws", FILES)


def test_the_state_file_is_in_the_user_state_folder_never_the_workspace(root: Path) -> None:
    remember_environment(root, "other")
    assert str(state_path()).startswith(os.environ["XDG_STATE_HOME"])
    assert state_path().is_file()
    assert not any("state" in p.name for p in root.rglob("*"))
    document = json.loads(state_path().read_text())
    assert document["workspaces"][str(root.resolve())] == {"environment": "other"}


def test_remembered_environment_round_trip(root: Path) -> None:
    workspace = load_workspace(root)
    assert remembered_environment(root) == (False, None)
    assert initial_environment(workspace) == "dev"  # nothing remembered: the default
    remember_environment(root, "other")
    assert remembered_environment(root) == (True, "other")
    assert initial_environment(workspace) == "other"
    assert Session.open(root).environment == "other"
    # "No environment" chosen on purpose is remembered too.
    remember_environment(root, None)
    assert remembered_environment(root) == (True, None)
    assert initial_environment(workspace) is None
    assert Session.open(root).environment is None


def test_keyed_by_the_resolved_root(root: Path, tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(root)
    remember_environment(link, "other")
    assert initial_environment(load_workspace(root)) == "other"
    other = write(tmp_path / "ws2", FILES)  # another workspace keeps its own choice
    assert initial_environment(load_workspace(other)) == "dev"
    remember_environment(other, None)
    assert initial_environment(load_workspace(root)) == "other"


def test_a_deleted_environment_falls_back_to_the_default_then_none(root: Path) -> None:
    remember_environment(root, "other")
    (root / "environments/other.toml").unlink()
    assert Session.open(root).environment == "dev"
    (root / "callbench.toml").write_text('default_environment = "gone"\n')
    assert Session.open(root).environment is None


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"\xff\xfe", b"[]", b'{"workspaces": 3}', b'{"workspaces": {"x": 1}}', b""],
    ids=["syntax", "bytes", "list", "bad-workspaces", "other-entry", "empty"],
)
def test_a_corrupt_state_file_is_ignored(root: Path, content: bytes) -> None:
    path = state_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    assert initial_environment(load_workspace(root)) == "dev"
    remember_environment(root, "other")  # and is replaced by a good one
    assert initial_environment(load_workspace(root)) == "other"
    if content == b'{"workspaces": {"x": 1}}':  # other workspaces' entries are kept
        assert json.loads(path.read_text())["workspaces"]["x"] == 1


def test_a_bad_entry_for_this_workspace_is_ignored(root: Path) -> None:
    path = state_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = str(root.resolve())
    for entry in ({"environment": 3}, {"environment": ""}, "dev", {}):
        path.write_text(json.dumps({"version": 1, "workspaces": {key: entry}}))
        assert remembered_environment(root) == (False, None)
        assert initial_environment(load_workspace(root)) == "dev"


def test_an_unwritable_state_folder_is_not_an_error(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder should be")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocked))
    remember_environment(root, "other")  # best effort: nothing raised
    assert initial_environment(load_workspace(root)) == "dev"
