"""Load a workspace folder: collections, calls, environments and settings.

Every file is read with tomllib (or its compiled twin, tomli) and validated; a file
that fails is recorded in ``Workspace.problems`` and the rest still loads. A fingerprint
of each file as loaded is kept so that a save can tell whether someone else changed the
file meanwhile.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from . import toml_read
from .errors import FileProblem, WorkspaceError
from .load_cache import MIN_FILES, LoadCache, no_gc
from .models import Call, Collection, Environment, Settings
from .schema import parse_call, parse_collection, parse_environment, parse_settings
from .toml_location import syntax_position

T = TypeVar("T")

SETTINGS_FILE = "callbench.toml"
COLLECTION_FILE = "collection.toml"
ENVIRONMENTS_DIR = "environments"
ENDPOINTS_DIR = "endpoints"
RESERVED_DIRS = frozenset({ENVIRONMENTS_DIR, ENDPOINTS_DIR})


def fingerprint(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass
class Workspace:
    root: Path
    settings: Settings = field(default_factory=Settings)
    collections: dict[str, Collection] = field(default_factory=dict)
    calls: dict[str, Call] = field(default_factory=dict)
    folders: set[str] = field(default_factory=set)
    environments: dict[str, Environment] = field(default_factory=dict)
    problems: dict[Path, FileProblem] = field(default_factory=dict)
    fingerprints: dict[Path, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.settings.name or self.root.name

    @property
    def store_key(self) -> str:
        """What names this workspace in the user's stores (keyring and vault entries,
        session files): its ``id``, or while it has none, its folder (hashed)."""
        return self.settings.id or "path-" + fingerprint(str(self.root).encode())

    def call(self, ref: str) -> Call:
        """The call at ``ref``; an unknown ref is an error that suggests close ones."""
        ref = ref.strip("/").removesuffix(".toml")
        if ref in self.calls:
            return self.calls[ref]
        for path, problem in self.problems.items():
            if self.ref_of(path) == ref:
                raise WorkspaceError(f"call {ref!r} cannot be used: {problem}")
        near = [r for r in self.calls if ref.rsplit("/", 1)[-1] in r]
        hint = f"; did you mean: {', '.join(sorted(near)[:5])}" if near else ""
        raise WorkspaceError(f"no call {ref!r} in workspace {self.root}{hint}")

    def collection_of(self, call: Call) -> Collection:
        return self.collections[call.collection]

    def environment(self, name: str | None) -> Environment | None:
        """The named environment, the settings' default when ``name`` is None, or none."""
        if name is None:
            name = self.settings.default_environment or None
        if not name:
            return None
        if name not in self.environments:
            known = ", ".join(sorted(self.environments)) or "none"
            raise WorkspaceError(f"no environment {name!r} (environments: {known})")
        return self.environments[name]

    def ref_of(self, path: Path) -> str:
        rel = path.relative_to(self.root)
        return rel.with_suffix("").as_posix()

    def calls_in(self, collection: str) -> list[Call]:
        prefix = collection + "/"
        return [c for r, c in self.calls.items() if r.startswith(prefix)]


