"""The Endpoints pane: the workspace's incoming endpoints and their live run history.

The server itself is the core's (tui.core.endpoints); it runs in a thread owned by the
app, so it keeps serving while you work in the workbench. Runs arrive as messages
(``post_message`` is thread-safe) and are shown as they come.
"""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from tui.core.endpoints.history import RunRecord
from tui.core.endpoints.loader import EndpointSet

from .text_view import TextView

if TYPE_CHECKING:
    from .app import CallbenchApp


class RunArrived(Message):
    """A request was answered by the endpoints server (posted from its thread)."""

    def __init__(self, record: RunRecord) -> None:
        super().__init__()
        self.record = record


def status_text(status: int) -> Text:
    styles = ((300, "green"), (400, "cyan"), (500, "yellow"))
    style = next((name for limit, name in styles if status < limit), "red")
    return Text(str(status), style=f"bold {style}")


class EndpointsScreen(Screen[None]):
    BINDINGS = [
        Binding("s", "toggle_server", "Start/stop server"),
        Binding("n", "new_endpoint", "New endpoint"),
        Binding("escape,f8", "close", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._runs: list[RunRecord] = []

    @property
    def workbench(self) -> CallbenchApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static("", id="server-status")
        with Horizontal(id="endpoints-body"):
            with Vertical(id="endpoints-list", classes="pane"):
                yield DataTable(id="endpoints-table", cursor_type="row", zebra_stripes=True)
                yield Static("", id="endpoint-problems")
            with Vertical(id="runs", classes="pane"):
                yield DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)
                yield TextView(id="run-detail", highlight_json=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#endpoints-list").border_title = "Endpoints"
        self.query_one("#runs").border_title = "Run history (newest at the bottom)"
        endpoints = self.query_one("#endpoints-table", DataTable)
        endpoints.add_columns("method", "path", "security", "file")
        runs = self.query_one("#runs-table", DataTable)
        runs.add_columns("time", "method", "path", "status", "ms", "endpoint")
        self.show_endpoints(self.workbench.endpoint_set())
        for record in self.workbench.endpoint_history():
            self.add_run(record)
        self.show_status()
        runs.focus()

    def show_status(self) -> None:
        server = self.workbench.endpoint_server
        if server is not None:
            text = Text("● serving ", style="bold green") + Text(server.url, style="bold")
            text.append("   s stops · n new endpoint · escape back", style="dim")
        else:
            text = Text("○ stopped", style="bold yellow")
            text.append("   s starts the server · n new endpoint · escape back", style="dim")
        self.query_one("#server-status", Static).update(text)

    def show_endpoints(self, endpoints: EndpointSet) -> None:
        table = self.query_one("#endpoints-table", DataTable)
        table.clear()
        for endpoint in endpoints.endpoints:
            security = endpoint.security.type
            if endpoint.security.secret:
                security += f" ({endpoint.security.secret})"
            table.add_row(endpoint.method, endpoint.path, security, f"{endpoint.name}.toml")
        problems = Text()
        for problem in endpoints.problems.values():
            problems.append(f"⚠ {problem}\n", style="red")
        if not endpoints.endpoints and not endpoints.problems:
            problems.append("No endpoints yet: n creates one from a template.", style="dim")
        self.query_one("#endpoint-problems", Static).update(problems)

    def add_run(self, record: RunRecord) -> None:
        self._runs.append(record)
        table = self.query_one("#runs-table", DataTable)
        table.add_row(
            record.time[11:23],
            record.method,
            record.path,
            status_text(record.status),
            f"{record.duration_ms:.1f}",
            record.endpoint or "—",
        )
        table.scroll_end(animate=False)
        if len(self._runs) == 1:
            self._show_detail(record)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "runs-table" and 0 <= event.cursor_row < len(self._runs):
            self._show_detail(self._runs[event.cursor_row])

    def _show_detail(self, record: RunRecord) -> None:
        detail: dict[str, Any] = dataclasses.asdict(record)
        self.query_one("#run-detail", TextView).set_text(
            json.dumps(detail, indent=2, ensure_ascii=False), highlight_json=True
        )

    def action_toggle_server(self) -> None:
        self.workbench.toggle_endpoint_server()

    def action_new_endpoint(self) -> None:
        self.workbench.new_endpoint()

    def action_close(self) -> None:
        self.app.pop_screen()
