"""The endpoints server, against a real uvicorn on an ephemeral loopback port."""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import write
from tui.core.endpoints.history import History, RunRecord, history_file
from tui.core.endpoints.loader import load_endpoints
from tui.core.endpoints.server import EndpointsApp, EndpointServer

SECRET = "s3cr3t-value-42"

FILES = {
    "api/collection.toml": 'base_url = "{{api}}"\n',
    "api/product.toml": (
        'url = "/product"\n[sample]\nstatus = 203\nheaders = { X-Mock = "yes" }\n'
        "body = '{\"mocked\": true}'\n"
    ),
    "api/notify.toml": 'method = "POST"\nurl = "/notified/{{order_id}}?who={{who}}"\n',
    "endpoints/typed.toml": """
method = "POST"
path = "/orders/{order_id}"
[security]
type = "public"
[inputs]
order_id = { from = "path", type = "integer" }
qty = { from = "body", type = "integer" }
gift = { from = "body", type = "boolean", default = false }
tags = { from = "query", type = "list", required = false }
trace = { from = "header", type = "string", key = "X-Trace", required = false }
note = { from = "body", type = "string", required = false }
[response]
status = 201
headers = { X-Order = "{{order_id}}" }
body = '''
{"order": {{order_id}}, "qty": {{qty}}, "gift": {{gift}}, "tags": {{tags}},
 "trace": "{{trace}}", "note": "{{note}}"}
'''
""",
    "endpoints/bearer.toml": (
        'path = "/bearer"\n[security]\ntype = "bearer"\nsecret = "hook_token"\n'
        "[response]\nbody = '{\"ok\": true}'\n"
    ),
    "endpoints/basic.toml": (
        'path = "/basic"\n[security]\ntype = "basic"\nusername = "ann"\nsecret = "hook_token"\n'
        "[response]\nbody = '{\"ok\": true}'\n"
    ),
    "endpoints/apikey.toml": (
        'path = "/apikey"\n[security]\ntype = "api_key"\nin = "query"\nname = "key"\n'
        'secret = "hook_token"\n[response]\nbody = \'{"ok": true}\'\n'
    ),
    "endpoints/nosecret.toml": (
        'path = "/nosecret"\n[security]\ntype = "bearer"\nsecret = "never_set"\n'
    ),
    "endpoints/mock.toml": 'path = "/mock"\n[security]\ntype = "public"\n[response]\n'
    'mock_of = "api/product"\n',
    "endpoints/events.toml": """
path = "/events"
[security]
type = "public"
[inputs]
who = { from = "query", default = "x" }
[response.sse]
interval = 0
repeat = 2
events = [ { event = "tick", id = "{{sequence}}", data = '{"n": {{sequence}}, "who": "{{who}}"}' },
           { data = "two\\nlines" } ]
""",
    "endpoints/hook.toml": """
method = "POST"
path = "/hook"
[security]
type = "bearer"
secret = "hook_token"
[inputs]
order_id = { from = "body", type = "integer" }
who = { from = "body", default = "ann" }
[response]
status = 202
[after_response]
call = "api/notify"
""",
    "endpoints/notified.toml": (
        'method = "POST"\npath = "/notified/{order_id}"\n[security]\ntype = "public"\n'
        '[inputs]\nwho = { from = "query" }\n[response]\nbody = \'{"seen": "{{who}}"}\'\n'
    ),
    "endpoints/echo.toml": (
        'method = "POST"\npath = "/echo"\n[security]\ntype = "public"\n[response]\n'
        'body = \'{"form": {{request.form}}, "json": {{request.json}}, '
        '"ua": "{{request.headers.user-agent}}"}\'\n'
    ),
}


def lookup(name: str) -> str | None:
    return {"hook_token": SECRET}.get(name)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[EndpointServer, Path]]:
    root = write(tmp_path / "ws", FILES)
    app = EndpointsApp(root, secret_lookup=lookup, max_body=1000)
    server = EndpointServer(app, "127.0.0.1", 0)
    (root / "environments").mkdir()
    (root / "callbench.toml").write_text('default_environment = "here"\n')
    (root / "environments/here.toml").write_text(f'[variables]\napi = "{server.url}"\n')
    app.load()
    server.start()
    yield server, root
    server.stop()


def client(server: EndpointServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=10)


def test_typed_inputs_from_path_query_header_and_body(served: tuple[EndpointServer, Path]) -> None:
    server, _ = served
    with client(server) as c:
        r = c.post(
            "/orders/7?tags=a&tags=b",
            json={"qty": "3", "note": 'say "hi"'},
            headers={"X-Trace": "t-1"},
        )
    assert r.status_code == 201
    assert r.headers["x-order"] == "7"
    assert r.json() == {
        "order": 7,
        "qty": 3,
        "gift": False,
        "tags": ["a", "b"],
        "trace": "t-1",
        "note": 'say "hi"',
    }


