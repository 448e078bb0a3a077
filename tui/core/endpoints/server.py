"""The endpoints server: Starlette on uvicorn, answering from the workspace's endpoints.

One catch-all route matches the loaded endpoints; the endpoint files (and the calls that
``mock_of`` and ``after_response`` use) are reloaded when they change. Every request,
good or bad, gets a JSON answer and a run-history record; no request can take the
server down.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hmac
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ..errors import CallbenchError, TemplateError, VariableError
from ..file_snapshot import snapshot
from ..secrets import SecretLookup, env_var_name, store_lookup
from ..templating import Layer, Scope, coerce, render_json, render_text
from ..workspace import Workspace, load_workspace
from .history import History, RunRecord, history_file, redact_record
from .loader import EndpointSet, load_endpoints
from .models import Endpoint

DEFAULT_MAX_BODY = 10 * 1024 * 1024
RELOAD_SECONDS = 1.0
_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


class RequestProblem(Exception):
    """A request the endpoint refuses: becomes a JSON error with this status."""

    def __init__(self, status: int, message: str, field: str = "", **headers: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.headers = headers

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"error": self.message}
        if self.field:
            body["field"] = self.field
        return JSONResponse(body, self.status, headers=self.headers or None)


class Router:
    def __init__(self, endpoints: list[Endpoint]) -> None:
        self.routes = [(endpoint, endpoint.pattern()) for endpoint in endpoints]

    def match(self, method: str, path: str) -> tuple[Endpoint, dict[str, str]]:
        allowed: list[str] = []
        for endpoint, pattern in self.routes:
            found = pattern.match(path)
            if found is None:
                continue
            if endpoint.method == method or (method == "HEAD" and endpoint.method == "GET"):
                return endpoint, found.groupdict()
            allowed.append(endpoint.method)
        if allowed:
            raise RequestProblem(
                405, f"{path} does not answer {method}", Allow=", ".join(sorted(set(allowed)))
            )
        raise RequestProblem(404, f"no endpoint for {method} {path}")


class EndpointsApp:
    """The ASGI application and the state it serves from."""

    def __init__(
        self,
        root: Path,
        *,
        max_body: int = DEFAULT_MAX_BODY,
        secret_lookup: SecretLookup | None = None,
        history: History | None = None,
        reload: bool = True,
    ) -> None:
        self.root = root.resolve()
        self.max_body = max_body
        self.secret_lookup = secret_lookup
        self.history = history if history is not None else History(history_file(self.root))
        self.reload = reload
        self.endpoints = EndpointSet()
        self.router = Router([])
        self.workspace: Workspace | None = None
        self.reloads = 0
        self._snapshot: dict[str, tuple[int, int]] = {}
        self.load()
        self.app = Starlette(
            routes=[Route("/{path:path}", self.handle, methods=_ALL_METHODS)],
            lifespan=self._lifespan,
        )

    # -- loading ------------------------------------------------------------------------

    def load(self) -> None:
        self._snapshot = snapshot(self.root)
        self.endpoints = load_endpoints(self.root)
        self.router = Router(self.endpoints.endpoints)
        try:
            self.workspace = load_workspace(self.root)
        except CallbenchError:
            self.workspace = None

    @asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(self._watch()) if self.reload else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(RELOAD_SECONDS)
            current = await asyncio.to_thread(snapshot, self.root)
            if current != self._snapshot:
                await asyncio.to_thread(self.load)
                self.reloads += 1

    # -- answering ----------------------------------------------------------------------

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        now = dt.datetime.now().astimezone().isoformat(timespec="milliseconds")
        record = RunRecord(
            time=now,
            method=request.method,
            path=request.url.path,
            status=0,
            duration_ms=0.0,
            query=dict(request.query_params),
            headers=dict(request.headers),
            client=request.client.host if request.client else "",
        )
        secrets: list[str] = []
        extra: set[str] = set()
        endpoint: Endpoint | None = None
        try:
            endpoint, params = self.router.match(request.method, request.url.path)
            record.endpoint = endpoint.name
            if endpoint.security.type == "api_key" and endpoint.security.location == "header":
                extra.add(endpoint.security.name)
            secrets = self._check_security(endpoint, request)
            body = await self._read_body(request)
            request_vars = await self._request_vars(request, body)
            inputs = self._inputs(endpoint, request, params, body, request_vars)
            record.inputs = inputs
            if endpoint.delay:
                await asyncio.sleep(endpoint.delay)
            response = self._respond(endpoint, inputs, request_vars)
        except RequestProblem as problem:
            record.error = problem.message
            response = problem.response()
        except Exception as error:  # the server answers, whatever happens
            record.error = f"internal error: {type(error).__name__}: {error}"
            response = JSONResponse({"error": "internal error", "detail": str(error)}, 500)
        record.status = response.status_code
        record.duration_ms = (time.perf_counter() - started) * 1000
        redact_record(record, secrets, extra)
        if (
            endpoint is not None
            and endpoint.after_response is not None
            and response.status_code < 400
        ):
            response.background = BackgroundTask(self._after_response, endpoint, record, secrets)
        else:
            self.history.add(record)
        return response

    def _secret(self, name: str) -> str:
        lookup = self.secret_lookup or store_lookup(
            self.workspace.settings.id if self.workspace else "", None
        )
        value = lookup(name)
        if not value:
            raise RequestProblem(
                503,
                f"this endpoint is not configured: its secret {name!r} has no value "
                f"(set {env_var_name(name)} or run 'callbench secret set {name}')",
            )
        return value

    def _check_security(self, endpoint: Endpoint, request: Request) -> list[str]:
        """Refuse wrong credentials; the secret values used, for redaction."""
        security = endpoint.security
        if security.type == "public":
            return []
        expected = self._secret(security.secret)
        if security.type == "bearer":
            header = request.headers.get("authorization", "")
            scheme, _, token = header.partition(" ")
            if not header or scheme.lower() != "bearer":
                raise RequestProblem(
                    401,
                    "missing credentials: send 'Authorization: Bearer <token>'",
                    **{"WWW-Authenticate": "Bearer"},
                )
            _compare(token.strip(), expected)
        elif security.type == "basic":
            header = request.headers.get("authorization", "")
            scheme, _, encoded = header.partition(" ")
            if not header or scheme.lower() != "basic":
                raise RequestProblem(
                    401,
                    "missing credentials: use HTTP basic authentication",
                    **{"WWW-Authenticate": 'Basic realm="callbench"'},
                )
            try:
                user, _, password = base64.b64decode(encoded).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                raise RequestProblem(401, "malformed basic credentials") from None
            _compare(f"{user}:{password}", f"{security.username}:{expected}")
        else:
            source = request.headers if security.location == "header" else request.query_params
            key = source.get(security.name)
            if key is None:
                where = "header" if security.location == "header" else "query parameter"
                raise RequestProblem(401, f"missing credentials: send the {where} {security.name}")
            _compare(key, expected)
        return [expected]

    async def _read_body(self, request: Request) -> bytes:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body:
            raise RequestProblem(413, f"the body is larger than {self.max_body} bytes")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body:
                raise RequestProblem(413, f"the body is larger than {self.max_body} bytes")
            chunks.append(chunk)
        body = b"".join(chunks)
        request._body = body  # Starlette reads form and JSON from here
        return body

    async def _request_vars(self, request: Request, body: bytes) -> dict[str, Any]:
        """``request.*`` variables for templates: what arrived, for echo endpoints."""
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        out: dict[str, Any] = {
            "request.method": request.method,
            "request.path": request.url.path,
            "request.query": dict(request.query_params),
            "request.headers": dict(request.headers),
            "request.body": body.decode("utf-8", errors="replace"),
            "request.json": None,
            "request.form": {},
        }
        out.update({f"request.headers.{k}": v for k, v in request.headers.items()})
        out.update({f"request.query.{k}": v for k, v in request.query_params.items()})
        if body and (kind == "application/json" or kind.endswith("+json")):
            try:
                out["request.json"] = orjson.loads(body)
            except orjson.JSONDecodeError as error:
                raise RequestProblem(400, f"the body is not valid JSON: {error}") from None
        elif kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
            try:
                form = await request.form()
            except Exception as error:
                raise RequestProblem(400, f"the form body cannot be read: {error}") from None
            fields: dict[str, Any] = {}
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    data = await value.read()
                    item: Any = {
                        "filename": value.filename,
                        "size": len(data),
                        "content_type": value.content_type,
                    }
                else:
                    item = value
                if key in fields:
                    previous = fields[key]
                    fields[key] = (
                        [*previous, item] if isinstance(previous, list) else [previous, item]
                    )
                else:
                    fields[key] = item
            out["request.form"] = fields
        return out

    def _inputs(
        self,
        endpoint: Endpoint,
        request: Request,
        params: dict[str, str],
        body: bytes,
        request_vars: dict[str, Any],
    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        json_body = request_vars["request.json"]
        form = request_vars["request.form"]
        for name, spec in endpoint.inputs.items():
            key = spec.field_name
            raw: Any = None
            where = {
                "path": "path segment",
                "query": "query parameter",
                "header": "header",
                "body": "body field",
            }[spec.source]
            if spec.source == "path":
                raw = params.get(name)
            elif spec.source == "query":
                found = request.query_params.getlist(key)
                raw = found if spec.type == "list" and found else (found[-1] if found else None)
            elif spec.source == "header":
                raw = request.headers.get(key)
            elif isinstance(json_body, dict):
                raw = json_body.get(key)
            elif form:
                raw = form.get(key)
            if raw is None:
                if spec.default is not None:
                    values[name] = spec.default
                    continue
                if spec.required:
                    raise RequestProblem(
                        422, f"missing required input {name!r} ({where} {key})", field=name
                    )
                values[name] = None
                continue
            try:
                values[name] = coerce(raw, spec.type, name)
            except VariableError as error:
                message = str(error).replace("variable ", "input ", 1)
                raise RequestProblem(422, f"{message} ({where} {key})", field=name) from None
        return values

    def _respond(
        self, endpoint: Endpoint, inputs: dict[str, Any], request_vars: dict[str, Any]
    ) -> Response:
        spec = endpoint.response
        where = f"endpoints/{endpoint.name}.toml"
        scope = _scope(inputs, request_vars)
        if spec.mock_of:
            return self._mock(endpoint)
        headers = {
            name: render_text(value, scope, f"{where} response.headers.{name}")
            for name, value in spec.headers.items()
        }
        if spec.sse is not None:
            return StreamingResponse(
                self._events(endpoint, inputs, request_vars),
                status_code=spec.status,
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", **headers},
            )
        kind = _header(headers, "content-type")
        body = spec.body
        is_json = kind.endswith("json") if kind else body.lstrip().startswith(("{", "["))
        try:
            if is_json:
                text = render_json(body, scope, f"{where} response.body")
            else:
                text = render_text(body, scope, f"{where} response.body")
        except TemplateError as error:
            raise RequestProblem(500, f"{error}") from None
        if not kind and body:
            headers["Content-Type"] = "application/json" if is_json else "text/plain; charset=utf-8"
        return Response(text if body else b"", spec.status, headers=headers)

    def _mock(self, endpoint: Endpoint) -> Response:
        ref = endpoint.response.mock_of
        call = self.workspace.calls.get(ref) if self.workspace else None
        if call is None:
            raise RequestProblem(500, f"mock_of: no call {ref!r} in the workspace")
        if call.sample is None:
            raise RequestProblem(
                500,
                f"mock_of: call {ref!r} has no saved sample response "
                "(send it in the TUI and press m in the response viewer, or add [sample])",
            )
        sample = call.sample
        return Response(sample.body, sample.status, headers=sample.headers or None)

    async def _events(
        self, endpoint: Endpoint, inputs: dict[str, Any], request_vars: dict[str, Any]
    ) -> AsyncIterator[bytes]:
        sse = endpoint.response.sse
        assert sse is not None
        where = f"endpoints/{endpoint.name}.toml response.sse"
        sequence = 0
        rounds = 0
        while sse.repeat == 0 or rounds < sse.repeat:
            for event in sse.events:
                scope = _scope({**inputs, "sequence": sequence}, request_vars)
                lines: list[str] = []
                if event.event:
                    lines.append(f"event: {render_text(event.event, scope, where)}")
                if event.id:
                    lines.append(f"id: {render_text(event.id, scope, where)}")
                data = render_text(event.data, scope, where)
                lines += [f"data: {line}" for line in data.split("\n")]
                yield ("\n".join(lines) + "\n\n").encode()
                sequence += 1
                if sse.interval:
                    await asyncio.sleep(sse.interval)
            rounds += 1

    async def _after_response(
        self, endpoint: Endpoint, record: RunRecord, secrets: list[str]
    ) -> None:
        """Run the endpoint's call with its inputs as variables, after the answer is sent."""
        from ..runner import prepare
        from ..sender import Sender

        after = endpoint.after_response
        assert after is not None
        outcome: dict[str, Any] = {"call": after.call}
        try:
            if self.workspace is None:
                raise CallbenchError("the workspace could not be loaded")
            values = {k: v for k, v in record.inputs.items() if v is not None}
            prepared = prepare(self.workspace, after.call, after.environment or None, values)
            async with Sender() as sender:
                exchange = await sender.send(prepared)
            outcome["status"] = exchange.response.status
        except CallbenchError as error:
            outcome["error"] = str(error)
        except Exception as error:
            outcome["error"] = f"{type(error).__name__}: {error}"
        record.after_response = outcome
        redact_record(record, secrets, set())
        self.history.add(record)


