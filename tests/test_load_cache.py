"""The load cache: big workspaces reuse parsed calls, and never serve a stale one."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tui.core import load_cache
from tui.core.load_cache import MIN_FILES, LoadCache, cache_file
from tui.core.workspace import load_workspace

HOUR = 3600 * 10**9


def big_workspace(root: Path) -> Path:
    (root / "api").mkdir(parents=True)
    (root / "api" / "collection.toml").write_text('base_url = "http://127.0.0.1:1"\n')
    past = time.time_ns() - HOUR  # outside the racy window of any cache written now
    for i in range(MIN_FILES):
        path = root / "api" / f"call-{i:04}.toml"
        path.write_text(f'name = "Call {i}"\nurl = "/things/{i}"\n[query]\nn = "{i}"\n')
        os.utime(path, ns=(past, past))
    return root


def test_second_load_comes_from_the_cache_and_equals_a_parse(tmp_path: Path) -> None:
    root = big_workspace(tmp_path / "ws")
    first = load_workspace(root)
    assert cache_file(root.resolve()).is_file()
    cache = LoadCache.open(root.resolve())
    assert len(cache.entries) == MIN_FILES
    second = load_workspace(root)
    assert second.calls == first.calls == load_workspace(root, use_cache=False).calls
    assert second.calls["api/call-0007"].path == root.resolve() / "api" / "call-0007.toml"
    assert second.fingerprints == first.fingerprints


def test_a_changed_file_is_parsed_again(tmp_path: Path) -> None:
    root = big_workspace(tmp_path / "ws")
    load_workspace(root)
    path = root / "api" / "call-0003.toml"
    path.write_text('name = "Changed"\nurl = "/changed"\n')
    assert load_workspace(root).calls["api/call-0003"].url == "/changed"


def test_same_size_same_mtime_edit_within_the_racy_window_is_not_trusted(
    tmp_path: Path,
) -> None:
    root = big_workspace(tmp_path / "ws")
    path = root / "api" / "call-0001.toml"
    now = time.time_ns()
    os.utime(path, ns=(now, now))
    load_workspace(root)  # cache written now: call-0001's mtime is too close to trust
    text = path.read_text()
    path.write_text(text.replace("Call 1", "Call X"))  # same size
    os.utime(path, ns=(now, now))  # and the same mtime
    assert load_workspace(root).calls["api/call-0001"].name == "Call X"


def test_broken_files_are_never_cached(tmp_path: Path) -> None:
    root = big_workspace(tmp_path / "ws")
    (root / "api" / "call-0002.toml").write_text('url = "/x\n')
    first = load_workspace(root)
    assert root.resolve() / "api" / "call-0002.toml" in first.problems
    second = load_workspace(root)
    assert root.resolve() / "api" / "call-0002.toml" in second.problems


def test_a_corrupt_or_foreign_cache_is_ignored(tmp_path: Path) -> None:
    root = big_workspace(tmp_path / "ws")
    load_workspace(root)
    cache_file(root.resolve()).write_bytes(b"not a pickle at all")
    assert len(load_workspace(root).calls) == MIN_FILES


def test_code_changes_invalidate_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = big_workspace(tmp_path / "ws")
    load_workspace(root)
    monkeypatch.setattr(load_cache, "_code_key", lambda: "another version")
    assert LoadCache.open(root.resolve()).entries == {}


def test_small_workspaces_do_not_use_the_cache(tmp_path: Path) -> None:
    root = tmp_path / "small"
    (root / "api").mkdir(parents=True)
    (root / "api" / "collection.toml").write_text("")
    (root / "api" / "one.toml").write_text('url = "/"\n')
    load_workspace(root)
    assert not cache_file(root.resolve()).exists()
