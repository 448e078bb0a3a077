"""From a call reference to an exchange: the one path both the CLI and the TUI use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import WorkspaceError
from .exchange import Exchange
from .models import Call
from .request_builder import PreparedRequest, build_request, build_scope
from .secrets import SecretLookup, store_lookup
from .sender import Sender
from .templating import Scope
from .workspace import COLLECTION_FILE, Workspace


def _env_name(workspace: Workspace, environment: str | None) -> str | None:
    chosen = workspace.environment(environment)
    return chosen.name if chosen is not None else None


def check_usable(workspace: Workspace, call: Call, environment: str | None) -> None:
    """Refuse to send with a broken collection or environment file: the request would
    silently lose its base URL, auth or variables."""
    collection = workspace.collections.get(call.collection)
    if collection is not None and collection.path is not None:
        problem = workspace.problems.get(collection.path / COLLECTION_FILE)
        if problem is not None:
            raise WorkspaceError(f"collection {call.collection!r} is broken: {problem}")
    if environment:
        for path, problem in workspace.problems.items():
            if path.parent.name == "environments" and path.stem == environment:
                raise WorkspaceError(f"environment {environment!r} is broken: {problem}")


def scope_for(
    workspace: Workspace,
    call: Call,
    environment: str | None = None,
    run_values: Mapping[str, Any] | None = None,
    session_values: Mapping[str, Any] | None = None,
    secret_lookup: SecretLookup | None = None,
) -> Scope:
    check_usable(workspace, call, environment)
    return build_scope(
        workspace,
        call,
        workspace.environment(environment),
        run_values,
        session_values,
        secret_lookup or store_lookup(workspace.settings.id, _env_name(workspace, environment)),
    )


def prepare(
    workspace: Workspace,
    call: Call | str,
    environment: str | None = None,
    run_values: Mapping[str, Any] | None = None,
    session_values: Mapping[str, Any] | None = None,
    secret_lookup: SecretLookup | None = None,
) -> PreparedRequest:
    """Resolve every variable and build the request, or raise a CallbenchError."""
    if isinstance(call, str):
        call = workspace.call(call)
    scope = scope_for(workspace, call, environment, run_values, session_values, secret_lookup)
    return build_request(workspace, call, scope)


async def run(
    sender: Sender,
    workspace: Workspace,
    call: Call | str,
    environment: str | None = None,
    run_values: Mapping[str, Any] | None = None,
    session_values: Mapping[str, Any] | None = None,
) -> Exchange:
    prepared = prepare(workspace, call, environment, run_values, session_values)
    return await sender.send(prepared)
