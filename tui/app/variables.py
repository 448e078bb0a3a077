"""The variables form: every variable the selected call uses, with typed inputs.

Each row shows the name, its type, whether it is required, its current value and where
that value comes from. A value typed here applies to the next send of this call. The
environment selector sits on top.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.validation import Function, Integer, Number, ValidationResult, Validator
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, Switch

from tui.core.datatypes import blank_value
from tui.core.errors import CallbenchError
from tui.core.templating import coerce, to_text
from tui.core.variables_info import VariableRow

NO_ENVIRONMENT = "__none__"
MEMBER = "::"  # joins a variable and a member in the widget names of a shaped json value


def _member_type(kind: str) -> str:
    """The variable type whose input suits a member of this data type kind."""
    if kind in ("string", "integer", "number", "boolean"):
        return kind
    return "list" if kind.startswith("list<") else "json"


class _Json(Validator):
    def __init__(self, want_list: bool = False) -> None:
        super().__init__()
        self.want_list = want_list

    def validate(self, value: str) -> ValidationResult:
        if not value.strip():
            return self.success()
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError as error:
            if self.want_list and not value.strip().startswith("["):
                return self.success()  # comma-separated list
            return self.failure(f"invalid JSON: {error.msg} at column {error.colno}")
        if self.want_list and not isinstance(parsed, list):
            return self.failure("a list is a JSON array or comma-separated text")
        return self.success()


def _validators(row: VariableRow, root: Path) -> list[Validator]:
    if row.type == "integer":
        return [Integer(failure_description="an integer")]
    if row.type == "number":
        return [Number(failure_description="a number")]
    if row.type in ("json", "list"):
        return [_Json(row.type == "list")]
    if row.type == "file":
        return [
            Function(
                lambda v: (
                    not v
                    or (root / Path(v).expanduser()).is_file()
                    or Path(v).expanduser().is_file()
                ),
                "no such file",
            )
        ]
    return []


class VariablesForm(Vertical):
    class ValueChanged(Message):
        def __init__(self, name: str, value: Any) -> None:
            super().__init__()
            self.name = name
            self.value = value

    class EnvironmentChanged(Message):
        def __init__(self, environment: str | None) -> None:
            super().__init__()
            self.environment = environment

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[VariableRow] = []
        self.root = Path.cwd()
        self._names: list[str] = []
        self._environments: list[str] = []
        self._active: str | None = None
        self._boxes: dict[str, Vertical] = {}

    def compose(self) -> ComposeResult:
        with Horizontal(id="env-line"):
            yield Label("env ")
            yield Select(
                [("(none)", NO_ENVIRONMENT)],
                value=NO_ENVIRONMENT,
                allow_blank=False,
                compact=True,
                id="environment",
            )
        yield VerticalScroll(id="variable-rows")

    def set_environments(self, names: list[str], active: str | None) -> None:
        select = self.query_one("#environment", Select)
        with self.prevent(Select.Changed):
            if names != self._environments:
                select.set_options([("(none)", NO_ENVIRONMENT), *[(n, n) for n in names]])
                self._environments = list(names)
            select.value = active if active in names else NO_ENVIRONMENT
        self._active = active if active in names else None

    def show(self, rows: list[VariableRow], root: Path, typed: dict[str, Any]) -> None:
        """Show ``rows``; rebuild inputs only when the set of variables changed."""
        self.rows = rows
        self.root = root
        names = [r.name for r in rows]
        container = self.query_one("#variable-rows", VerticalScroll)
        if names != self._names:
            self._names = names
            self._boxes = {}
            container.remove_children()
            widgets: list[Widget] = [self._row_widget(row, typed.get(row.name)) for row in rows]
            if not widgets:
                widgets = [Static("This call uses no variables.", classes="hint")]
            container.mount_all(widgets)
        else:
            for row in rows:
                self._update_info(row)

    def _row_widget(self, row: VariableRow, typed: Any) -> Vertical:
        box = Vertical(classes="variable")
        self._boxes[row.name] = box
        if row.members:
            return self._member_widgets(box, row, typed)
        value_widget: Input | Switch
        if row.type == "boolean":
            current = typed if isinstance(typed, bool) else bool(row.value)
            value_widget = Switch(current, name=row.name, classes="var-input")
        else:
            value_widget = Input(
                "" if typed is None else to_text(typed),
                placeholder=self._placeholder(row),
                password=row.secret,
                validators=_validators(row, self.root),
                compact=True,
                name=row.name,
                classes="var-input",
            )
        box.compose_add_child(Static(self._title(row), classes="var-title"))
        box.compose_add_child(value_widget)
        box.compose_add_child(Static(self._info(row), classes="var-info"))
        return box

    def _member_widgets(self, box: Vertical, row: VariableRow, typed: Any) -> Vertical:
        """A json variable with a data type: one typed field per member of the object."""
        box.compose_add_child(Static(self._title(row), classes="var-title"))
        current = (
            typed if isinstance(typed, dict) else (row.value if isinstance(row.value, dict) else {})
        )
        for member, kind in row.members:
            name = f"{row.name}{MEMBER}{member}"
            value = current.get(member, blank_value(kind))
            label = Text(f"  .{member}", style="bold")
            label.append(f"  {kind}", style="dim")
            box.compose_add_child(Static(label, classes="var-title"))
            widget: Input | Switch
            if kind.kind == "boolean":
                widget = Switch(bool(value), name=name, classes="var-member")
            else:
                member_row = VariableRow(member, type=_member_type(kind.kind))
                widget = Input(
                    "" if value is None else to_text(value),
                    placeholder=kind.kind,
                    validators=_validators(member_row, self.root),
                    compact=True,
                    name=name,
                    classes="var-member",
                )
            box.compose_add_child(widget)
        box.compose_add_child(Static(self._info(row), classes="var-info"))
        return box

    def _member_value(self, variable: str) -> dict[str, Any]:
        """The object the member fields of ``variable`` make, typed."""
        out: dict[str, Any] = {}
        kinds = dict(next((r.members for r in self.rows if r.name == variable), []))
        for widget in self._boxes[variable].query(".var-member"):
            member = (widget.name or "").split(MEMBER, 1)[1]
            kind = kinds.get(member)
            if isinstance(widget, Switch):
                out[member] = widget.value
            elif isinstance(widget, Input) and kind is not None:
                text = widget.value
                if not text.strip():
                    out[member] = blank_value(kind)
                    continue
                try:
                    out[member] = coerce(text, _member_type(kind.kind), member)
                except CallbenchError:
                    out[member] = text
        return out

    @on(Input.Changed, ".var-member")
    @on(Switch.Changed, ".var-member")
    def _member_changed(self, event: Input.Changed | Switch.Changed) -> None:
        event.stop()
        widget = event.input if isinstance(event, Input.Changed) else event.switch
        if isinstance(event, Input.Changed):
            valid = event.validation_result is None or event.validation_result.is_valid
            widget.set_class(not valid, "invalid")
            if not valid:
                return
        variable = (widget.name or "").split(MEMBER, 1)[0]
        self.post_message(self.ValueChanged(variable, self._member_value(variable)))

    @staticmethod
    def _title(row: VariableRow) -> Text:
        title = Text()
        title.append(row.name, style="bold")
        title.append(f"  {row.type}", style="dim")
        if row.required:
            title.append(" *", style="bold red")
        if row.secret:
            title.append(" secret", style="yellow")
        return title

    @staticmethod
    def _placeholder(row: VariableRow) -> str:
        if row.secret:
            return "secret (hidden)"
        if row.value is not None:
            return to_text(row.value)
        return "required" if row.required else "optional"

    def _info(self, row: VariableRow) -> Text:
        if row.problem:
            return Text(row.problem, style="red")
        if not row.source:
            return Text("no value" + ("" if row.required else " (optional)"), style="dim")
        shown = "••••••" if row.secret else to_text(row.value)
        if len(shown) > 60:
            shown = shown[:57] + "…"
        info = Text()
        info.append(f"= {shown}", style="green")
        info.append(f"  from {row.source}", style="dim")
        return info

    def _update_info(self, row: VariableRow) -> None:
        box = self._boxes.get(row.name)
        if box is not None and box.is_mounted:
            box.query_one(".var-info", Static).update(self._info(row))

    def input_for(self, name: str) -> Input | Switch:
        """The widget that edits ``name`` (for tests and focus)."""
        return self._boxes[name].query_one(".var-input", Widget)  # type: ignore[return-value]

    def info_for(self, name: str) -> Static:
        return self._boxes[name].query_one(".var-info", Static)

    @on(Input.Changed, ".var-input")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        name = event.input.name
        if name is None:
            return
        valid = event.validation_result is None or event.validation_result.is_valid
        event.input.set_class(not valid, "invalid")
        if valid:
            self.post_message(self.ValueChanged(name, event.value))

    @on(Switch.Changed, ".var-input")
    def _switched(self, event: Switch.Changed) -> None:
        event.stop()
        name = event.switch.name
        if name is not None:
            self.post_message(self.ValueChanged(name, event.value))

    @on(Select.Changed, "#environment")
    def _environment(self, event: Select.Changed) -> None:
        event.stop()
        value = None if event.value == NO_ENVIRONMENT else str(event.value)
        if value != self._active:  # not an echo of what the app just set
            self._active = value
            self.post_message(self.EnvironmentChanged(value))