@pytest.mark.parametrize(
    ("url", "body", "field", "message"),
    [
        ("/orders/x", {"qty": 1}, "order_id", "input 'order_id' must be an integer; got 'x'"),
        ("/orders/1", {}, "qty", "missing required input 'qty' (body field qty)"),
        ("/orders/1", {"qty": "many"}, "qty", "must be an integer"),
        ("/orders/1", {"qty": 1, "gift": "perhaps"}, "gift", "must be true or false"),
    ],
)
def test_input_errors_are_422_naming_the_field(
    served: tuple[EndpointServer, Path],
    url: str,
    body: dict[str, object],
    field: str,
    message: str,
) -> None:
    server, _ = served
    with client(server) as c:
        r = c.post(url, json=body)
    assert r.status_code == 422
    assert r.json()["field"] == field
    assert message in r.json()["error"]


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/bearer", {}, 401),
        ("/bearer", {"Authorization": "Bearer wrong"}, 403),
        ("/bearer", {"Authorization": f"Bearer {SECRET}"}, 200),
        ("/basic", {}, 401),
        ("/basic", {"Authorization": "Basic " + base64.b64encode(b"ann:nope").decode()}, 403),
        (
            "/basic",
            {"Authorization": "Basic " + base64.b64encode(f"ann:{SECRET}".encode()).decode()},
            200,
        ),
        ("/apikey", {}, 401),
        ("/apikey?key=wrong", {}, 403),
        (f"/apikey?key={SECRET}", {}, 200),
        ("/nosecret", {"Authorization": "Bearer x"}, 503),
    ],
)
def test_security_modes(
    served: tuple[EndpointServer, Path], path: str, headers: dict[str, str], status: int
) -> None:
    server, _ = served
    with client(server) as c:
        r = c.get(path, headers=headers)
    assert r.status_code == status, r.text
    if status == 503:
        assert "CALLBENCH_SECRET_NEVER_SET" in r.json()["error"]
    if status == 401 and path == "/bearer":
        assert r.headers["www-authenticate"] == "Bearer"


def test_unknown_route_wrong_method_big_and_bad_bodies(served: tuple[EndpointServer, Path]) -> None:
    server, _ = served
    with client(server) as c:
        missing = c.get("/nope")
        wrong = c.get("/orders/1")
        big = c.post("/orders/1", content=b"x" * 5000, headers={"content-type": "text/plain"})
        bad = c.post(
            "/orders/1", content=b"{not json", headers={"content-type": "application/json"}
        )
        still = c.post("/orders/2", json={"qty": 1})
    assert missing.status_code == 404 and missing.json() == {"error": "no endpoint for GET /nope"}
    assert wrong.status_code == 405 and wrong.headers["allow"] == "POST"
    assert big.status_code == 413 and "larger than 1000 bytes" in big.json()["error"]
    assert bad.status_code == 400 and "not valid JSON" in bad.json()["error"]
    assert still.status_code == 201, "the server keeps serving after bad requests"


def test_mock_of_answers_with_the_saved_sample(served: tuple[EndpointServer, Path]) -> None:
    server, _ = served
    with client(server) as c:
        r = c.get("/mock")
    assert r.status_code == 203 and r.headers["x-mock"] == "yes"
    assert r.json() == {"mocked": True}


def test_sse_mock_streams_events(served: tuple[EndpointServer, Path]) -> None:
    server, _ = served
    with client(server) as c, c.stream("GET", "/events?who=zoe") as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        text = "".join(r.iter_text())
    blocks = [b for b in text.split("\n\n") if b]
    assert blocks[0] == 'event: tick\nid: 0\ndata: {"n": 0, "who": "zoe"}'
    assert blocks[1] == "data: two\ndata: lines"
    assert blocks[2] == 'event: tick\nid: 2\ndata: {"n": 2, "who": "zoe"}'
    assert len(blocks) == 4


def test_after_response_runs_a_call_with_the_inputs(served: tuple[EndpointServer, Path]) -> None:
    server, _ = served
    seen: list[RunRecord] = []
    server.endpoints.history.listeners.append(seen.append)
    with client(server) as c:
        r = c.post(
            "/hook",
            json={"order_id": 5, "who": "bob"},
            headers={"Authorization": f"Bearer {SECRET}"},
        )
    assert r.status_code == 202
    deadline = time.monotonic() + 10
    while not any(s.endpoint == "hook" for s in seen) and time.monotonic() < deadline:
        time.sleep(0.02)
    notified = next(s for s in seen if s.endpoint == "notified")
    assert notified.path == "/notified/5"
    assert notified.inputs == {"order_id": "5", "who": "bob"}
    hook = next(s for s in seen if s.endpoint == "hook")
    assert hook.after_response == {"call": "api/notify", "status": 200}


