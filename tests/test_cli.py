"""The ``callbench`` command line, run as an installed command in a subprocess.

Every case of the contract in DESIGN.md ("The command line"): what goes to stdout,
what goes to stderr (one ``callbench:`` line, never a traceback) and the exit status.
The calls are sent to the real loopback server of conftest.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write
from tests.server_app import PRODUCTS

SAMPLE = Path(__file__).resolve().parent.parent / "collections"
# The console script installed next to this interpreter (pip install -e .), else PATH's.
CALLBENCH = shutil.which("callbench", path=str(Path(sys.executable).parent)) or "callbench"
RUN_OPTIONS = (
    "-w",
    "--workspace",
    "-e",
    "--env",
    "-v",
    "--var",
    "--path",
    "-i",
    "--include",
    "--check-status",
    "--json",
)
SECRET = "s3cr3t-value-4711"


def cli(
    *args: str, cwd: Path | None = None, text: bool = True, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[Any]:
    """Run the installed command; os.environ carries the isolated XDG folders."""
    env = {**os.environ, **(extra_env or {})}
    if text:
        return subprocess.run(
            [CALLBENCH, *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=30,
            env=env,
            cwd=cwd,
        )
    return subprocess.run([CALLBENCH, *args], capture_output=True, timeout=30, env=env, cwd=cwd)


def run(ws: Path, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[Any]:
    """``callbench run ARGS -w WS`` from inside the workspace."""
    kwargs.setdefault("cwd", ws)
    return cli("run", *args, "-w", str(ws), **kwargs)


def assert_one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    assert stderr.endswith("\n"), repr(stderr)
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("callbench: "), stderr
    return lines[0]


def items(count: int = 3) -> dict[str, Any]:
    """What the server's /items answers."""
    return {
        "items": [{"id": i, "name": f"item {i}", "tags": ["a", "b"]} for i in range(1, count + 1)],
        "total": count,
        "next": None,
    }


def headers_of(pairs: list[list[str]]) -> dict[str, str]:
    """``[[name, value], ...]`` from --json, by lower-case name (HTTP names ignore case)."""
    return {name.lower(): value for name, value in pairs}


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


@pytest.fixture
def ws(tmp_path: Path, server_url: str, reset_url: str, closed_port: int) -> Path:
    root = tmp_path / "ws"
    write(
        root,
        {
            "callbench.toml": 'name = "cli tests"\n',
            "environments/dev.toml": '[variables]\nwho = "from-env"\n',
            "environments/bad.toml": '[variables]\nx = "never closed\n',
            "environments/sec.toml": "[variables]\ntok = { secret = true }\n",
            "demo/collection.toml": (
                f'name = "Demo"\nbase_url = "{server_url}"\n\n'
                '[variables]\nwho = "from-collection"\n'
            ),
            "demo/items.toml": (
                'url = "/items"\n\n[query]\ncount = "{{count}}"\n\n'
                '[variables]\ncount = { type = "integer", default = 3 }\n\n'
                '[paths]\nids = "$.items[*].id"\nfirst_name = "$.items[0].name"\n'
            ),
            "demo/text.toml": 'url = "/text"\n',
            "demo/latin1.toml": 'url = "/latin1"\n',
            "demo/binary.toml": 'url = "/binary"\n',
            "demo/status.toml": (
                'url = "/status/{{code}}"\n\n'
                '[variables]\ncode = { type = "integer", default = 200 }\n'
            ),
            "demo/echo.toml": (
                'method = "POST"\nurl = "/echo"\n\n[query]\nwho = "{{who}}"\n\n'
                "[body]\ntype = \"json\"\ncontent = '''\n"
                '{"n": {{n}}, "s": "{{s}}", "who": "{{who}}"}\n\'\'\'\n\n'
                '[variables]\nn = { type = "integer", default = 1 }\ns = "plain"\n'
            ),
            "demo/echo-own.toml": (
                'url = "/echo"\n\n[query]\nwho = "{{who}}"\n\n[variables]\nwho = "from-call"\n'
            ),
            "demo/needs-url.toml": 'url = "/echo/{{missing_one}}"\n',
            "demo/needs-query.toml": 'url = "/echo"\n\n[query]\nq = "{{qvar}}"\n',
            "demo/needs-header.toml": 'url = "/echo"\n\n[headers]\nX-Token = "{{tok}}"\n',
            "demo/needs-body.toml": (
                'method = "POST"\nurl = "/echo"\n\n[body]\ntype = "json"\n'
                'content = \'{"a": "{{absent}}"}\'\n'
            ),
            "demo/bad-json.toml": (
                'method = "POST"\nurl = "/echo"\n\n[body]\ntype = "json"\ncontent = \'\'\'\n'
                '{"a": "{{v}}",\n}\n\'\'\'\n\n[variables]\nv = "x"\n'
            ),
            "demo/upload.toml": (
                'method = "POST"\nurl = "/echo"\n\n[body]\ntype = "multipart"\n\n'
                '[body.files]\nf = "{{f}}"\n\n'
                '[variables]\nf = { type = "file", default = "missing.txt" }\n'
            ),
            "demo/broken.toml": 'name = "Broken"\nurl = "/echo"\nmethod = = "GET"\n',
            "demo/secret.toml": 'url = "/echo"\n\n[auth]\ntype = "bearer"\ntoken = "{{tok}}"\n',
            "demo/slow.toml": 'url = "/slow?seconds=3"\n\n[options]\ntimeout = 0.5\n',
            "demo/refused.toml": f'url = "http://127.0.0.1:{closed_port}/x"\n',
            "demo/reset.toml": f'url = "{reset_url}/x"\n',
            "value.txt": 'line one "quoted"\nline two',
        },
    )
    (root / "not-utf8.txt").write_bytes(b"\xff\xfe\xfa")
    return root


