"""Sending through the core to a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write
from tui.core.errors import BodyError, TransportError, WorkspaceError
from tui.core.exchange import Exchange
from tui.core.runner import prepare
from tui.core.sender import Sender
from tui.core.workspace import load_workspace


def workspace(tmp_path: Path, base_url: str, calls: dict[str, str], collection: str = "") -> Path:
    files = {
        "api/collection.toml": f'base_url = "{base_url}"\n{collection}',
        "environments/dev.toml": '[variables]\nwho = "env-who"\n',
        "files/hello.txt": "hello file\n",
    }
    files.update({f"api/{name}.toml": text for name, text in calls.items()})
    return write(tmp_path, files)


async def send(
    root: Path, ref: str, values: dict[str, Any] | None = None, env: str | None = None
) -> Exchange:
    ws = load_workspace(root)
    assert ws.problems == {}, ws.problems
    async with Sender() as sender:
        return await sender.send(prepare(ws, ref, env, values or {}))


def echoed(exchange: Exchange) -> dict[str, Any]:
    assert exchange.response.status == 200, exchange.response.text
    data: dict[str, Any] = exchange.response.json
    return data


async def test_get_records_request_response_and_timing(tmp_path: Path, server_url: str) -> None:
    root = workspace(tmp_path, server_url, {"items": 'url = "/items"\n[query]\ncount = "2"\n'})
    exchange = await send(root, "api/items")
    assert exchange.response.status == 200
    assert exchange.response.json["total"] == 2
    assert exchange.response.size == len(exchange.response.body) > 0
    assert exchange.response.header("Content-Type") == "application/json"
    assert exchange.request.url == f"{server_url}/items?count=2"
    assert exchange.request.method == "GET"
    assert ("user-agent", "callbench/0.1") in [(k.lower(), v) for k, v in exchange.request.headers]
    t = exchange.timing
    assert 0 < t.ttfb <= t.total
    assert t.connect is not None and t.connect >= 0
    assert t.download is not None and t.download >= 0


async def test_shared_headers_and_query_merge_and_the_call_wins(
    tmp_path: Path, server_url: str
) -> None:
    collection = (
        '[headers]\nAccept = "application/json"\nX-Shared = "c"\n'
        '[query]\nshared = "c"\nkey = "collection"\n'
    )
    call = (
        'url = "/echo?inline=1"\n[headers]\naccept = "text/plain"\nX-Off = { value = "x", '
        'enabled = false }\n[query]\nkey = "call"\ntag = ["a", "b"]\nempty = "{{opt}}"\n'
        "[variables]\nopt = { required = false }\n"
    )
    root = workspace(tmp_path, server_url, {"echo": call}, collection)
    data = echoed(await send(root, "api/echo"))
    assert data["headers"]["accept"] == "text/plain"
    assert data["headers"]["x-shared"] == "c"
    assert "x-off" not in data["headers"]
    assert data["query"] == [
        ["inline", "1"],
        ["shared", "c"],
        ["key", "call"],
        ["tag", "a"],
        ["tag", "b"],
    ]


async def test_list_variable_as_a_whole_query_value_repeats(
    tmp_path: Path, server_url: str
) -> None:
    call = 'url = "/echo"\n[query]\nid = "{{ids}}"\n[variables]\nids = [1, 2, 3]\n'
    root = workspace(tmp_path, server_url, {"echo": call})
    data = echoed(await send(root, "api/echo"))
    assert data["query"] == [["id", "1"], ["id", "2"], ["id", "3"]]


async def test_json_body_typed_and_escaped(tmp_path: Path, server_url: str) -> None:
    call = """method = "POST"
