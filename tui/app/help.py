"""The help screen: every key, by pane, read from the bindings themselves."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Static

from .browser import BrowserTree
from .editor import CallEditor
from .endpoints import EndpointsScreen
from .json_tree import JsonTree
from .params_table import ParamsDataTable
from .paths_pane import PathsPane
from .response import ResponseViewer
from .stream_view import StreamView
from .variables import SecretInput

SECTIONS: list[tuple[str, type[DOMNode]]] = [
    ("Browser", BrowserTree),
    ("Editor", CallEditor),
    ("Query, headers and form tables", ParamsDataTable),
    ("Response viewer", ResponseViewer),
    ("Response tree", JsonTree),
    ("Paths tab", PathsPane),
    ("Variables: a secret's field", SecretInput),
    ("Stream tab", StreamView),
    ("Endpoints (f8)", EndpointsScreen),
]


def _key_text(binding: Binding, app: App[Any]) -> str:
    return ", ".join(app.get_key_display(Binding(k.strip(), "")) for k in binding.key.split(","))


def key_table(app: App[Any]) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 2), expand=True)
    table.add_column("key", style="bold cyan", no_wrap=True, width=20)
    table.add_column("action")
    sections: list[tuple[str, list[Binding]]] = [
        ("Everywhere", [b for b in app.BINDINGS if isinstance(b, Binding)])
    ]
    sections += [
        (title, [b for b in cls.BINDINGS if isinstance(b, Binding)]) for title, cls in SECTIONS
    ]
    for title, bindings in sections:
        table.add_row(Text(title, style="bold underline"), "")
        for binding in bindings:
            table.add_row(_key_text(binding, app), binding.description or binding.action)
        table.add_row("", "")
    table.add_row(Text("Also", style="bold underline"), "")
    table.add_row("ctrl+p", "command palette: every action by name")
    table.add_row("tab / shift+tab", "move between fields")
    table.add_row("enter (browser)", "open the call")
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q,question_mark", "close", "Close")]

    def __init__(self, app: App[Any]) -> None:
        super().__init__()
        self._table = key_table(app)

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog help"):
            yield Static(Text("callbench keys", style="bold"), classes="dialog-title")
            yield Static(self._table)
            yield Static("Escape closes this screen.", classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)