# -- output -------------------------------------------------------------------------------


def test_json_body_is_pretty_printed_with_two_spaces(ws: Path) -> None:
    result = run(ws, "demo/items")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == pretty(items(3))
    assert '\n  "items": [\n    {\n      "id": 1,' in result.stdout


def test_text_body_is_printed_as_is(ws: Path) -> None:
    result = run(ws, "demo/text")
    assert (result.returncode, result.stdout, result.stderr) == (0, "hello, world\n", "")


def test_text_body_is_decoded_with_its_declared_charset(ws: Path) -> None:
    result = run(ws, "demo/latin1", text=False, extra_env={"PYTHONIOENCODING": "utf-8"})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "café".encode()


def test_binary_body_is_written_as_raw_bytes(ws: Path) -> None:
    result = run(ws, "demo/binary", text=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    assert result.stdout == bytes(range(256))


@pytest.mark.parametrize("flag", ["-i", "--include"])
def test_include_prints_status_line_headers_blank_line_then_body(ws: Path, flag: str) -> None:
    result = run(ws, "demo/items", flag)
    assert result.returncode == 0, result.stderr
    head, sep, body = result.stdout.partition("\n\n")
    assert sep
    lines = head.split("\n")
    assert lines[0] == "HTTP/1.1 200 OK"
    pairs = [line.split(": ", 1) for line in lines[1:]]
    assert all(re.fullmatch(r"[A-Za-z0-9-]+", name) for name, _ in pairs)
    headers = headers_of(pairs)
    assert headers["content-type"] == "application/json"
    assert headers["server"] == "uvicorn"
    assert body == pretty(items(3))
    assert int(headers["content-length"]) == len(json.dumps(items(3), separators=(",", ":")))


def test_include_with_a_text_body_and_an_error_status(ws: Path) -> None:
    result = run(ws, "demo/status", "-v", "code=404", "-i")
    assert result.returncode == 0, result.stderr
    head, _, body = result.stdout.partition("\n\n")
    assert head.split("\n")[0] == "HTTP/1.1 404 Not Found"
    assert json.loads(body) == {"status": 404}


def test_include_with_a_binary_body_keeps_the_bytes(ws: Path) -> None:
    result = run(ws, "demo/binary", "-i", text=False)
    assert result.returncode == 0, result.stderr
    head, sep, body = result.stdout.partition(b"\n\n")
    assert sep and head.startswith(b"HTTP/1.1 200 OK\n")
    assert b"content-type: application/octet-stream" in head.lower().split(b"\n")
    assert body == bytes(range(256))


# -- --path -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(["demo/items", "--path", "$.items[*].id"], pretty([1, 2, 3]), id="jsonpath"),
        pytest.param(["demo/items", "--path", "ids"], pretty([1, 2, 3]), id="named-path"),
        pytest.param(
            ["demo/items", "-v", "count=1", "--path", "$.items[*].id"],
            pretty([1]),
            id="wildcard-one-match-stays-a-list",
        ),
        pytest.param(["demo/items", "--path", "first_name"], "item 1\n", id="string-raw"),
        pytest.param(["demo/items", "--path", "$.items[1].name"], "item 2\n", id="jsonpath-str"),
        pytest.param(["demo/items", "--path", "$.total"], "3\n", id="number"),
        pytest.param(["demo/items", "--path", "$.next"], "null\n", id="null"),
        pytest.param(
            ["demo/items", "--path", "$.items[0]"],
            pretty({"id": 1, "name": "item 1", "tags": ["a", "b"]}),
            id="object",
        ),
        pytest.param(
            ["demo/items", "--path", "header:content-type"], "application/json\n", id="header"
        ),
        pytest.param(
            ["demo/items", "--path", "header:Content-Type"], "application/json\n", id="header-case"
        ),
        pytest.param(["demo/items", "--path", "status"], "200\n", id="status"),
        pytest.param(["demo/status", "-v", "code=404", "--path", "status"], "404\n", id="404"),
        pytest.param(["demo/text", "--path", "status"], "200\n", id="status-of-text"),
    ],
)
def test_path_prints_what_the_selector_finds(ws: Path, args: list[str], expected: str) -> None:
    result = run(ws, *args)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == expected


