"""Create, rename, duplicate, move and delete collections, folders and calls.

Each operation is a change to files: the TUI's browser calls these and nothing else.
Names become file and folder names, so they are checked before anything is touched,
and an existing file is never replaced.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from .errors import CallbenchError
from .models import Call, Collection
from .store import call_path, save_call, save_collection
from .workspace import COLLECTION_FILE, RESERVED_DIRS, Workspace, fingerprint, load_workspace

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.\-]*$")


class OperationError(CallbenchError):
    """A workspace change that cannot be made as asked (bad name, target exists...)."""


def check_name(name: str, what: str = "name") -> str:
    """A usable file or folder name: letters, digits, space, ``_ . -``; no slash."""
    name = name.strip().removesuffix(".toml")
    if not name:
        raise OperationError(f"{what} is empty")
    if not _NAME.match(name):
        raise OperationError(
            f"{what} {name!r}: use letters, digits, spaces, '_', '.' and '-', "
            "starting with a letter or digit"
        )
    return name


def folder_path(workspace: Workspace, ref: str) -> Path:
    return workspace.root.joinpath(*ref.split("/"))


def create_collection(workspace: Workspace, name: str, base_url: str = "") -> Collection:
    name = check_name(name, "collection name")
    if name in RESERVED_DIRS:
        raise OperationError(f"{name!r} is reserved for the workspace's {name}")
    folder = workspace.root / name
    if folder.exists():
        raise OperationError(f"{folder} already exists")
    folder.mkdir(parents=True)
    collection = Collection(name, base_url=base_url, path=folder)
    save_collection(workspace, collection)
    return collection


def create_folder(workspace: Workspace, parent: str, name: str) -> str:
    """A sub-folder inside a collection (or inside one of its folders)."""
    _check_container(workspace, parent)
    ref = f"{parent}/{check_name(name, 'folder name')}"
    folder = folder_path(workspace, ref)
    if folder.exists():
        raise OperationError(f"{folder} already exists")
    folder.mkdir()
    workspace.folders.add(ref)
    return ref


def create_call(
    workspace: Workspace, parent: str, name: str, method: str = "GET", url: str = ""
) -> Call:
    _check_container(workspace, parent)
    ref = f"{parent}/{check_name(name, 'call name')}"
    if call_path(workspace, ref).exists():
        raise OperationError(f"{call_path(workspace, ref)} already exists")
    call = Call(ref, method=method, url=url)
    save_call(workspace, call)
    return call


def _check_container(workspace: Workspace, ref: str) -> None:
    if ref not in workspace.collections and ref not in workspace.folders:
        raise OperationError(f"{ref!r} is not a collection or folder of this workspace")


def _unique_ref(workspace: Workspace, parent: str, stem: str) -> str:
    candidate = f"{parent}/{stem}"
    number = 2
    while call_path(workspace, candidate).exists():
        candidate = f"{parent}/{stem}-{number}"
        number += 1
    return candidate


def _adopt(workspace: Workspace, old_ref: str | None, new_ref: str, path: Path) -> Call:
    """Load the call now at ``path`` under ``new_ref`` and forget ``old_ref``."""
    fresh = load_call_file(workspace, path, new_ref)
    if old_ref is not None and old_ref != new_ref:
        workspace.calls.pop(old_ref, None)
    return fresh


def load_call_file(workspace: Workspace, path: Path, ref: str) -> Call:
    """(Re)load one call file into the workspace, recording a problem if it is broken."""
    from .schema import parse_call
    from .workspace import read_toml

    workspace.problems.pop(path, None)
    try:
        data, text, raw = read_toml(path)
        workspace.fingerprints[path] = fingerprint(raw)
        call = parse_call(data, path, text, ref)
    except CallbenchError as problem:
        from .errors import FileProblem

        if isinstance(problem, FileProblem):
            workspace.problems[path] = problem
        workspace.calls.pop(ref, None)
        raise
    workspace.calls[ref] = call
    return call


def duplicate_call(workspace: Workspace, ref: str) -> Call:
    """A copy next to the original, byte for byte (comments and all), as "NAME-copy"."""
    source = call_path(workspace, ref)
    parent, stem = ref.rsplit("/", 1)
    new_ref = _unique_ref(workspace, parent, f"{stem}-copy")
    target = call_path(workspace, new_ref)
    shutil.copyfile(source, target)
    return _adopt(workspace, None, new_ref, target)


def rename_call(workspace: Workspace, ref: str, new_name: str) -> Call:
    parent, _ = ref.rsplit("/", 1)
    return _move_file(workspace, ref, f"{parent}/{check_name(new_name, 'call name')}")


def move_call(workspace: Workspace, ref: str, target_parent: str) -> Call:
    _check_container(workspace, target_parent)
    stem = ref.rsplit("/", 1)[1]
    return _move_file(workspace, ref, f"{target_parent}/{stem}")


def _move_file(workspace: Workspace, ref: str, new_ref: str) -> Call:
    source = call_path(workspace, ref)
    target = call_path(workspace, new_ref)
    if new_ref == ref:
        return workspace.call(ref)
    if target.exists():
        raise OperationError(f"{target} already exists")
    source.rename(target)
    workspace.fingerprints.pop(source, None)
    workspace.problems.pop(source, None)
    return _adopt(workspace, ref, new_ref, target)


def delete_call(workspace: Workspace, ref: str) -> None:
    path = call_path(workspace, ref)
    path.unlink()
    workspace.calls.pop(ref, None)
    workspace.fingerprints.pop(path, None)
    workspace.problems.pop(path, None)


def rename_folder(workspace: Workspace, ref: str, new_name: str) -> Workspace:
    """Rename a collection or sub-folder; every ref inside changes, so reload."""
    source = folder_path(workspace, ref)
    parent = ref.rsplit("/", 1)[0] if "/" in ref else ""
    name = check_name(new_name, "folder name")
    if not parent and name in RESERVED_DIRS:
        raise OperationError(f"{name!r} is reserved for the workspace's {name}")
    target = (folder_path(workspace, parent) if parent else workspace.root) / name
    if target.exists():
        raise OperationError(f"{target} already exists")
    source.rename(target)
    return load_workspace(workspace.root)


def delete_folder(workspace: Workspace, ref: str) -> Workspace:
    """Delete a collection or sub-folder with everything in it (the UI confirms first)."""
    folder = folder_path(workspace, ref)
    if ref not in workspace.collections and ref not in workspace.folders:
        raise OperationError(f"{ref!r} is not a collection or folder of this workspace")
    if (folder / COLLECTION_FILE).exists() and "/" in ref:
        raise OperationError(f"{folder} looks like a collection of its own")
    shutil.rmtree(folder)
    return load_workspace(workspace.root)
