"""Build a ready-to-send request from a call, its collection and a variable scope.

Everything that can be wrong with a request (a missing variable, a bad template, invalid
JSON, a missing file, a URL with no scheme) is found here, before any byte is sent.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from .auth import apply_auth, effective_auth
from .errors import BodyError, TemplateError
from .models import Call, Collection, Environment, Options, Param, Variable
from .templating import Layer, Scope, render_json, render_text, render_value, to_text
from .workspace import Workspace

JSON_TYPE = "application/json"
TEXT_TYPE = "text/plain; charset=utf-8"
FORM_TYPE = "application/x-www-form-urlencoded"
RUN_SOURCE = "run"
# What every request carries unless the collection or call says otherwise.
DEFAULT_HEADERS = {
    "User-Agent": "callbench/0.1",
    "Accept": "*/*",
    "Accept-Encoding": "gzip, deflate",
}


@dataclass(slots=True)
class TransportOptions:
    """Client-level settings, rendered: requests that share them share a client."""

    verify: bool | str = True
    proxy: str = ""
    cert: str = ""
    key: str = ""
    key_password: str = ""

    def key_tuple(self) -> tuple[Any, ...]:
        return (self.verify, self.proxy, self.cert, self.key, self.key_password)


@dataclass(slots=True)
class PreparedRequest:
    """A request ready to send, with what sending needs to know beside it."""

    call_ref: str
    request: httpx.Request
    options: Options
    transport: TransportOptions
    secrets: list[str] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)
    # For a multipart body: (name, value, file path or None) per part, for curl export.
    parts: list[tuple[str, str, str | None]] = field(default_factory=list)


def build_scope(
    workspace: Workspace,
    call: Call,
    environment: Environment | None = None,
    run_values: Mapping[str, Any] | None = None,
    session_values: Mapping[str, Any] | None = None,
    secret_lookup: Any = None,
) -> Scope:
    """Layers in DESIGN.md's order: run, session, environment, call, collection."""
    collection = workspace.collections.get(call.collection)
    env_vars = environment.variables if environment else {}
    collection_vars = collection.variables if collection else {}
    layers = [
        Layer(RUN_SOURCE, dict(run_values or {}), templated=False),
        Layer("session", dict(session_values or {}), templated=False),
        Layer(
            f"environment {environment.name}" if environment else "environment",
            {n: v.default for n, v in env_vars.items()},
        ),
        Layer(f"call {call.ref}", {n: v.default for n, v in call.variables.items()}),
        Layer(
            f"collection {call.collection}",
            {n: v.default for n, v in collection_vars.items()},
        ),
    ]
    return Scope(
        layers,
        declarations=merged_declarations(call, collection, environment),
        secret_lookup=secret_lookup,
        secret_position=2,
    )


def merged_declarations(
    call: Call, collection: Collection | None, environment: Environment | None
) -> dict[str, Variable]:
    """Declarations by name: the call's over the collection's over the environment's.

    A variable is secret when any of them says so, so a call cannot unmask a secret.
    """
    merged: dict[str, Variable] = {}
    sources = [
        environment.variables if environment else {},
        collection.variables if collection else {},
        call.variables,
    ]
    for variables in sources:
        for name, variable in variables.items():
            secret = variable.secret or (name in merged and merged[name].secret)
            merged[name] = Variable(
                name,
                variable.type,
                variable.default,
                variable.required,
                secret,
                variable.description,
                variable.data_type,
            )
    return merged


def _target(call: Call, collection: Collection | None, scope: Scope) -> tuple[str, httpx.Headers]:
    """The full URL (query and an API-key-in-query appended) and the headers, auth
    included: everything of a request but its body."""
    url = _url(call, collection, scope)
    merged_query = {**(collection.query if collection else {}), **call.query}
    params = _render_params(merged_query, scope, "query")
    headers = httpx.Headers(DEFAULT_HEADERS)
    for name, value in _render_params(
        _merge_headers(collection.headers if collection else {}, call.headers), scope, "headers"
    ):
        headers[name] = value
    auth = effective_auth(call, collection)
    if auth is not None:
        apply_auth(auth, scope, headers, params)
    if params:
        # Appended as text: the url's own query string is kept exactly as written.
        url, hash_, fragment = url.partition("#")
        url += ("&" if "?" in url else "?") + str(httpx.QueryParams(tuple(params)))
        url += hash_ + fragment
    return url, headers