@pytest.mark.parametrize("selector", ["$.nothing", "$.items[*].missing", "header:x-absent"])
def test_path_matching_nothing_exits_0_with_a_message_on_stderr(ws: Path, selector: str) -> None:
    result = run(ws, "demo/items", "--path", selector)
    assert result.returncode == 0
    assert result.stdout == ""
    line = assert_one_error_line(result.stderr)
    assert "matched nothing" in line
    assert selector in line


def test_include_with_path_prints_the_head_then_the_selection(ws: Path) -> None:
    result = run(ws, "demo/items", "-i", "--path", "ids")
    assert result.returncode == 0, result.stderr
    head, _, rest = result.stdout.partition("\n\n")
    assert head.startswith("HTTP/1.1 200 OK\n")
    assert rest == pretty([1, 2, 3])


# -- --json -------------------------------------------------------------------------------


def test_json_describes_the_exchange(ws: Path, server_url: str) -> None:
    result = run(ws, "demo/items", "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    doc = json.loads(result.stdout)
    assert {"call", "request", "response", "timing"} <= doc.keys()
    assert "path" not in doc
    assert doc["call"] == "demo/items"
    request = doc["request"]
    assert request["method"] == "GET"
    assert request["url"] == f"{server_url}/items?count=3"
    assert request["body"] == ""
    assert all(isinstance(pair, list) and len(pair) == 2 for pair in request["headers"])
    assert "user-agent" in headers_of(request["headers"])
    response = doc["response"]
    assert response["status"] == 200
    assert response["reason"] == "OK"
    assert headers_of(response["headers"])["content-type"] == "application/json"
    assert response["json"] == items(3)
    assert "text" not in response
    timing = doc["timing"]
    assert {"total", "ttfb"} <= timing.keys()
    assert 0 < timing["ttfb"] <= timing["total"] < 30


def test_json_of_a_post_shows_the_body_sent(ws: Path, server_url: str) -> None:
    result = run(ws, "demo/echo", "--json", "-v", "n=7")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    request = doc["request"]
    assert request["method"] == "POST"
    assert request["url"] == f"{server_url}/echo?who=from-collection"
    assert json.loads(request["body"]) == {"n": 7, "s": "plain", "who": "from-collection"}
    assert headers_of(request["headers"])["content-type"] == "application/json"
    assert doc["response"]["json"]["body"] == request["body"]
    assert doc["response"]["json"]["method"] == "POST"


def test_json_of_a_text_response_has_text(ws: Path) -> None:
    result = run(ws, "demo/text", "--json")
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)["response"]
    assert response["text"] == "hello, world\n"
    assert "json" not in response


def test_json_with_path_includes_the_path(ws: Path) -> None:
    result = run(ws, "demo/items", "--json", "--path", "ids")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["call"] == "demo/items"
    assert doc["response"]["status"] == 200
    assert doc["path"]["value"] == [1, 2, 3]
    assert doc["path"]["selector"] in ("ids", "$.items[*].id")


