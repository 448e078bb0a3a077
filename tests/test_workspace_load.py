"""Loading workspaces: collections, sub-folders, calls, environments, and broken files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import write
from tui.core.errors import WorkspaceError
from tui.core.models import Param, Variable
from tui.core.workspace import find_root, load_workspace

GOOD = {
    "callbench.toml": 'name = "Mine"\ndefault_environment = "dev"\n',
    "environments/dev.toml": '[variables]\napi = "http://127.0.0.1:1"\n',
    "api/collection.toml": 'name = "API"\nbase_url = "{{api}}"\n[headers]\nAccept = "x"\n',
    "api/get.toml": 'method = "GET"\nurl = "/get"\n',
    "api/users/create.toml": 'name = "Create"\nmethod = "post"\nurl = "/users"\n',
    "api/users/deep/x.toml": 'url = "/x"\n',
    "notes/readme.toml": "this is not a collection = 1\n",  # no collection.toml: ignored
}


def test_loads_collections_calls_folders_and_environments(tmp_path: Path) -> None:
    ws = load_workspace(write(tmp_path, GOOD))
    assert ws.problems == {}
    assert ws.name == "Mine"
    assert sorted(ws.calls) == ["api/get", "api/users/create", "api/users/deep/x"]
    assert ws.folders == {"api/users", "api/users/deep"}
    assert ws.collections["api"].base_url == "{{api}}"
    assert ws.collections["api"].headers == {"Accept": Param("x")}
    assert ws.calls["api/users/create"].method == "POST"
    assert ws.calls["api/users/deep/x"].method == "GET"
    assert ws.calls["api/users/deep/x"].title == "x"
    assert ws.environment(None) is ws.environments["dev"]
    assert ws.call("api/users/create.toml").name == "Create"


def test_unknown_call_suggests_close_refs(tmp_path: Path) -> None:
    ws = load_workspace(write(tmp_path, GOOD))
    with pytest.raises(WorkspaceError, match=r"no call 'api/create'.*api/users/create"):
        ws.call("api/create")


def test_unknown_environment_lists_known(tmp_path: Path) -> None:
    ws = load_workspace(write(tmp_path, GOOD))
    with pytest.raises(WorkspaceError, match=r"no environment 'prod' \(environments: dev\)"):
        ws.environment("prod")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('method = "GET"\nurl = "/x\n', r"x\.toml:2:\d+: TOML syntax"),
        ('method = "GET"\nurl = "/x"\ncolour = "red"\n', r"x\.toml:3: colour: unknown key"),
        ("url = 5\n", r"x\.toml:1: url: must be a string, not an integer"),
        ('method = "FETCH"\n', r"x\.toml:1: method: 'FETCH' is not one of"),
        ('[body]\ntype = "xml"\n', r"x\.toml:2: body\.type: 'xml' is not one of"),
        (
            '[variables]\nqty = { type = "integer", default = "three" }\n',
            r"x\.toml:2: variables\.qty\.default: must be of type integer",
        ),
        (
            '[variables]\nx = { type = "strin" }\n',
            r"x\.toml:2: variables\.x\.type: 'strin' is not one of",
        ),
        ('[options]\ntimeout = "slow"\n', r"x\.toml:2: options\.timeout: must be a number"),
        ("[options]\nretries = 3\n", r"x\.toml:2: options\.retries: unknown key"),
        ('[auth]\ntype = "bearer"\n', r"auth: auth type 'bearer' needs 'token'"),
        ('[auth]\ntype = "magic"\n', r"auth\.type: 'magic' is not one of"),
        ('[[extract]]\nvariable = "id"\n', r"extract\.0: \[\[extract\]\] needs"),
        ("[headers]\nX = { enabled = false }\n", r"headers\.X: a table here needs a 'value'"),
        (
            '[variables]\ntoken = { secret = true, default = "abc" }\n',
            r"variables\.token\.default: a secret has no value in any file",
        ),
        ('[body]\ntype = "form"\ncontent = "a=b"\n', r"body\.content: a form body uses"),
        ("[paths]\nid = 3\n", r"paths\.id: a named path is a string"),
        (
            '[variables]\nx = { type = "string", data_type = "a/b" }\n',
            r"variables\.x\.data_type: goes with type = \"json\"",
        ),
    ],
)
def test_broken_file_is_reported_and_the_rest_loads(
    tmp_path: Path, text: str, expected: str
) -> None:
    ws = load_workspace(write(tmp_path, {**GOOD, "api/x.toml": text}))
    assert "api/x" not in ws.calls
    assert len(ws.calls) == 3, "the other calls still load"
    problem = ws.problems[tmp_path / "api" / "x.toml"]
    assert problem.path == tmp_path / "api" / "x.toml"
    import re

    assert re.search(expected, str(problem)), str(problem)
    with pytest.raises(WorkspaceError, match="cannot be used"):
        ws.call("api/x")


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    (tmp_path / "api" / "bad.toml").write_bytes(b'url = "/a"\nname = "\xff"\n')
    ws = load_workspace(tmp_path)
    assert "bad.toml:2: is not valid UTF-8" in str(ws.problems[tmp_path / "api" / "bad.toml"])


def test_broken_collection_file_keeps_its_calls_listed(tmp_path: Path) -> None:
    ws = load_workspace(write(tmp_path, {**GOOD, "api/collection.toml": "base_url = [\n"}))
    assert "api/get" in ws.calls
    assert tmp_path / "api" / "collection.toml" in ws.problems


def test_variables_plain_and_declared(tmp_path: Path) -> None:
    call = """
url = "/"
[variables]
name = "Jane"
limit = 10
ratio = 0.5
flag = true
tags = ["a"]
email = { type = "string", required = true, default = "j@x.io" }
opt = { type = "integer", required = false }
blob = { type = "json", default = { a = 1 } }
"""
    ws = load_workspace(write(tmp_path, {**GOOD, "api/v.toml": call}))
    got = ws.calls["api/v"].variables
    assert got["name"] == Variable("name", "string", "Jane")
    assert got["limit"] == Variable("limit", "integer", 10)
    assert got["ratio"] == Variable("ratio", "number", 0.5)
    assert got["flag"] == Variable("flag", "boolean", True)
    assert got["tags"] == Variable("tags", "list", ["a"])
    assert got["email"] == Variable("email", "string", "j@x.io")
    assert got["opt"] == Variable("opt", "integer", None, required=False)
    assert got["blob"] == Variable("blob", "json", {"a": 1})


def test_find_root_walks_up_to_callbench_toml(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    assert find_root(tmp_path / "api" / "users") == tmp_path.resolve()
    bare = tmp_path / "elsewhere"
    bare.mkdir()
    # No callbench.toml above a folder outside the workspace: the folder itself.
    assert find_root(tmp_path.parent) == tmp_path.parent.resolve()


def test_missing_workspace_folder(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="does not exist"):
        load_workspace(tmp_path / "nope")


def test_sample_workspace_loads_cleanly() -> None:
    ws = load_workspace(Path(__file__).parent.parent / "collections")
    assert ws.problems == {}
    assert len(ws.collections) >= 2
    assert {c.body.type for c in ws.calls.values()} >= {"none", "json", "text", "form", "multipart"}
    assert any(c.paths for c in ws.calls.values())
    assert ws.environments
