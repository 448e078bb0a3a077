"""Saving: in-place edits keep comments, unchanged saves keep bytes, any call round-trips."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import write
from tui.core.models import (
    BODY_TYPES,
    METHODS,
    STREAM_MODES,
    AuthConfig,
    Body,
    Call,
    Extract,
    Options,
    Param,
    Sample,
    Variable,
)
from tui.core.schema import parse_call
from tui.core.store import ConflictError, call_path, save_call
from tui.core.toml_write import new_document
from tui.core.workspace import load_workspace

HAND_WRITTEN = """\
# Creates a customer. Keep this comment!
name = "Create customer"   # shown in the browser
method = "POST"
url = "/customers"

# headers the API wants
[headers]
Accept = "application/json"  # trailing comment
X-Custom = 'literal'

[body]
type = "json"
content = '''
{"email": "{{email}}"}
'''

[variables]
email = { type = "string", default = "jane@example.com" }   # inline table stays
name = "Jane"
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return write(
        tmp_path,
        {
            "stripe/collection.toml": 'base_url = "http://127.0.0.1:1"\n',
            "stripe/create.toml": HAND_WRITTEN,
        },
    )


def test_unchanged_save_keeps_the_same_bytes(workspace: Path) -> None:
    ws = load_workspace(workspace)
    before = (workspace / "stripe/create.toml").read_bytes()
    call = ws.calls["stripe/create"]
    assert save_call(ws, dataclasses.replace(call)) is False
    assert (workspace / "stripe/create.toml").read_bytes() == before


def test_one_field_changed_keeps_everything_else_byte_for_byte(workspace: Path) -> None:
    ws = load_workspace(workspace)
    call = dataclasses.replace(ws.calls["stripe/create"], url="/v2/customers")
    assert save_call(ws, call) is True
    after = (workspace / "stripe/create.toml").read_text()
    assert after == HAND_WRITTEN.replace('url = "/customers"', 'url = "/v2/customers"')


def test_header_added_and_variable_changed_in_place(workspace: Path) -> None:
    ws = load_workspace(workspace)
    call = ws.calls["stripe/create"]
    headers = {**call.headers, "X-New": Param("1")}
    variables = {**call.variables, "name": Variable("name", "string", "Ann")}
    save_call(ws, dataclasses.replace(call, headers=headers, variables=variables))
    after = (workspace / "stripe/create.toml").read_text()
    assert "# Creates a customer. Keep this comment!" in after
    assert 'Accept = "application/json"  # trailing comment' in after
    assert 'X-New = "1"' in after
    assert 'name = "Ann"' in after
    assert (
        'email = { type = "string", default = "jane@example.com" }   # inline table stays' in after
    )
    reloaded = load_workspace(workspace).calls["stripe/create"]
    assert reloaded.headers["X-New"] == Param("1")
    assert reloaded.variables["name"].default == "Ann"


def test_body_edit_writes_a_literal_multiline_string(workspace: Path) -> None:
    ws = load_workspace(workspace)
    call = ws.calls["stripe/create"]
    body = Body("json", '{\n  "email": "{{email}}",\n  "note": "say \\"hi\\""\n}\n')
    save_call(ws, dataclasses.replace(call, body=body))
    after = (workspace / "stripe/create.toml").read_text()
    assert "content = '''\n{\n  \"email\"" in after
    assert load_workspace(workspace).calls["stripe/create"].body == body


def test_removed_section_is_deleted(workspace: Path) -> None:
    ws = load_workspace(workspace)
    save_call(ws, dataclasses.replace(ws.calls["stripe/create"], headers={}))
    after = (workspace / "stripe/create.toml").read_text()
    assert "[headers]" not in after and "Accept" not in after
    assert "# Creates a customer" in after


def test_new_call_file_has_the_fixed_key_order(workspace: Path) -> None:
    ws = load_workspace(workspace)
    call = Call(
        "stripe/new",
        name="New",
        method="POST",
        url="/n",
        headers={"A": Param("1")},
        query={"q": Param("x", enabled=False)},
        body=Body("json", '{"a": 1}\n'),
        extract=[Extract("id", "$.id")],
        options=Options(timeout=5),
    )
    save_call(ws, call)
    text = call_path(ws, "stripe/new").read_text()
    order = [
        text.index(k)
        for k in (
            "name =",
            "method =",
            "url =",
            "[query]",
            "[headers]",
            "[body]",
            "[options]",
            "[[extract]]",
        )
    ]
    assert order == sorted(order)
    assert "content = '''\n{\"a\": 1}\n'''" in text
    assert 'q = {value = "x", enabled = false}' in text or 'q = { value = "x"' in text
    assert load_workspace(workspace).calls["stripe/new"] == call


def test_file_changed_on_disk_is_never_overwritten(workspace: Path) -> None:
    ws = load_workspace(workspace)
    path = workspace / "stripe/create.toml"
    path.write_text(HAND_WRITTEN + "\n# someone else's edit\n")
    with pytest.raises(ConflictError, match="changed on disk"):
        save_call(ws, dataclasses.replace(ws.calls["stripe/create"], url="/x"))
    assert path.read_text().endswith("# someone else's edit\n")