def test_json_with_check_status(ws: Path) -> None:
    result = run(ws, "demo/status", "-v", "code=503", "--json", "--check-status")
    assert result.returncode == 5
    assert json.loads(result.stdout)["response"]["status"] == 503


# -- variables ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "args", "expected"),
    [
        pytest.param("demo/echo", [], "from-collection", id="collection-default"),
        pytest.param("demo/echo-own", [], "from-call", id="call-default"),
        pytest.param("demo/echo", ["-e", "dev"], "from-env", id="env-over-collection"),
        pytest.param("demo/echo-own", ["-e", "dev"], "from-env", id="env-over-call"),
        pytest.param("demo/echo", ["-v", "who=from-cli"], "from-cli", id="var-over-default"),
        pytest.param(
            "demo/echo-own", ["-e", "dev", "-v", "who=from-cli"], "from-cli", id="var-over-env"
        ),
        pytest.param(
            "demo/echo", ["--var", "who=first", "--var", "who=last"], "last", id="last-var-wins"
        ),
        pytest.param("demo/echo", ["-v", "who=a=b"], "a=b", id="value-with-equals"),
        pytest.param("demo/echo", ["-v", "who=@@literal"], "@literal", id="at-at-escape"),
        pytest.param("demo/echo", ["-v", "who="], "", id="empty-value"),
    ],
)
def test_variable_resolution_order(ws: Path, ref: str, args: list[str], expected: str) -> None:
    result = run(ws, ref, *args, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["response"]["json"]["query"] == [["who", expected]]


@pytest.mark.parametrize("relative", [False, True], ids=["absolute", "relative-to-cwd"])
def test_var_at_file_reads_the_value_from_a_file(ws: Path, relative: bool) -> None:
    path = "value.txt" if relative else str(ws / "value.txt")
    result = run(ws, "demo/echo", "-v", f"s=@{path}", "--path", "$.body")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["s"] == 'line one "quoted"\nline two'


def test_integer_variable_in_a_json_body_is_a_number(ws: Path) -> None:
    result = run(ws, "demo/echo", "-v", "n=42", "--path", "$.body")
    assert result.returncode == 0, result.stderr
    body = result.stdout
    assert '"n": 42,' in body
    sent = json.loads(body)
    assert type(sent["n"]) is int and sent["n"] == 42


@pytest.mark.parametrize(
    "value",
    [
        'say "hi"',
        "two\nlines",
        'all of it: "q" \\ back\tslash\r\n{"x": [1]} ünïcödé \u2028',
        "{{not a template}}",
    ],
    ids=["quotes", "newline", "mixed", "braces"],
)
def test_string_variable_in_a_json_body_stays_valid_json(ws: Path, value: str) -> None:
    result = run(ws, "demo/echo", "-v", f"s={value}", "--path", "$.body")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"n": 1, "s": value, "who": "from-collection"}


def test_workspace_is_found_from_the_current_folder(ws: Path) -> None:
    result = cli("run", "demo/items", "--path", "$.total", cwd=ws / "demo")
    assert (result.returncode, result.stdout) == (0, "3\n"), result.stderr


def test_a_broken_call_does_not_stop_the_others(ws: Path) -> None:
    result = run(ws, "demo/items", "--path", "status")
    assert (result.returncode, result.stdout, result.stderr) == (0, "200\n", "")


def test_secret_from_the_environment_is_masked_in_include_and_json_request(ws: Path) -> None:
    env = {"CALLBENCH_SECRET_TOK": SECRET}
    shown = run(ws, "demo/secret", "-e", "sec", "--json", extra_env=env)
    assert shown.returncode == 0, shown.stderr
    doc = json.loads(shown.stdout)
    # The server saw the token; what the CLI prints of its echo is masked too.
    assert doc["response"]["json"]["headers"]["authorization"] == "Bearer ••••••"
    # ...but what the CLI describes as sent is masked.
    assert SECRET not in json.dumps(doc["request"])
    assert headers_of(doc["request"]["headers"])["authorization"].startswith("Bearer ")


def test_json_output_never_shows_a_secret(ws: Path) -> None:
    result = run(
        ws, "demo/secret", "-e", "sec", "--json", extra_env={"CALLBENCH_SECRET_TOK": SECRET}
    )
    assert result.returncode == 0, result.stderr
    assert SECRET not in result.stdout