def _compare(given: str, expected: str) -> None:
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise RequestProblem(403, "invalid credentials")


def _header(headers: dict[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value.split(";")[0].strip().lower()
    return ""


def _scope(inputs: dict[str, Any], request_vars: dict[str, Any]) -> Scope:
    """Inputs and request.* variables; an input that did not come renders empty/null."""
    return Scope(
        [
            Layer("input", inputs, templated=False),
            Layer("request", request_vars, templated=False),
        ],
        none_is_value=True,
    )


class EndpointServer:
    """uvicorn serving an EndpointsApp on a socket bound up front (errors come early)."""

    def __init__(self, endpoints: EndpointsApp, host: str = "127.0.0.1", port: int = 8787):
        self.endpoints = endpoints
        self.host = host
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.sock.bind((host, port))
        except OSError as error:
            self.sock.close()
            raise CallbenchError(f"cannot listen on {host}:{port}: {error.strerror}") from None
        self.sock.listen(2048)  # connections queue from now on, before uvicorn runs
        self.port: int = self.sock.getsockname()[1]
        config = uvicorn.Config(
            endpoints.app, log_level="critical", access_log=False, lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def run(self) -> None:
        """Serve until interrupted (the CLI)."""
        self.server.run(sockets=[self.sock])

    def start(self, timeout: float = 10.0) -> None:
        """Serve from a background thread (the TUI, tests)."""
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise CallbenchError(f"the endpoints server did not start on {self.url}")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=5)
        self.sock.close()
        self.endpoints.history.close()


def serve_in_thread(
    root: Path,
    host: str = "127.0.0.1",
    port: int = 8787,
    on_run: Callable[[RunRecord], None] | None = None,
    **options: Any,
) -> EndpointServer:
    app = EndpointsApp(root, **options)
    if on_run is not None:
        app.history.listeners.append(on_run)
    server = EndpointServer(app, host, port)
    server.start()
    return server
