"""Read and validate the endpoint files of a workspace.

Each file is checked like any workspace file (errors name the file, line and key); a
broken file is reported and the others still serve. Two endpoints with the same method
and path are an error naming both files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import FileProblem
from ..models import METHODS
from ..schema import Reader
from ..workspace import ENDPOINTS_DIR, read_toml
from .models import (
    INPUT_SOURCES,
    INPUT_TYPES,
    SECURITY_TYPES,
    AfterResponse,
    Endpoint,
    EndpointInput,
    EndpointResponse,
    Security,
    SseEvent,
    SseSpec,
)

_INPUT_KEYS = frozenset({"from", "type", "required", "default", "description", "key"})


@dataclass
class EndpointSet:
    endpoints: list[Endpoint] = field(default_factory=list)
    problems: dict[Path, FileProblem] = field(default_factory=dict)

    def find(self, name: str) -> Endpoint | None:
        return next((e for e in self.endpoints if e.name == name), None)


def load_endpoints(root: Path) -> EndpointSet:
    folder = root / ENDPOINTS_DIR
    result = EndpointSet()
    if not folder.is_dir():
        return result
    taken: dict[tuple[str, str], Endpoint] = {}
    for path in sorted(folder.glob("*.toml")):
        try:
            data, text, _ = read_toml(path)
            endpoint = parse_endpoint(data, path, text)
        except FileProblem as problem:
            result.problems[path] = problem
            continue
        first = taken.get(endpoint.route_key)
        if first is not None:
            result.problems[path] = FileProblem(
                path,
                f"{endpoint.method} {endpoint.path} is already served by "
                f"{first.file.name if first.file else first.name}",
                key="path",
            )
            continue
        taken[endpoint.route_key] = endpoint
        result.endpoints.append(endpoint)
    return result


def parse_endpoint(data: dict[str, Any], path: Path, text: str) -> Endpoint:
    reader = Reader(path, text, data, [])
    method = reader.string("method", "GET").upper()
    if method not in METHODS:
        reader.fail("method", f"{method!r} is not one of: {', '.join(METHODS)}")
    route = reader.string("path")
    if not route.startswith("/"):
        reader.fail("path", "is required and starts with '/'")
    endpoint = Endpoint(
        name=path.stem,
        method=method,
        path=route,
        title=reader.string("name"),
        description=reader.string("description"),
        delay=float(reader.get("delay", (float,), 0.0)),
        file=path,
    )
    if endpoint.delay < 0:
        reader.fail("delay", "must be 0 or more seconds")
    endpoint.inputs = _inputs(reader.table("inputs"), endpoint)
    endpoint.security = _security(reader.table("security"), reader)
    endpoint.response = _response(reader.table("response"))
    after = reader.table("after_response")
    if after is not None:
        call = after.string("call")
        if not call:
            after.fail("call", "is required: the call to run after the response")
        endpoint.after_response = AfterResponse(call, after.string("environment"))
        after.finish()
    reader.finish()
    return endpoint


def _inputs(reader: Reader | None, endpoint: Endpoint) -> dict[str, EndpointInput]:
    inputs: dict[str, EndpointInput] = {}
    for name, raw in (reader.data if reader else {}).items():
        assert reader is not None
        if not isinstance(raw, dict):
            reader.fail(name, "an input is a table: { from = ..., type = ... }")
        sub = reader.child(name, raw)
        item = EndpointInput(
            name,
            source=sub.string("from", "query", INPUT_SOURCES),
            type=sub.string("type", "string", INPUT_TYPES),
            required=sub.boolean("required", "default" not in raw),
            default=raw.get("default"),
            description=sub.string("description"),
            key=sub.string("key"),
        )
        sub.finish(_INPUT_KEYS)
        if item.source == "path" and name not in endpoint.path_params:
            sub.fail("from", f"{endpoint.path!r} has no {{{name}}} segment")
        inputs[name] = item
    for param in endpoint.path_params:
        existing = inputs.get(param)
        if existing is None:
            inputs[param] = EndpointInput(param, source="path")
        elif existing.source != "path" and reader is not None:
            reader.child(param, {}).fail(None, 'matches a {path} segment: use from = "path"')
    return inputs


def _security(reader: Reader | None, parent: Reader) -> Security:
    if reader is None:
        parent.fail(
            "security",
            'is required: type = "public", or "bearer", "basic", "api_key" with a secret',
        )
    security = Security(
        type=reader.string("type", "", SECURITY_TYPES),
        secret=reader.string("secret"),
        username=reader.string("username"),
        name=reader.string("name"),
        location=reader.string("in", "header", ("header", "query")),
    )
    reader.finish()
    if not security.type:
        reader.fail("type", f"is required; one of: {', '.join(SECURITY_TYPES)}")
    if security.type != "public" and not security.secret:
        reader.fail("secret", "names the secret that holds the expected credential")
    if security.type == "basic" and not security.username:
        reader.fail("username", "is required for basic security")
    if security.type == "api_key" and not security.name:
        reader.fail("name", "is required: the header or query parameter that holds the key")
    return security


def _response(reader: Reader | None) -> EndpointResponse:
    if reader is None:
        return EndpointResponse(status=204)
    headers: dict[str, Any] = reader.get("headers", (dict,), {})
    for name, value in headers.items():
        if not isinstance(value, str):
            reader.fail("headers", f"header {name!r} must be a string")
    response = EndpointResponse(
        status=reader.get("status", (int,), 200),
        headers=dict(headers),
        body=reader.string("body"),
        mock_of=reader.string("mock_of"),
        sse=_sse(reader.table("sse")),
    )
    reader.finish()
    if not 100 <= response.status <= 599:
        reader.fail("status", "must be an HTTP status from 100 to 599")
    kinds = [bool(response.body), bool(response.mock_of), response.sse is not None]
    if sum(kinds) > 1:
        reader.fail(None, "give one of body, mock_of or [response.sse]")
    return response


def _sse(reader: Reader | None) -> SseSpec | None:
    if reader is None:
        return None
    raw_events: list[Any] = reader.get("events", (list,), [])
    if not raw_events:
        reader.fail("events", "needs at least one event: { data = '...' }")
    events: list[SseEvent] = []
    for index, raw in enumerate(raw_events):
        if not isinstance(raw, dict):
            reader.fail("events", "each event is a table: { event = ..., data = ... }")
        sub = reader.child("events", raw)
        sub.at.append(str(index))
        events.append(SseEvent(sub.string("data"), sub.string("event"), sub.string("id")))
        sub.finish()
    spec = SseSpec(
        events,
        interval=float(reader.get("interval", (float,), 1.0)),
        repeat=reader.get("repeat", (int,), 1),
    )
    reader.finish()
    if spec.interval < 0 or spec.repeat < 0:
        reader.fail("interval" if spec.interval < 0 else "repeat", "must be 0 or more")
    return spec