# -- errors -------------------------------------------------------------------------------

ERRORS = [
    # exit 1: the request could not be built
    pytest.param(["demo/nothere"], 1, ["'demo/nothere'"], id="unknown-ref"),
    pytest.param(["other/items"], 1, ["'other/items'", "demo/items"], id="unknown-ref-hint"),
    pytest.param(["demo/needs-url"], 1, ["'missing_one'", "url"], id="missing-var-url"),
    pytest.param(["demo/needs-body"], 1, ["'absent'", "body"], id="missing-var-body"),
    pytest.param(["demo/needs-query"], 1, ["'qvar'", "query"], id="missing-var-query"),
    pytest.param(["demo/needs-header"], 1, ["'tok'", "headers"], id="missing-var-header"),
    pytest.param(["demo/echo", "-v", "n=abc"], 1, ["'n'", "integer", "abc"], id="wrong-type"),
    pytest.param(["demo/echo", "-v", "n=1.5"], 1, ["'n'", "integer"], id="wrong-type-float"),
    pytest.param(["demo/items", "-e", "nope"], 1, ["'nope'", "dev"], id="unknown-env"),
    pytest.param(["demo/items", "-e", "bad"], 1, ["bad.toml:2"], id="broken-env-file"),
    pytest.param(["demo/broken"], 1, ["broken.toml:3"], id="broken-toml"),
    pytest.param(["demo/bad-json"], 1, ["body", "line 2", "column 1"], id="invalid-json-body"),
    pytest.param(["demo/upload"], 1, ["missing.txt", "body.files.f"], id="missing-file"),
    pytest.param(
        ["demo/upload", "-v", "f={ws}/also-missing.bin"],
        1,
        ["also-missing.bin"],
        id="missing-file-v",
    ),
    pytest.param(["demo/echo", "-v", "s=@{ws}/nope.txt"], 1, ["nope.txt"], id="var-file-missing"),
    pytest.param(
        ["demo/echo", "-v", "s=@{ws}/not-utf8.txt"], 1, ["not-utf8.txt"], id="var-file-bin"
    ),
    pytest.param(
        ["demo/secret", "-e", "sec"], 1, ["'tok'", "CALLBENCH_SECRET_TOK"], id="no-secret"
    ),
    pytest.param(["demo/text", "--path", "$.a"], 1, ["--path", "JSON"], id="path-on-text"),
    pytest.param(["demo/binary", "--path", "ids"], 1, ["--path", "JSON"], id="path-on-binary"),
    # exit 2: usage (the errors that callbench words itself)
    pytest.param(["demo/items", "-v", "novalue"], 2, ["novalue", "NAME=VALUE"], id="var-no-equals"),
    pytest.param(["demo/items", "-v", "=x"], 2, ["NAME=VALUE"], id="var-no-name"),
    pytest.param(["demo/items", "--path", "$.[["], 2, ["--path", "$.[["], id="invalid-jsonpath"),
    pytest.param(["demo/items", "--path", "$.items[?("], 2, ["JSONPath"], id="invalid-filter"),
    # exit 3: transport
    pytest.param(["demo/refused"], 3, ["refused", "127.0.0.1"], id="refused"),
    pytest.param(["demo/reset"], 3, ["127.0.0.1"], id="reset"),
    pytest.param(["demo/slow"], 3, ["timed out", "127.0.0.1"], id="read-timeout"),
]


@pytest.mark.parametrize(("args", "code", "fragments"), ERRORS)
def test_errors_exit_code_and_one_line_message(
    ws: Path, args: list[str], code: int, fragments: list[str]
) -> None:
    result = run(ws, *[arg.format(ws=ws) for arg in args])
    assert result.returncode == code, result.stderr
    assert result.stdout == ""
    line = assert_one_error_line(result.stderr)
    for fragment in fragments:
        assert fragment in line


def test_reset_is_reported_as_a_reset(ws: Path) -> None:
    result = run(ws, "demo/reset")
    assert result.returncode == 3
    assert re.search(r"reset|closed the connection", assert_one_error_line(result.stderr))