url = "/echo"
[body]
type = "json"
content = '''
{"name": "{{name}}", "qty": {{qty}}, "who": "{{who}}"}
'''
[variables]
qty = { type = "integer", default = 1 }
name = "x"
"""
    root = workspace(tmp_path, server_url, {"create": call})
    data = echoed(await send(root, "api/create", {"qty": "42", "name": 'a "q"\nb'}, env="dev"))
    assert data["headers"]["content-type"] == "application/json"
    assert json.loads(data["body"]) == {"name": 'a "q"\nb', "qty": 42, "who": "env-who"}


async def test_text_body_and_own_content_type_wins(tmp_path: Path, server_url: str) -> None:
    call = (
        'method = "PUT"\nurl = "/echo"\n[headers]\nContent-Type = "text/csv"\n'
        '[body]\ntype = "text"\ncontent = "a,b\\n{{who}},2\\n"\n'
    )
    root = workspace(tmp_path, server_url, {"csv": call})
    data = echoed(await send(root, "api/csv", env="dev"))
    assert data["method"] == "PUT"
    assert data["headers"]["content-type"] == "text/csv"
    assert data["body"] == "a,b\nenv-who,2\n"


async def test_form_body(tmp_path: Path, server_url: str) -> None:
    call = (
        'method = "POST"\nurl = "/echo"\n[body]\ntype = "form"\n[body.fields]\n'
        'email = "a+b@x.io"\ntopic = ["x", "y"]\n'
    )
    root = workspace(tmp_path, server_url, {"form": call})
    data = echoed(await send(root, "api/form"))
    assert data["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert data["form"] == [["email", "a+b@x.io"], ["topic", "x"], ["topic", "y"]]


async def test_multipart_with_fields_and_files(tmp_path: Path, server_url: str) -> None:
    call = (
        'method = "POST"\nurl = "/echo"\n[body]\ntype = "multipart"\n[body.fields]\n'
        'caption = "hi"\n[body.files]\ndoc = "{{doc}}"\n[variables]\n'
        'doc = { type = "file", default = "files/hello.txt" }\n'
    )
    root = workspace(tmp_path, server_url, {"upload": call})
    data = echoed(await send(root, "api/upload"))
    assert data["headers"]["content-type"].startswith("multipart/form-data; boundary=")
    assert data["form"][0] == ["caption", "hi"]
    assert data["form"][1][0] == "doc"
    assert data["form"][1][1] == {
        "filename": "hello.txt",
        "size": 11,
        "content_type": "text/plain",
        "text": "hello file\n",
    }


async def test_multipart_fields_only_is_still_multipart(tmp_path: Path, server_url: str) -> None:
    call = 'method = "POST"\nurl = "/echo"\n[body]\ntype = "multipart"\n[body.fields]\na = "1"\n'
    root = workspace(tmp_path, server_url, {"mp": call})
    data = echoed(await send(root, "api/mp"))
    assert data["headers"]["content-type"].startswith("multipart/form-data")
    assert data["form"] == [["a", "1"]]


async def test_missing_multipart_file_is_a_clear_error(tmp_path: Path, server_url: str) -> None:
    call = (
        'method = "POST"\nurl = "/echo"\n[body]\ntype = "multipart"\n[body.files]\nf = "nope.bin"\n'
    )
    root = workspace(tmp_path, server_url, {"mp": call})
    with pytest.raises(BodyError, match=r"body\.files\.f: file '.*nope\.bin' does not exist"):
        await send(root, "api/mp")


@pytest.mark.parametrize(
    ("auth", "check"),
    [
        (
            'type = "bearer"\ntoken = "{{tok}}"',
            lambda d: d["headers"]["authorization"] == "Bearer T1",
        ),
        (
            'type = "basic"\nusername = "ann"\npassword = "{{tok}}"',
            lambda d: (
                d["headers"]["authorization"] == "Basic " + base64.b64encode(b"ann:T1").decode()
            ),
        ),
        (
            'type = "api_key"\nname = "X-Key"\nvalue = "{{tok}}"',
            lambda d: d["headers"]["x-key"] == "T1",
        ),
        (
            'type = "api_key"\nin = "query"\nname = "key"\nvalue = "{{tok}}"',
            lambda d: ["key", "T1"] in d["query"],
        ),
    ],
)
async def test_collection_auth(tmp_path: Path, server_url: str, auth: str, check: Any) -> None:
    root = workspace(tmp_path, server_url, {"echo": 'url = "/echo"\n'}, f"[auth]\n{auth}\n")
    assert check(echoed(await send(root, "api/echo", {"tok": "T1"})))


async def test_call_can_opt_out_of_collection_auth(tmp_path: Path, server_url: str) -> None:
    root = workspace(
        tmp_path,
        server_url,
        {"open": 'url = "/echo"\n[auth]\ntype = "none"\n'},
        '[auth]\ntype = "bearer"\ntoken = "x"\n',
    )
    assert "authorization" not in echoed(await send(root, "api/open"))["headers"]


async def test_redirects_followed_or_not(tmp_path: Path, server_url: str) -> None:
    root = workspace(
        tmp_path,
        server_url,
        {
            "follow": 'url = "/redirect/2"\n',
            "stay": 'url = "/redirect/2"\n[options]\nfollow_redirects = false\n',
        },
    )
    followed = await send(root, "api/follow")
    assert followed.response.status == 200
    assert [s for s, _ in followed.redirects] == [302, 302]
    assert followed.response.url.endswith("/items")
    stayed = await send(root, "api/stay")
    assert stayed.response.status == 302
    assert stayed.response.header("location") == "/redirect/1"


async def test_decoding_charset_and_force_utf8(tmp_path: Path, server_url: str) -> None:
    root = workspace(
        tmp_path,
        server_url,
        {
            "latin": 'url = "/latin1"\n',
            "forced": 'url = "/latin1"\n[options]\nforce_utf8 = true\n',
            "bin": 'url = "/binary"\n',
        },
    )
    assert (await send(root, "api/latin")).response.text == "café"
    forced = await send(root, "api/forced")
    assert forced.response.encoding == "utf-8" and forced.response.text == "caf\ufffd"
    binary = await send(root, "api/bin")
    assert binary.response.body == bytes(range(256))


async def test_read_timeout(tmp_path: Path, server_url: str) -> None:
    root = workspace(
        tmp_path, server_url, {"slow": 'url = "/slow?seconds=3"\n[options]\ntimeout = 0.3\n'}
    )
    with pytest.raises(TransportError) as caught:
        await send(root, "api/slow")
    assert caught.value.kind == "read_timeout"
    assert "127.0.0.1" in str(caught.value)


async def test_connection_refused(tmp_path: Path, closed_port: int) -> None:
    root = workspace(tmp_path, f"http://127.0.0.1:{closed_port}", {"x": 'url = "/"\n'})
    with pytest.raises(TransportError) as caught:
        await send(root, "api/x")
    assert caught.value.kind == "refused"
    assert f"connection refused by 127.0.0.1:{closed_port}" in str(caught.value)


async def test_connection_reset(tmp_path: Path, reset_url: str) -> None:
    root = workspace(tmp_path, reset_url, {"x": 'url = "/"\n'})
    with pytest.raises(TransportError) as caught:
        await send(root, "api/x")
    assert caught.value.kind == "reset"
    assert "127.0.0.1" in str(caught.value)


async def test_tls_to_a_plain_http_server_is_a_tls_error(tmp_path: Path, server: Any) -> None:
    root = workspace(tmp_path, f"https://127.0.0.1:{server.port}", {"x": 'url = "/"\n'})
    with pytest.raises(TransportError) as caught:
        await send(root, "api/x")
    assert caught.value.kind == "tls"


async def test_missing_ca_bundle_is_reported(tmp_path: Path, server_url: str) -> None:
    root = workspace(tmp_path, server_url, {"x": 'url = "/"\n[options]\nverify = "/no/ca.pem"\n'})
    with pytest.raises(TransportError, match="cannot load TLS settings"):
        await send(root, "api/x")


async def test_sender_reuses_one_client_for_the_same_transport(
    tmp_path: Path, server_url: str
) -> None:
    root = workspace(tmp_path, server_url, {"a": 'url = "/items"\n', "b": 'url = "/text"\n'})
    ws = load_workspace(root)
    async with Sender() as sender:
        for ref in ("api/a", "api/b", "api/a"):
            await sender.send(prepare(ws, ref))
        assert len(sender._clients) == 1


def test_broken_collection_refuses_to_send(tmp_path: Path, server_url: str) -> None:
    root = workspace(tmp_path, server_url, {"a": 'url = "/items"\n'}, "oops = [\n")
    ws = load_workspace(root)
    with pytest.raises(WorkspaceError, match="collection 'api' is broken"):
        prepare(ws, "api/a")


def test_url_without_scheme_is_refused_before_sending(tmp_path: Path) -> None:
    root = workspace(tmp_path, "example.invalid", {"a": 'url = "/x"\n'})
    with pytest.raises(Exception, match="has no scheme"):
        prepare(load_workspace(root), "api/a")