def test_broken_file_is_never_overwritten(workspace: Path) -> None:
    path = workspace / "stripe/broken.toml"
    path.write_text('url = "/x\n')
    ws = load_workspace(workspace)
    with pytest.raises(ConflictError, match="broken"):
        save_call(ws, Call("stripe/broken", url="/fixed", path=path))
    assert path.read_text() == 'url = "/x\n'


def test_atomic_write_leaves_no_temporary_files(workspace: Path) -> None:
    ws = load_workspace(workspace)
    save_call(ws, dataclasses.replace(ws.calls["stripe/create"], url="/y"))
    assert sorted(p.name for p in (workspace / "stripe").iterdir()) == [
        "collection.toml",
        "create.toml",
    ]


# -- property: any call the models can hold saves and loads back equal --------------------

_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
)
_name = st.from_regex(r"[A-Za-z_][A-Za-z0-9_\-]{0,12}", fullmatch=True)
_scalar = st.one_of(
    _text,
    st.integers(-(2**40), 2**40),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
)
_param = st.builds(Param, st.one_of(_scalar, st.lists(_scalar, max_size=3)), st.booleans())
_params = st.dictionaries(_name, _param, max_size=3)


@st.composite
def _variables(draw: st.DrawFn) -> dict[str, Variable]:
    out = {}
    for name in draw(st.lists(_name, max_size=3, unique=True)):
        var_type = draw(
            st.sampled_from(["string", "integer", "number", "boolean", "list", "json", "file"])
        )
        default = draw(
            {
                "string": st.one_of(st.none(), _text),
                "file": st.one_of(st.none(), _text),
                "integer": st.one_of(st.none(), st.integers(-1000, 1000)),
                "number": st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False)),
                "boolean": st.one_of(st.none(), st.booleans()),
                "list": st.one_of(st.none(), st.lists(_scalar, max_size=3)),
                "json": st.one_of(st.none(), st.dictionaries(_name, _scalar, max_size=2), _scalar),
            }[var_type]
        )
        out[name] = Variable(
            name,
            var_type,
            default,
            required=draw(st.booleans()),
            secret=False,
            description=draw(_text),
        )
    return out


@st.composite
def _bodies(draw: st.DrawFn) -> Body:
    body_type = draw(st.sampled_from(BODY_TYPES))
    if body_type in ("json", "text"):
        return Body(body_type, content=draw(st.one_of(_text, _text.map(lambda t: t + "\n" + t))))
    if body_type == "form":
        return Body(body_type, fields=draw(_params))
    if body_type == "multipart":
        return Body(body_type, fields=draw(_params), files=draw(_params))
    return Body()


_calls = st.builds(
    Call,
    ref=st.just("c/call"),
    name=_text,
    method=st.sampled_from(METHODS),
    url=_text,
    use_as=st.sampled_from(["data", "action"]),
    description=st.one_of(_text, _text.map(lambda t: t + "\nline two")),
    query=_params,
    headers=_params,
    body=_bodies(),
    variables=_variables(),
    paths=st.dictionaries(_name, _text, max_size=2),
    extract=st.lists(st.builds(Extract, _name, _text.filter(bool), st.booleans()), max_size=2).map(
        lambda rules: [r for r in rules if r.variable and r.source]
    ),
    options=st.builds(
        Options,
        timeout=st.floats(0.1, 600),
        follow_redirects=st.booleans(),
        verify=st.one_of(st.booleans(), _text.filter(bool)),
        stream=st.sampled_from(STREAM_MODES),
    ),
    sample=st.one_of(
        st.none(),
        st.builds(Sample, st.integers(100, 599), st.dictionaries(_name, _text, max_size=2), _text),
    ),
    auth=st.one_of(
        st.none(),
        st.builds(AuthConfig, st.just("bearer"), st.fixed_dictionaries({"token": _text})),
        st.builds(AuthConfig, st.just("none"), st.just({})),
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(call=_calls)
def test_any_call_round_trips_and_saves_to_the_same_bytes(call: Call) -> None:
    text = new_document(call.to_toml())
    loaded = parse_call(tomllib.loads(text), Path("c/call.toml"), text, "c/call")
    assert loaded == call
    assert new_document(loaded.to_toml()) == text


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(first=_calls, second=_calls)
def test_editing_one_call_into_another_in_place(tmp_path: Path, first: Call, second: Call) -> None:
    """A saved file edited into any other call loads back as that call; saving twice
    gives the same bytes."""
    root = tmp_path / "ws"
    (root / "c").mkdir(parents=True, exist_ok=True)
    (root / "c" / "collection.toml").write_text("")
    path = root / "c" / "call.toml"
    path.write_text(new_document(first.to_toml()))
    ws = load_workspace(root)
    save_call(ws, dataclasses.replace(second))
    once = path.read_bytes()
    assert load_workspace(root).calls["c/call"] == second
    save_call(ws, dataclasses.replace(second))
    assert path.read_bytes() == once


@pytest.mark.parametrize(
    "content",
    ["a\nb", "quote ''' inside\n", "del \x7f char\nx", "tab\tand\r\nwindows\n", "back\\slash\n"],
)
def test_awkward_multiline_strings_round_trip(content: str) -> None:
    call = Call("c/call", body=Body("text", content))
    text = new_document(call.to_toml())
    assert parse_call(tomllib.loads(text), Path("c/call.toml"), text, "c/call") == call