# argparse's own errors: exit 2 with the message, "usage"-style.
USAGE_ERRORS = [
    pytest.param(["run", "demo/items", "--bogus"], "--bogus", id="unknown-option"),
    pytest.param(["run", "demo/items", "-q"], "-q", id="unknown-short-option"),
    pytest.param(["run"], "REF", id="missing-ref"),
    pytest.param(["run", "demo/items", "-e"], "-e", id="option-without-value"),
    pytest.param(["--bogus"], "--bogus", id="top-level-unknown-option"),
]


@pytest.mark.parametrize(("args", "fragment"), USAGE_ERRORS)
def test_usage_errors_exit_2(ws: Path, args: list[str], fragment: str) -> None:
    result = cli(*args, cwd=ws)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert fragment in result.stderr
    assert result.stderr.startswith("callbench")


@pytest.mark.parametrize(("args", "fragment"), USAGE_ERRORS)
def test_usage_errors_are_one_callbench_line(ws: Path, args: list[str], fragment: str) -> None:
    result = cli(*args, cwd=ws)
    assert result.returncode == 2
    assert fragment in assert_one_error_line(result.stderr)


def test_missing_workspace_folder_for_the_tui_is_a_usage_error(tmp_path: Path) -> None:
    result = cli(str(tmp_path / "no-such-folder"), cwd=tmp_path)
    assert result.returncode == 2
    assert "no-such-folder" in assert_one_error_line(result.stderr)


def test_missing_workspace_folder_for_run_is_a_build_error(tmp_path: Path) -> None:
    result = cli("run", "demo/items", "-w", str(tmp_path / "no-such-folder"), cwd=tmp_path)
    assert result.returncode == 1
    assert "no-such-folder" in assert_one_error_line(result.stderr)


# -- --check-status -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "check", "code"),
    [
        (200, True, 0),
        (201, True, 0),
        (404, True, 4),
        (400, True, 4),
        (499, True, 4),
        (503, True, 5),
        (500, True, 5),
        (404, False, 0),
        (503, False, 0),
    ],
)
def test_check_status(ws: Path, status: int, check: bool, code: int) -> None:
    flags = ["--check-status"] if check else []
    result = run(ws, "demo/status", "-v", f"code={status}", *flags)
    assert result.returncode == code, result.stderr
    assert result.stderr == ""
    assert json.loads(result.stdout) == {"status": status}


# -- help ---------------------------------------------------------------------------------


def assert_mentions_options_and_exit_codes(text: str) -> None:
    for option in RUN_OPTIONS:
        assert re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text), option
    for code in range(6):
        assert re.search(rf"^\s+{code}\s+\w", text, re.M), f"exit status {code}"