def test_echo_of_form_and_json(served: tuple[EndpointServer, Path]) -> None:
    server, _ = served
    with client(server) as c:
        form = c.post("/echo", data={"a": "1"}, files={"f": ("x.txt", b"hello", "text/plain")})
        body = c.post("/echo", json={"k": [1, 2]})
    assert form.json()["form"] == {
        "a": "1",
        "f": {"filename": "x.txt", "size": 5, "content_type": "text/plain"},
    }
    assert body.json()["json"] == {"k": [1, 2]} and body.json()["ua"].startswith("python-httpx")


def test_history_is_recorded_in_the_data_folder_with_secrets_redacted(
    served: tuple[EndpointServer, Path], isolated_user_dirs: Path
) -> None:
    server, root = served
    with client(server) as c:
        c.get(f"/apikey?key={SECRET}")
        c.get("/bearer", headers={"Authorization": f"Bearer {SECRET}", "Cookie": "sid=1"})
        c.post("/orders/9", json={"qty": 2})
    path = history_file(root)
    assert str(path).startswith(os.environ["XDG_DATA_HOME"])
    assert not any(root.rglob("*.jsonl")), "nothing in the workspace"
    deadline = time.monotonic() + 5
    while len(path.read_text().splitlines()) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    text = path.read_text()
    assert SECRET not in text
    records = [json.loads(line) for line in text.splitlines()]
    assert records[0]["query"] == {"key": "••••••"} and records[0]["status"] == 200
    assert records[1]["headers"]["authorization"] == "••••••"
    assert records[1]["headers"]["cookie"] == "••••••"
    assert records[2]["inputs"] == {
        "order_id": 9,
        "qty": 2,
        "gift": False,
        "tags": None,
        "trace": None,
        "note": None,
    }
    assert records[2]["status"] == 201 and records[2]["duration_ms"] > 0
    assert [r.path for r in History(path).load()][-1] == "/orders/9"


def test_endpoint_files_reload_when_they_change(served: tuple[EndpointServer, Path]) -> None:
    server, root = served
    (root / "endpoints/new.toml").write_text(
        'path = "/new"\n[security]\ntype = "public"\n[response]\nbody = \'{"new": 1}\'\n'
    )
    deadline = time.monotonic() + 10
    status = 404
    with client(server) as c:
        while status == 404 and time.monotonic() < deadline:
            status = c.get("/new").status_code
            time.sleep(0.1)
    assert status == 200


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('path = "/x"\n', r"security: is required"),
        ('path = "x"\n[security]\ntype = "public"\n', r"path: is required and starts with"),
        ('path = "/x"\n[security]\ntype = "bearer"\n', r"security.secret: names the secret"),
        (
            'path = "/x/{id}"\n[security]\ntype = "public"\n[inputs]\nid = { from = "query" }\n',
            r"matches a \{path\} segment",
        ),
        (
            'path = "/x"\n[security]\ntype = "public"\n[inputs]\nq = { type = "date" }\n',
            r"inputs.q.type: 'date' is not one of",
        ),
        (
            'path = "/x"\n[security]\ntype = "public"\n[response]\nbody = "a"\nmock_of = "b"\n',
            r"give one of body, mock_of",
        ),
        ('path = "/x\n', r"TOML syntax"),
    ],
)
def test_malformed_endpoint_files_are_reported_and_others_serve(
    tmp_path: Path, text: str, expected: str
) -> None:
    import re

    root = write(tmp_path, {**FILES, "endpoints/zz-bad.toml": text})
    loaded = load_endpoints(root)
    problem = loaded.problems[root / "endpoints/zz-bad.toml"]
    assert re.search(expected, str(problem)), str(problem)
    assert "zz-bad.toml:" in str(problem)
    assert len(loaded.endpoints) == len([f for f in FILES if f.startswith("endpoints/")])


def test_two_endpoints_on_one_route_name_both_files(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            **FILES,
            "endpoints/zz-twin.toml": (
                'method = "POST"\npath = "/orders/{id}"\n[security]\ntype = "public"\n'
            ),
        },
    )
    loaded = load_endpoints(root)
    problem = str(loaded.problems[root / "endpoints/zz-twin.toml"])
    assert "POST /orders/{id} is already served by" in problem and "typed.toml" in problem