def preview_url(workspace: Workspace, call: Call, scope: Scope) -> str:
    """The URL a send would use, without building the body (no files read): cheap
    enough to show under the URL while the user types."""
    return _target(call, workspace.collections.get(call.collection), scope)[0]


def build_request(workspace: Workspace, call: Call, scope: Scope) -> PreparedRequest:
    url, headers = _target(call, workspace.collections.get(call.collection), scope)
    body = _body(workspace, call, scope, headers)
    options = call.options
    try:
        request = httpx.Request(
            call.method,
            url,
            headers=headers,
            content=body.content,
            data=body.data,
            files=body.files,
            extensions={"timeout": httpx.Timeout(options.timeout).as_dict()},
        )
    except (httpx.InvalidURL, ValueError, TypeError) as error:
        raise TemplateError(f"url: {url!r} is not a valid URL: {error}") from None
    request.read()  # bodies are built in memory: keep them to show what was sent
    return PreparedRequest(
        call_ref=call.ref,
        request=request,
        options=options,
        transport=_transport(options, scope, workspace.root),
        secrets=scope.secret_values,
        variables={name: r.value for name, r in scope.used.items()},
        parts=body.parts,
    )


def _url(call: Call, collection: Collection | None, scope: Scope) -> str:
    url = render_text(call.url, scope, "url").strip()
    base = render_text(collection.base_url, scope, "base_url").strip() if collection else ""
    if base and (url.startswith("/") or not url):
        url = base.rstrip("/") + url
    elif base and url.startswith("?"):
        url = base + url
    if not url:
        raise TemplateError(f"url: call {call.ref!r} has no url and its collection no base_url")
    if "://" not in url:
        raise TemplateError(f"url: {url!r} has no scheme; start it with http:// or https://")
    scheme = url.split("://", 1)[0].lower()
    if scheme not in ("http", "https"):
        raise TemplateError(f"url: scheme {scheme!r} is not supported; use http or https")
    return url


def _merge_headers(shared: dict[str, Param], own: dict[str, Param]) -> dict[str, Param]:
    """Header names are case-insensitive: the call's ``accept`` replaces ``Accept``."""
    merged = {name.lower(): (name, param) for name, param in shared.items()}
    merged.update({name.lower(): (name, param) for name, param in own.items()})
    return dict(merged.values())


def _render_params(
    params: Mapping[str, Param], scope: Scope, section: str
) -> list[tuple[str, str]]:
    """Enabled parameters as pairs: lists repeat the name, empty optionals drop out."""
    pairs: list[tuple[str, str]] = []
    for name, param in params.items():
        if not param.enabled:
            continue
        where = f"{section}.{name}"
        rendered_name = render_text(name, scope, where)
        values = param.value if isinstance(param.value, list) else [param.value]
        for raw in values:
            value = render_value(raw, scope, where) if isinstance(raw, str) else raw
            if value is None:
                continue
            if isinstance(value, list):
                pairs.extend((rendered_name, to_text(v)) for v in value)
            else:
                pairs.append((rendered_name, to_text(value)))
    return pairs


_FileEntry = tuple[str, tuple[str, bytes, str]]


@dataclass(slots=True)
class _Body:
    content: bytes | None = None
    data: dict[str, str | list[str]] | None = None
    files: list[_FileEntry] | None = None
    parts: list[tuple[str, str, str | None]] = field(default_factory=list)