def test_run_help_mentions_every_option_and_the_exit_codes(tmp_path: Path) -> None:
    result = cli("run", "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stderr == ""
    assert result.stdout.startswith("usage: callbench run ")
    assert "REF" in result.stdout
    assert_mentions_options_and_exit_codes(result.stdout)
    assert "@@" in result.stdout


def test_top_level_help_exits_0_and_points_to_run(tmp_path: Path) -> None:
    result = cli("--help", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stderr == ""
    assert result.stdout.startswith("usage: callbench ")
    assert "callbench run --help" in result.stdout


def test_top_level_help_mentions_every_option_and_the_exit_codes(tmp_path: Path) -> None:
    result = cli("--help", cwd=tmp_path)
    assert result.returncode == 0
    assert_mentions_options_and_exit_codes(result.stdout)


def test_version(tmp_path: Path) -> None:
    result = cli("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert re.fullmatch(r"callbench \d+\.\d+\S*\n", result.stdout)


def test_python_dash_m_tui_is_the_same_command(tmp_path: Path) -> None:
    module = subprocess.run(
        [sys.executable, "-m", "tui", "run", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        env=dict(os.environ),
        cwd=tmp_path,
    )
    assert module.returncode == 0, module.stderr
    assert module.stdout == cli("run", "--help", cwd=tmp_path).stdout
    assert_mentions_options_and_exit_codes(module.stdout)


def test_python_dash_m_tui_runs_a_call(ws: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tui", "run", "demo/items", "-w", str(ws), "--path", "ids"],
        capture_output=True,
        text=True,
        timeout=30,
        env=dict(os.environ),
        cwd=ws,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, pretty([1, 2, 3]), "")


# -- import hygiene -----------------------------------------------------------------------


def python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=30,
        env=dict(os.environ),
        cwd=cwd,
    )


def test_run_does_not_import_textual(ws: Path) -> None:
    code = (
        "import sys; from tui.cli import main; "
        f"code = main(['run', 'demo/items', '-w', {str(ws)!r}, '--path', 'status']); "
        "print('textual' in sys.modules, code)"
    )
    result = python(code, ws)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["200", "False 0"]


def test_core_does_not_import_textual(tmp_path: Path) -> None:
    code = (
        "import sys; import tui.core.runner, tui.core.sender, tui.core.workspace; "
        "print('textual' in sys.modules)"
    )
    result = python(code, tmp_path)
    assert (result.returncode, result.stdout) == (0, "False\n"), result.stderr


def test_cli_module_imports_only_the_standard_library(tmp_path: Path) -> None:
    code = (
        "import sys; import tui.cli; "
        "print(sorted(m for m in ('textual', 'httpx', 'tomlkit', 'orjson') if m in sys.modules))"
    )
    result = python(code, tmp_path)
    assert (result.returncode, result.stdout) == (0, "[]\n"), result.stderr


def test_reader_going_away_is_not_an_error(ws: Path) -> None:
    """``callbench run ... | head -1``: a broken pipe exits quietly."""
    process = subprocess.Popen(
        [CALLBENCH, "run", "demo/items", "-w", str(ws), "-v", "count=20000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
        cwd=ws,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read(2) == b"{\n"
    process.stdout.close()
    stderr = process.stderr.read()
    assert process.wait(timeout=30) == 0
    assert b"Traceback" not in stderr


# -- the sample workspace -----------------------------------------------------------------


SAMPLE_CALLS: list[Any] = [
    pytest.param(
        "shop/list-products",
        [],
        lambda body: [p["name"] for p in body["items"]] == [p["name"] for p in PRODUCTS],
        id="list-products",
    ),
    pytest.param("shop/get-product", [], lambda body: body == PRODUCTS[0], id="get-product"),
    pytest.param(
        "shop/orders/create",
        [],
        lambda body: (
            body
            == {
                "id": 1001,
                "email": "ann@example.com",
                "product_id": 1,
                "qty": 1,
                "gift": False,
                "note": 'Leave at the door, "please"',
            }
        ),
        id="orders-create",
    ),
    pytest.param(
        "shop/orders/cancel",
        ["-v", "order_id=5"],
        lambda body: body == {"id": 5, "cancelled": True},
        id="orders-cancel",
    ),
    pytest.param(
        "forms/contact",
        [],
        lambda body: (
            body["form"]
            == [
                ["name", "ann@example.com"],
                ["topic", "billing"],
                ["topic", "delivery"],
                ["message", "Where is my order?"],
            ]
        ),
        id="contact",
    ),
    pytest.param(
        "forms/upload-avatar",
        [],
        lambda body: (
            body["form"][0] == ["caption", "Me, in ASCII"]
            and body["form"][1][1]["filename"] == "avatar.txt"
            and body["form"][1][1]["text"] == (SAMPLE / "assets" / "avatar.txt").read_text()
        ),
        id="upload-avatar",
    ),
    pytest.param(
        "forms/note",
        [],
        lambda body: (
            body["method"] == "PUT"
            and body["body"] == "Dear shop,\nthe order for ann@example.com arrived. Thanks!\n"
            and body["headers"]["x-literal"] == "braces: {{not a variable}}"
        ),
        id="note",
    ),
    pytest.param(
        "forms/ping",
        [],
        lambda body: (body["method"], body["path"], body["body"]) == ("GET", "/echo", ""),
        id="ping",
    ),
]


@pytest.mark.parametrize(("ref", "args", "check"), SAMPLE_CALLS)
def test_sample_workspace_calls_run(
    tmp_path: Path, server_url: str, ref: str, args: list[str], check: Callable[[Any], bool]
) -> None:
    sample = tmp_path / "sample"
    shutil.copytree(SAMPLE, sample)
    result = run(sample, ref, "-v", f"api={server_url}", *args, "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    doc = json.loads(result.stdout)
    assert doc["call"] == ref
    assert doc["request"]["url"].startswith(server_url)
    assert 200 <= doc["response"]["status"] < 300
    assert check(doc["response"]["json"]), doc["response"]["json"]