def find_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` with a callbench.toml, else ``start``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / SETTINGS_FILE).is_file():
            return folder
    return start


def read_toml(path: Path) -> tuple[dict[str, Any], str, bytes]:
    """Parse one file; any failure is a FileProblem with the line and column."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise FileProblem(path, f"cannot read: {error.strerror or error}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        bad_line = raw[: error.start].count(b"\n") + 1
        raise FileProblem(path, "is not valid UTF-8", line=bad_line) from None
    try:
        data = toml_read.loads(text)
    except toml_read.TOMLDecodeError as error:
        line, column, message = syntax_position(error)
        raise FileProblem(path, f"TOML syntax: {message}", line=line, column=column) from None
    return data, text, raw


def load_workspace(root: Path | str, *, use_cache: bool = True) -> Workspace:
    """Load every file of the workspace at ``root``.

    Call files are listed first; a workspace with ``MIN_FILES`` of them or more takes
    unchanged ones from the load cache (see load_cache.py) instead of parsing them.
    """
    workspace = Workspace(Path(root).resolve())
    if not workspace.root.is_dir():
        raise WorkspaceError(f"workspace folder {workspace.root} does not exist")
    with no_gc():  # thousands of new objects, none of them garbage: skip the GC passes
        _load_all(workspace, use_cache)
    return workspace


def _load_all(workspace: Workspace, use_cache: bool) -> None:
    settings = _load(workspace, workspace.root / SETTINGS_FILE, parse_settings, optional=True)
    if settings is not None:
        workspace.settings = settings
    _load_environments(workspace)
    found: list[tuple[str, str]] = []  # (path, ref) of every call file
    with os.scandir(workspace.root) as entries:
        folders = sorted(
            (e for e in entries if e.is_dir() and not _hidden(e.name)), key=lambda e: e.name
        )
    for entry in folders:
        if entry.name in RESERVED_DIRS:
            continue
        collection_file = Path(entry.path) / COLLECTION_FILE
        if not collection_file.is_file():
            continue
        collection = _load(workspace, collection_file, partial(_collection, ref=entry.name))
        # A broken collection.toml still leaves its calls usable as a bare collection.
        workspace.collections[entry.name] = collection or Collection(
            entry.name, path=Path(entry.path)
        )
        _list_folder(workspace, entry.path, entry.name, found)
    cache = LoadCache.open(workspace.root) if use_cache and len(found) >= MIN_FILES else None
    for path, ref in found:
        call = _load(workspace, Path(path), partial(_call, ref=ref), cache=cache, key=path)
        if call is not None:
            workspace.calls[ref] = call
    if cache is not None:
        cache.save()


def _hidden(name: str) -> bool:
    return name.startswith((".", "_"))


def _load_environments(workspace: Workspace) -> None:
    folder = workspace.root / ENVIRONMENTS_DIR
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.toml")):
        environment = _load(workspace, path, partial(_environment, name=path.stem))
        if environment is not None:
            workspace.environments[environment.name] = environment


def _list_folder(workspace: Workspace, folder: str, ref: str, found: list[tuple[str, str]]) -> None:
    """Record sub-folders and add ``(path, ref)`` of each call file, in name order."""
    with os.scandir(folder) as scan:
        entries = sorted(scan, key=lambda e: e.name)
    for entry in entries:
        if _hidden(entry.name):
            continue
        if entry.is_dir():
            sub_ref = f"{ref}/{entry.name}"
            workspace.folders.add(sub_ref)
            _list_folder(workspace, entry.path, sub_ref, found)
        elif entry.name.endswith(".toml") and entry.name != COLLECTION_FILE:
            found.append((entry.path, f"{ref}/{entry.name[:-5]}"))


def _collection(data: dict[str, Any], path: Path, text: str, ref: str) -> Collection:
    return parse_collection(data, path, text, ref)


def _environment(data: dict[str, Any], path: Path, text: str, name: str) -> Environment:
    return parse_environment(data, path, text, name)


def _call(data: dict[str, Any], path: Path, text: str, ref: str) -> Call:
    return parse_call(data, path, text, ref)


def _load(
    workspace: Workspace,
    path: Path,
    parse: Callable[[dict[str, Any], Path, str], T],
    *,
    optional: bool = False,
    cache: LoadCache | None = None,
    key: str = "",
) -> T | None:
    if optional and not path.is_file():
        return None
    stat = None
    if cache is not None:
        try:
            stat = os.stat(key)
        except OSError:
            stat = None
        cached = cache.get(key, stat, path) if stat is not None else None
        if cached is not None:
            workspace.fingerprints[path], model = cached
            return model  # type: ignore[no-any-return]
    try:
        data, text, raw = read_toml(path)
        workspace.fingerprints[path] = fingerprint(raw)
        model = parse(data, path, text)
    except FileProblem as problem:
        workspace.problems[path] = problem
        return None
    if cache is not None and stat is not None:
        cache.put(key, stat, workspace.fingerprints[path], model)
    return model
