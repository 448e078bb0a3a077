"""Pilot tests of the workbench against the real loopback server."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from textual.widgets import Input, TabbedContent, TextArea

from tests.tui_helpers import open_call, sample_workspace, wait_for
from tui.app.app import CallbenchApp
from tui.app.dialogs import ChoiceScreen, ConfirmScreen, PromptScreen
from tui.app.editor import CallEditor
from tui.app.json_tree import PAGE, JsonTree
from tui.app.response import ResponseViewer
from tui.app.text_view import TextView
from tui.app.variables import VariablesForm
from tui.core.workspace import load_workspace


@pytest.fixture
def root(tmp_path: Path, server_url: str) -> Path:
    return sample_workspace(tmp_path / "ws", server_url)


def viewer(app: CallbenchApp) -> ResponseViewer:
    return app.query_one(ResponseViewer)


def status_text(app: CallbenchApp) -> str:
    return str(app.query_one("#response-status").render())


async def test_select_edit_url_send_and_read_the_response(root: Path) -> None:
    app = CallbenchApp(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_call(pilot, "Items")
        assert app.current_ref == "api/items"
        url = app.query_one("#url", Input)
        assert url.value == "/items"
        await pilot.press("ctrl+l", "end", *"?count=2")
        assert app.edited is not None and app.edited.url == "/items?count=2"
        assert app.dirty
        await pilot.press("ctrl+j")
        await wait_for(pilot, lambda: viewer(app).exchange is not None)
        exchange = viewer(app).exchange
        assert exchange is not None and exchange.response.status == 200
        assert exchange.response.json["total"] == 2
        await wait_for(pilot, lambda: '"total": 2' in app.query_one("#body-small", TextArea).text)
        assert "200 OK" in status_text(app)
        # Not saved: the file on disk still has the old URL.
        assert 'url = "/items"\n' in (root / "api/items.toml").read_text()


async def test_save_writes_the_file_in_place(root: Path) -> None:
    path = root / "api/items.toml"
    path.write_text("# my comment\n" + path.read_text())
    app = CallbenchApp(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_call(pilot, "Items")
        await pilot.press("ctrl+l", "end", *"/v2")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not app.dirty
    assert path.read_text() == '# my comment\nname = "Items"\nmethod = "GET"\nurl = "/items/v2"\n'


async def test_variables_form_feeds_the_send(root: Path) -> None:
    app = CallbenchApp(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_call(pilot, "Echo")
        form = app.query_one(VariablesForm)
        await wait_for(pilot, lambda: "qty" in form._names)
        qty = form.input_for("qty")
        qty.focus()
        await pilot.press(*"41")
        who = form.input_for("who")
        who.focus()
        await pilot.press(*"typed")
        await pilot.press("ctrl+j")
        await wait_for(pilot, lambda: viewer(app).exchange is not None)
        echoed = viewer(app).exchange.response.json  # type: ignore[union-attr]
        assert echoed["body"].strip() == '{"qty": 41}'
        assert echoed["query"] == [["who", "typed"]]
        info = str(form.info_for("qty").render())
        assert "from run" in info


async def test_invalid_typed_value_is_marked_and_not_used(root: Path) -> None:
    app = CallbenchApp(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_call(pilot, "Echo")
        form = app.query_one(VariablesForm)
        await wait_for(pilot, lambda: "qty" in form._names)
        qty = form.input_for("qty")
        qty.focus()
        await pilot.press(*"abc")
        await pilot.pause()
        assert qty.has_class("invalid") or qty.has_class("-invalid")
        assert "qty" not in app.session.values_for("api/echo")


async def test_environment_switch_changes_resolution(root: Path) -> None:
    app = CallbenchApp(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_call(pilot, "Items")
        assert "127.0.0.1:9" not in str(app.query_one("#resolved-url").render())
        await pilot.press("f6")
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("down", "down", "enter")  # (none), dev, other
        await pilot.pause()
        assert app.session.environment == "other"
        assert "http://127.0.0.1:9/items" in str(app.query_one("#resolved-url").render())
        assert "env: other" in app.sub_title


async def test_unsaved_changes_guard_when_switching(root: Path) -> None:
    app = CallbenchApp(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_call(pilot, "Items")
        await pilot.press("ctrl+l", "end", *"/x")
        await open_call(pilot, "Echo")
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("down", "down", "enter")  # stay here
        await pilot.pause()
        assert app.current_ref == "api/items" and app.dirty
        await open_call(pilot, "Echo")
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("down", "enter")  # discard
        await pilot.pause()
        assert app.current_ref == "api/echo"
    assert 'url = "/items"' in (root / "api/items.toml").read_text()


async def test_quit_with_unsaved_changes_can_save_first(root: Path) -> None:
    app = CallbenchApp(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_call(pilot, "Items")
        await pilot.press("ctrl+l", "end", *"/saved")
        await pilot.press("ctrl+q")
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("enter")  # save, then quit
        await pilot.pause()
    assert 'url = "/items/saved"' in (root / "api/items.toml").read_text()


async def test_action_call_asks_before_sending(root: Path) -> None:
    app = CallbenchApp(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_call(pilot, "Create order")
        await pilot.press("ctrl+j")
        assert isinstance(app.screen, ConfirmScreen)
        assert "POST http://127.0.0.1" in app.screen.detail
        await pilot.press("n")
        await pilot.pause(0.3)
        assert viewer(app).exchange is None
        await pilot.press("ctrl+j")
        await pilot.press("y")
        await wait_for(pilot, lambda: viewer(app).exchange is not None)
        assert viewer(app).exchange.response.status == 201  # type: ignore[union-attr]


async def test_escape_cancels_a_slow_send(root: Path) -> None:
    app = CallbenchApp(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_call(pilot, "Slow")
        await pilot.press("ctrl+j")
        await wait_for(pilot, lambda: "Sending" in status_text(app))
        await pilot.press("escape")
        await wait_for(pilot, lambda: "Cancelled" in status_text(app))
        assert viewer(app).exchange is None


async def test_create_rename_duplicate_delete_change_files(root: Path) -> None:
    app = CallbenchApp(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_call(pilot, "Items")
        await pilot.press("f2", "n")
        assert isinstance(app.screen, PromptScreen)
        await pilot.press(*"new-call", "enter")
        await pilot.pause()
        assert (root / "api/new-call.toml").is_file()
        assert app.current_ref == "api/new-call"
        await pilot.press("f2", "r")
        assert isinstance(app.screen, PromptScreen)
        await pilot.press("ctrl+a", "ctrl+k", *"renamed", "enter")
        await pilot.pause()
        assert not (root / "api/new-call.toml").exists()
        assert (root / "api/renamed.toml").is_file()
        assert app.current_ref == "api/renamed"
        await pilot.press("f2", "d")
        await pilot.pause()
        assert (root / "api/renamed-copy.toml").read_bytes() == (
            root / "api/renamed.toml"
        ).read_bytes()
        await open_call(pilot, "renamed-copy")
        await pilot.press("f2", "x")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
        assert not (root / "api/renamed-copy.toml").exists()
        assert "api/renamed-copy" not in app.workspace.calls


async def test_broken_file_is_listed_with_its_error(root: Path) -> None:
    (root / "api/broken.toml").write_text('url = "/x\n')
    app = CallbenchApp(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_call(pilot, "broken")
        text = status_text(app)
        assert "broken.toml:1" in text and "TOML syntax" in text
        assert app.edited is None
        assert app.query_one(CallEditor).disabled
    assert (root / "api/broken.toml").read_text() == 'url = "/x\n'


async def test_file_changed_on_disk_reloads_a_clean_call(root: Path) -> None:
    app = CallbenchApp(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_call(pilot, "Items")
        app._check_files()  # first snapshot
        await wait_for(pilot, lambda: app._snapshot is not None)
        path = root / "api/items.toml"
        path.write_text(path.read_text().replace("/items", "/items?count=9"))
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
        app._check_files()
        await wait_for(pilot, lambda: app.query_one("#url", Input).value == "/items?count=9")
        assert not app.dirty


async def test_body_in_external_editor(root: Path, tmp_path: Path) -> None:
    script = tmp_path / "fake-editor.sh"
    script.write_text('#!/bin/sh\nprintf \'{"qty": 7}\\n\' > "$1"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    os.environ["VISUAL"] = str(script)
    try:
        app = CallbenchApp(root)
        async with app.run_test(size=(120, 40)) as pilot:
            await open_call(pilot, "Echo")
            await pilot.press("f3", "ctrl+o")
            await pilot.pause()
            assert app.edited is not None and app.edited.body.content == '{"qty": 7}\n'
            assert app.query_one("#body-text", TextArea).text == '{"qty": 7}\n'
    finally:
        del os.environ["VISUAL"]


async def test_live_json_validation(root: Path) -> None:
    app = CallbenchApp(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_call(pilot, "Echo")
        editor = app.query_one(CallEditor)
        area = editor.query_one("#body-text", TextArea)
        area.load_text('{"qty": {{qty}} "x": 1}')
        await pilot.pause()
        assert app.edited is not None and app.edited.body.content == '{"qty": {{qty}} "x": 1}'
        assert "line 1, column" in str(editor.query_one("#body-status").render())
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert "invalid JSON" in status_text(app)


async def test_help_and_command_palette_list_actions(root: Path) -> None:
    app = CallbenchApp(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert {"Send the call", "Save the call", "Copy as curl"} <= set(commands)


async def test_copy_curl_and_body_use_the_clipboard(root: Path) -> None:
    app = CallbenchApp(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_call(pilot, "Items")
        app.action_copy_curl()
        assert app.clipboard.startswith("curl ") and "/items" in app.clipboard
        await pilot.press("ctrl+j")
        await wait_for(pilot, lambda: viewer(app).exchange is not None)
        await wait_for(pilot, lambda: bool(viewer(app).formatted))
        await pilot.press("f5", "y")
        assert '"total": 3' in app.clipboard


async def test_a_big_body_is_shown_line_by_line_from_a_file(root: Path) -> None:
    (root / "api" / "big.toml").write_text('name = "Big"\nurl = "/big?mb=3"\n')
    app = CallbenchApp(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_call(pilot, "Big")
        await pilot.press("ctrl+j")
        await wait_for(pilot, lambda: viewer(app).exchange is not None)
        large = app.query_one("#body-large", TextView)
        # The first screen comes from the head of the body, before formatting is done.
        await wait_for(pilot, lambda: large.line_count > 10)
        assert large.source.line(0) == "{" and large.source.line(1) == '  "items": ['
        await wait_for(pilot, lambda: viewer(app).big is not None, timeout=30)
        formatted = viewer(app).big
        assert formatted is not None and formatted.is_json
        assert large.line_count == formatted.pretty.lines > 100_000
        assert large.source.line(large.line_count - 2).strip() == '"count": 50000'
        assert "lines" in status_text(app)
        app.copy_to_clipboard("unchanged")
        await pilot.press("f5", "y")
        assert app.clipboard == "unchanged"  # too big for the clipboard
        app.query_one("#response-tabs", TabbedContent).active = "tab-tree"
        tree = app.query_one("#json-tree", JsonTree)
        await wait_for(pilot, lambda: len(tree.root.children) == 2, timeout=20)
        items = tree.root.children[0]
        items.expand()
        await wait_for(pilot, lambda: len(items.children) == PAGE + 1)  # a page and "more"


async def test_keep_the_response_as_the_calls_sample(root: Path) -> None:
    app = CallbenchApp(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_call(pilot, "Items")
        await pilot.press("ctrl+j")
        await wait_for(pilot, lambda: viewer(app).exchange is not None)
        await pilot.press("f5", "m", "ctrl+s")
        await pilot.pause()
    saved = load_workspace(root).calls["api/items"].sample
    assert saved is not None and saved.status == 200
    assert saved.headers == {"Content-Type": "application/json"}
    assert '"total":3' in saved.body.replace(" ", "")
