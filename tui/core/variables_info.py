"""Which variables a call uses, their values and where each value comes from.

The TUI's variables form shows this; nothing here raises for a missing value: a row
carries the problem instead, so the form can show every variable at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .datatypes import FieldType, members
from .errors import CallbenchError
from .models import Call, Collection, Param
from .request_builder import build_scope
from .secrets import SecretLookup, environment_lookup
from .templating import Scope, references
from .workspace import Workspace


@dataclass(slots=True)
class VariableRow:
    name: str
    type: str = "string"
    required: bool = True
    secret: bool = False
    description: str = ""
    value: Any = None
    source: str = ""
    used_in: list[str] = field(default_factory=list)
    problem: str = ""
    # A json variable shaped by a call's [data_type]: its top-level members and types.
    members: list[tuple[str, FieldType]] = field(default_factory=list)

    @property
    def missing(self) -> bool:
        return self.source == "" and self.required


def templates_of(call: Call, collection: Collection | None) -> Iterator[tuple[str, str]]:
    """Every templated string a send of ``call`` renders, with where it is."""
    if collection is not None:
        yield "base_url", collection.base_url
    yield "url", call.url
    shared_query = collection.query if collection else {}
    shared_headers = collection.headers if collection else {}
    for section, params in (
        ("query", {**shared_query, **call.query}),
        ("headers", {**shared_headers, **call.headers}),
        ("body.fields", call.body.fields),
        ("body.files", call.body.files),
    ):
        yield from _param_templates(section, params)
    if call.body.type in ("json", "text"):
        yield "body", call.body.content
    auth = call.auth if call.auth is not None and call.auth.type != "inherit" else None
    if auth is None and collection is not None:
        auth = collection.auth
    if auth is not None:
        for key, value in auth.params.items():
            if isinstance(value, str):
                yield f"auth.{key}", value
    options = call.options
    for key in ("proxy", "cert", "key", "key_password"):
        yield f"options.{key}", getattr(options, key)
    if isinstance(options.verify, str):
        yield "options.verify", options.verify


def _param_templates(section: str, params: Mapping[str, Param]) -> Iterator[tuple[str, str]]:
    for name, param in params.items():
        if not param.enabled:
            continue
        values = param.value if isinstance(param.value, list) else [param.value]
        yield f"{section}.{name}", name
        for value in values:
            if isinstance(value, str):
                yield f"{section}.{name}", value


def used_names(call: Call, collection: Collection | None) -> dict[str, list[str]]:
    """Variable name -> the fields that reference it, in order of first use."""
    used: dict[str, list[str]] = {}
    for where, template in templates_of(call, collection):
        for name in references(template):
            places = used.setdefault(name, [])
            if where not in places:
                places.append(where)
    return used


def describe_variables(
    workspace: Workspace,
    call: Call,
    environment: str | None = None,
    run_values: Mapping[str, Any] | None = None,
    session_values: Mapping[str, Any] | None = None,
    secret_lookup: SecretLookup | None = None,
) -> list[VariableRow]:
    collection = workspace.collections.get(call.collection)
    try:
        env = workspace.environment(environment)
    except CallbenchError:
        env = None
    scope = build_scope(
        workspace,
        call,
        env,
        run_values,
        session_values,
        secret_lookup or environment_lookup(),
    )
    used = used_names(call, collection)
    names = list(used) + [n for n in call.variables if n not in used]
    rows: dict[str, VariableRow] = {}
    for name in names:
        rows[name] = _row(workspace, scope, name, used.get(name, []))
    # Variables reached through others ({{api}} = "http://{{host}}") show up too.
    for name, resolved in list(scope.used.items()):
        if name not in rows:
            rows[name] = _row(workspace, scope, name, [f"variable {resolved.via}"])
    return list(rows.values())


def _members(workspace: Workspace, ref: str) -> tuple[list[tuple[str, FieldType]], str]:
    call = workspace.calls.get(ref)
    if call is None:
        return [], f"data_type: no call {ref!r}"
    if call.data_type is None:
        return [], f"data_type: {ref} has no stored data type yet (initialize it)"
    return members(call.data_type), ""


def _row(workspace: Workspace, scope: Scope, name: str, used_in: list[str]) -> VariableRow:
    declaration = scope.declarations.get(name)
    row = VariableRow(name, used_in=list(used_in))
    if declaration is not None:
        row.type = declaration.type
        row.required = declaration.required
        row.secret = declaration.secret
        row.description = declaration.description
        if declaration.data_type:
            row.members, problem = _members(workspace, declaration.data_type)
            if problem:
                row.problem = problem
    try:
        resolved = scope.resolve(name, used_in[0] if used_in else "variables")
    except CallbenchError as error:
        row.problem = str(error)
        return row
    if resolved is not None:
        row.value = resolved.value
        row.source = resolved.source
    return row
