"""A key/value table for query parameters, headers and form fields.

a adds, Enter edits, space toggles whether a row is sent, x or Delete removes. The
table holds its rows as ``Param`` models and posts Changed with all of them.
"""

from __future__ import annotations

import json

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from tui.core.models import Param, ParamValue

from .dialogs import ParamScreen


def value_text(value: ParamValue) -> str:
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_value(text: str, previous: ParamValue | None = None) -> ParamValue:
    """Text from the edit dialog: a JSON array stays a list; scalars keep their type
    when the text still reads as one (so ``limit = 10`` stays an integer)."""
    stripped = text.strip()
    if stripped.startswith("[") and stripped.endswith("]"):
        try:
            parsed = json.loads(stripped)
        except json.JSONDecodeError:
            return text
        if isinstance(parsed, list) and all(
            isinstance(v, str | int | float | bool) for v in parsed
        ):
            return parsed
    if isinstance(previous, bool) and stripped in ("true", "false"):
        return stripped == "true"
    if isinstance(previous, int) and not isinstance(previous, bool):
        try:
            return int(stripped)
        except ValueError:
            return text
    if isinstance(previous, float):
        try:
            return float(stripped)
        except ValueError:
            return text
    return text


class ParamsDataTable(DataTable[Text]):
    BINDINGS = [
        Binding("a", "add", "Add"),
        Binding("enter", "edit", "Edit", show=True),
        Binding("space", "toggle_row", "On/off"),
        Binding("x,delete", "remove", "Remove"),
    ]

    def action_add(self) -> None:
        self._owner().add_row()

    def action_edit(self) -> None:
        self._owner().edit_row(self.cursor_row)

    def action_toggle_row(self) -> None:
        self._owner().toggle_row(self.cursor_row)

    def action_remove(self) -> None:
        self._owner().remove_row(self.cursor_row)

    def _owner(self) -> ParamsTable:
        return self.query_ancestor(ParamsTable)


class ParamsTable(Vertical):
    class Changed(Message):
        def __init__(self, table: ParamsTable, params: dict[str, Param]) -> None:
            super().__init__()
            self.table = table
            self.params = params

        @property
        def control(self) -> ParamsTable:
            return self.table

    def __init__(self, noun: str = "parameter", *, id: str | None = None) -> None:
        super().__init__(id=id, classes="params")
        self.noun = noun
        self.params: dict[str, Param] = {}

    def compose(self) -> ComposeResult:
        table: ParamsDataTable = ParamsDataTable(cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("a add · enter edit · space on/off · x remove", classes="hint")

    def on_mount(self) -> None:
        table = self.query_one(ParamsDataTable)
        table.add_column("on", key="on", width=3)
        table.add_column("name", key="name")
        table.add_column("value", key="value")
        self._render_rows()

    def set_params(self, params: dict[str, Param]) -> None:
        self.params = dict(params)
        if self.is_mounted:
            self._render_rows()

    def _render_rows(self) -> None:
        table = self.query_one(ParamsDataTable)
        row = table.cursor_row
        table.clear()
        for name, param in self.params.items():
            style = "" if param.enabled else "dim strike"
            table.add_row(
                Text("✓" if param.enabled else "·", style="green" if param.enabled else "dim"),
                Text(name, style=style),
                Text(value_text(param.value), style=style),
                key=name,
            )
        if self.params:
            table.move_cursor(row=min(row, len(self.params) - 1))

    def _changed(self) -> None:
        self._render_rows()
        self.post_message(self.Changed(self, dict(self.params)))

    def _name_at(self, row: int) -> str | None:
        names = list(self.params)
        return names[row] if 0 <= row < len(names) else None

    def add_row(self) -> None:
        def done(result: tuple[str, str, bool] | None) -> None:
            if result is None:
                return
            name, value, enabled = result
            self.params[name] = Param(parse_value(value), enabled)
            self._changed()

        self.app.push_screen(ParamScreen(f"Add {self.noun}"), done)

    def edit_row(self, row: int) -> None:
        old_name = self._name_at(row)
        if old_name is None:
            self.add_row()
            return
        old = self.params[old_name]

        def done(result: tuple[str, str, bool] | None) -> None:
            if result is None:
                return
            name, value, enabled = result
            rebuilt: dict[str, Param] = {}
            for key, param in self.params.items():
                if key == old_name:
                    rebuilt[name] = Param(parse_value(value, old.value), enabled)
                elif key != name:
                    rebuilt[key] = param
            self.params = rebuilt
            self._changed()

        self.app.push_screen(
            ParamScreen(f"Edit {self.noun}", old_name, value_text(old.value), old.enabled), done
        )

    def toggle_row(self, row: int) -> None:
        name = self._name_at(row)
        if name is None:
            return
        param = self.params[name]
        self.params[name] = Param(param.value, not param.enabled)
        self._changed()

    def remove_row(self, row: int) -> None:
        name = self._name_at(row)
        if name is None:
            return
        del self.params[name]
        self._changed()
