"""Save models back to their files, safely.

A save refuses to overwrite a file that changed on disk since it was loaded, or that is
listed as broken, and checks that what it is about to write loads back to the same model
before it replaces anything.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import toml_read
from .errors import CallbenchError, FileProblem
from .models import Call, Collection, Environment, TomlDict
from .schema import parse_call, parse_collection, parse_environment
from .toml_write import atomic_write, edit_document, new_document
from .workspace import COLLECTION_FILE, ENVIRONMENTS_DIR, Workspace, fingerprint


class ConflictError(CallbenchError):
    """The file on disk is not the one that was loaded: saving would lose someone's edit."""


def call_path(workspace: Workspace, ref: str) -> Path:
    return workspace.root.joinpath(*ref.split("/")).with_suffix(".toml")


def save_call(workspace: Workspace, call: Call) -> bool:
    """Write ``call`` to its file; False when the file already says exactly this."""
    path = call.path or call_path(workspace, call.ref)
    previous = workspace.calls.get(call.ref)
    text = _render(workspace, path, previous.to_toml() if previous else None, call.to_toml())
    _verify(text, lambda data: parse_call(data, path, text, call.ref), call, path)
    changed = _write(workspace, path, text)
    call.path = path
    workspace.calls[call.ref] = call
    return changed


def save_collection(workspace: Workspace, collection: Collection) -> bool:
    folder = collection.path or workspace.root / collection.ref
    path = folder / COLLECTION_FILE
    previous = workspace.collections.get(collection.ref)
    old = previous.to_toml() if previous and path in workspace.fingerprints else None
    text = _render(workspace, path, old, collection.to_toml())
    _verify(text, lambda data: parse_collection(data, path, text, collection.ref), collection, path)
    changed = _write(workspace, path, text)
    collection.path = folder
    workspace.collections[collection.ref] = collection
    return changed


def save_environment(workspace: Workspace, environment: Environment) -> bool:
    path = environment.path or workspace.root / ENVIRONMENTS_DIR / f"{environment.name}.toml"
    previous = workspace.environments.get(environment.name)
    text = _render(workspace, path, previous.to_toml() if previous else None, environment.to_toml())
    _verify(
        text,
        lambda data: parse_environment(data, path, text, environment.name),
        environment,
        path,
    )
    changed = _write(workspace, path, text)
    environment.path = path
    workspace.environments[environment.name] = environment
    return changed


def _render(workspace: Workspace, path: Path, old: TomlDict | None, new: TomlDict) -> str:
    if path in workspace.problems:
        raise ConflictError(
            f"{path} is broken ({workspace.problems[path].message}); fix it by hand first"
        )
    if not path.exists():
        return new_document(new)
    current = _current_bytes(path)
    if workspace.fingerprints.get(path) != fingerprint(current):
        raise ConflictError(f"{path} changed on disk since it was loaded; reload it before saving")
    if old is None:
        return new_document(new)
    return edit_document(current.decode("utf-8"), old, new)


def _current_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise FileProblem(path, f"cannot read: {error.strerror or error}") from None


def _verify(
    text: str, parse: Callable[[dict[str, Any]], object], model: object, path: Path
) -> None:
    """What we write must load back as the same model, or nothing is written."""
    try:
        loaded = parse(toml_read.loads(text))
    except (toml_read.TOMLDecodeError, FileProblem) as error:
        raise CallbenchError(f"{path}: not saved, the result would not load: {error}") from None
    if loaded != model:
        raise CallbenchError(f"{path}: not saved, the result would not load back the same")


def _write(workspace: Workspace, path: Path, text: str) -> bool:
    data = text.encode("utf-8")
    if path.exists() and path.read_bytes() == data:
        workspace.fingerprints[path] = fingerprint(data)
        return False
    atomic_write(path, text)
    workspace.fingerprints[path] = fingerprint(data)
    return True


def ensure_workspace_id(workspace: Workspace) -> str:
    """The workspace's stable id, written to callbench.toml (in place) the first time."""
    if workspace.settings.id:
        return workspace.settings.id
    import uuid

    from .workspace import SETTINGS_FILE

    new_id = uuid.uuid4().hex[:12]
    path = workspace.root / SETTINGS_FILE
    if path in workspace.problems:
        raise ConflictError(f"{path} is broken; fix it before storing secrets")
    if path.exists():
        current = _current_bytes(path)
        if workspace.fingerprints.get(path) not in (None, fingerprint(current)):
            raise ConflictError(f"{path} changed on disk since it was loaded")
        text = edit_document(current.decode("utf-8"), {}, {"id": new_id})
    else:
        text = new_document({"id": new_id})
    atomic_write(path, text)
    workspace.fingerprints[path] = fingerprint(text.encode("utf-8"))
    workspace.settings.id = new_id
    return new_id