def _body(workspace: Workspace, call: Call, scope: Scope, headers: httpx.Headers) -> _Body:
    body = call.body
    if body.type == "json":
        text = render_json(body.content, scope, "body")
        headers.setdefault("Content-Type", JSON_TYPE)
        return _Body(text.encode("utf-8") if text.strip() else None)
    if body.type == "text":
        headers.setdefault("Content-Type", TEXT_TYPE)
        return _Body(render_text(body.content, scope, "body").encode("utf-8"))
    if body.type == "form":
        fields = _render_params(body.fields, scope, "body.fields")
        headers.setdefault("Content-Type", FORM_TYPE)
        return _Body(str(httpx.QueryParams(tuple(fields))).encode("ascii"))
    if body.type == "multipart":
        fields = _render_params(body.fields, scope, "body.fields")
        files, paths = _files(workspace, body.files, scope)
        parts: list[tuple[str, str, str | None]] = [(n, v, None) for n, v in fields]
        parts += [(name, "", str(path)) for name, path in paths]
        if not files:
            # httpx encodes fields without files as urlencoded; a multipart body was asked for.
            return _Body(_multipart_fields_only(fields, headers), parts=parts)
        return _Body(data=_group(fields), files=files, parts=parts)
    return _Body()


def _group(pairs: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    """Pairs as httpx's ``data=`` mapping: a repeated name becomes a list."""
    grouped: dict[str, str | list[str]] = {}
    for name, value in pairs:
        existing = grouped.get(name)
        if existing is None:
            grouped[name] = value
        elif isinstance(existing, list):
            existing.append(value)
        else:
            grouped[name] = [existing, value]
    return grouped


def _multipart_fields_only(fields: list[tuple[str, str]], headers: httpx.Headers) -> bytes:
    boundary = os.urandom(16).hex()
    headers.setdefault("Content-Type", f"multipart/form-data; boundary={boundary}")
    chunks = []
    for name, value in fields:
        quoted = name.replace("\\", "\\\\").replace('"', "%22").replace("\n", "%0A")
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{quoted}"\r\n\r\n{value}\r\n'
        )
    chunks.append(f"--{boundary}--\r\n")
    return "".join(chunks).encode("utf-8")


def _files(
    workspace: Workspace, files: Mapping[str, Param], scope: Scope
) -> tuple[list[_FileEntry], list[tuple[str, Path]]]:
    out: list[_FileEntry] = []
    paths: list[tuple[str, Path]] = []
    for name, param in files.items():
        if not param.enabled:
            continue
        where = f"body.files.{name}"
        raw = param.value if isinstance(param.value, str) else to_text(param.value)
        value = render_value(raw, scope, where)
        if value is None:
            continue
        reference = raw.strip()[2:-2].strip() if raw.strip().startswith("{{") else None
        from_run = reference in scope.used and scope.used[reference].source == RUN_SOURCE
        base = Path(os.getcwd()) if from_run else workspace.root
        path = (base / os.path.expanduser(to_text(value))).resolve()
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            raise BodyError(f"{where}: file {str(path)!r} does not exist") from None
        except OSError as error:
            raise BodyError(f"{where}: cannot read {str(path)!r}: {error.strerror}") from None
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        out.append((name, (path.name, content, mime)))
        paths.append((name, path))
    return out, paths


def _transport(options: Options, scope: Scope, root: Path) -> TransportOptions:
    """Rendered; file paths (CA bundle, certificate, key) are relative to the workspace,
    like body files, so a run from another folder finds them."""

    def path(value: str, where: str) -> str:
        text = render_text(value, scope, where)
        return str(root / Path(text).expanduser()) if text else ""

    verify: bool | str = options.verify
    if isinstance(verify, str):
        verify = path(verify, "options.verify")
    return TransportOptions(
        verify=verify,
        proxy=render_text(options.proxy, scope, "options.proxy"),
        cert=path(options.cert, "options.cert"),
        key=path(options.key, "options.key"),
        key_password=render_text(options.key_password, scope, "options.key_password"),
    )
