"""Pilot tests of the Paths tab: live JSONPath, named paths, recommended paths, types."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from textual.widgets import DataTable, Input, TabbedContent, TextArea

from tests.tui_helpers import open_call, sample_workspace, wait_for
from tui.app.app import CallbenchApp
from tui.app.dialogs import PromptScreen, TextScreen
from tui.app.paths_pane import PathsPane
from tui.app.response import ResponseViewer
from tui.app.text_view import TextView
from tui.app.variables import VariablesForm


def text_of(view: TextView) -> str:
    return "\n".join(view.source.line(i) for i in range(view.line_count))


async def test_path_bar_named_and_recommended_paths(tmp_path: Path, server_url: str) -> None:
    root = sample_workspace(tmp_path / "ws", server_url)
    app = CallbenchApp(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_call(pilot, "Items")
        await pilot.press("ctrl+j")
        viewer = app.query_one(ResponseViewer)
        await wait_for(pilot, lambda: viewer.exchange is not None)
        viewer.query_one("#response-tabs", TabbedContent).active = "tab-paths"
        pane = viewer.query_one(PathsPane)
        recommended = pane.query_one("#recommended-paths", DataTable)
        await wait_for(pilot, lambda: recommended.row_count > 0)
        assert recommended.get_row_at(0)[0] == "$.items[*].id"
        path_input = pane.query_one("#path-input", Input)
        path_input.focus()
        await pilot.press(*"$.items[*].id")
        status = pane.query_one("#path-status")
        await wait_for(pilot, lambda: "3 matches" in str(status.render()))
        assert "a list" in str(status.render())
        assert pane.result == [1, 2, 3]
        assert text_of(pane.query_one("#path-result", TextView)) == "[\n  1,\n  2,\n  3\n]"
        # A bad path: an inline error, nothing else changes.
        path_input.value = "$.items["
        await wait_for(pilot, lambda: "invalid JSONPath" in str(status.render()))
        path_input.value = "$.total"
        await wait_for(pilot, lambda: "1 match" in str(status.render()))
        await pilot.press("f9")
        assert isinstance(app.screen, PromptScreen)
        await pilot.press(*"total", "enter")
        await pilot.pause()
        assert app.edited is not None and app.edited.paths == {"total": "$.total"}
        named = pane.query_one("#named-paths", DataTable)
        assert named.row_count == 1 and str(named.get_row_at(0)[1]) == "3"
        await pilot.press("ctrl+s")
        await pilot.pause()
    saved = tomllib.loads((root / "api" / "items.toml").read_text())
    assert saved["paths"] == {"total": "$.total"}


async def test_initialize_and_manual_response_store_the_data_type(
    tmp_path: Path, server_url: str
) -> None:
    root = sample_workspace(tmp_path / "ws", server_url)
    app = CallbenchApp(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_call(pilot, "Items")
        app.action_initialize()
        await wait_for(pilot, lambda: app.edited is not None and app.edited.data_type is not None)
        fields = tomllib.loads((root / "api/items.toml").read_text())["data_type"]["fields"]
        assert fields["items[*].id"] == "integer" and fields["next"] == "null"
        app.action_manual_response()
        await pilot.pause()
        assert isinstance(app.screen, TextScreen)
        app.screen.query_one(TextArea).load_text('{"items": [], "total": 0, "next": "x"}')
        await pilot.press("ctrl+s")
        await pilot.pause()
        data_type = app.edited.data_type if app.edited else None
        assert data_type is not None and data_type.samples == 2
        assert str(data_type.fields["next"]) == "string, nullable"
        # The next response is checked against it: no drift for the same shape.
        await pilot.press("ctrl+j")
        viewer = app.query_one(ResponseViewer)
        await wait_for(pilot, lambda: viewer.exchange is not None)
        await pilot.pause(0.3)
        assert str(viewer.query_one("#type-drift").render()).strip() == ""


async def test_a_json_variable_shaped_by_a_data_type_gets_one_field_per_member(
    tmp_path: Path, server_url: str
) -> None:
    root = sample_workspace(tmp_path / "ws", server_url)
    (root / "api" / "shape.toml").write_text(
        'name = "Shape"\nurl = "/items"\n[data_type]\nsamples = 1\n[data_type.fields]\n'
        '"$" = "object"\nemail = "string"\nqty = "integer"\ngift = "boolean"\n'
        'tags = "list<string>"\n'
    )
    (root / "api" / "send-order.toml").write_text(
        'name = "Send order"\nmethod = "POST"\nurl = "/echo"\n'
        '[body]\ntype = "json"\ncontent = \'{"order": {{order}}}\'\n'
        '[variables]\norder = { type = "json", data_type = "api/shape" }\n'
    )
    app = CallbenchApp(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_call(pilot, "Send order")
        form = app.query_one(VariablesForm)
        await wait_for(pilot, lambda: "order" in form._names)
        box = form._boxes["order"]
        inputs = {w.name.split("::")[1]: w for w in box.query(".var-member")}
        assert sorted(inputs) == ["email", "gift", "qty", "tags"]
        inputs["email"].focus()
        await pilot.press(*"ann@example.com")
        inputs["qty"].focus()
        await pilot.press(*"3")
        inputs["gift"].focus()
        await pilot.press("space")
        inputs["tags"].focus()
        await pilot.press(*'["a", "b"]')
        await pilot.press("ctrl+j")
        viewer = app.query_one(ResponseViewer)
        await wait_for(pilot, lambda: viewer.exchange is not None)
        sent = json.loads(viewer.exchange.response.json["body"])  # type: ignore[union-attr]
    assert sent == {
        "order": {"email": "ann@example.com", "qty": 3, "gift": True, "tags": ["a", "b"]}
    }
