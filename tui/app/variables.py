"""The variables form: every variable the selected call uses, with typed inputs.

Each row shows the name, its type, whether it is required, its current value and where
that value comes from. A value typed here applies to the next send of this call. The
environment selector sits on top.

A secret's field is masked (ctrl+t shows it, until the call changes); ctrl+k asks the app
to keep the typed value in the keyring or vault. Its info line names where the value
comes from (keyring, vault, CALLBENCH_SECRET_<NAME>, typed for this run), never the value.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.validation import Function, Integer, Number, ValidationResult, Validator
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, Switch

from tui.core.datatypes import blank_value
from tui.core.errors import CallbenchError
from tui.core.secrets import env_var_name
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


class SecretInput(Input):
    """A secret variable's field: masked unless revealed, and a key to keep its value."""

    BINDINGS = [
        Binding("ctrl+t", "toggle_reveal", "Show/hide secret"),
        # Shadows Input's "delete to the end" here only; ctrl+u still clears the field.
        Binding("ctrl+k", "keep", "Keep in keyring/vault"),
    ]

    class KeepRequested(Message):
        def __init__(self, secret_input: SecretInput) -> None:
            super().__init__()
            self.secret_input = secret_input

    class RevealToggled(Message):
        def __init__(self, secret_input: SecretInput) -> None:
            super().__init__()
            self.secret_input = secret_input

    @property
    def revealed(self) -> bool:
        return not self.password

    def action_toggle_reveal(self) -> None:
        self.set_revealed(self.password)

    def set_revealed(self, revealed: bool) -> None:
        if self.password == revealed:
            self.password = not revealed
            self.post_message(self.RevealToggled(self))

    def action_keep(self) -> None:
        self.post_message(self.KeepRequested(self))


class SecretHint(Static):
    """The keys of a secret's field, under it; a click shows or hides the value."""

    def __init__(self, secret_input: SecretInput) -> None:
        super().__init__(classes="secret-hint")
        self.secret_input = secret_input

    def show_state(self, target: str) -> None:
        verb = "hide" if self.secret_input.revealed else "show"
        where = "vault" if target != "keyring" else "keyring"
        self.update(Text(f"ctrl+t {verb} · ctrl+k keep in {where}", style="dim"))

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.secret_input.action_toggle_reveal()


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

    class KeepSecret(Message):
        """ctrl+k in a secret's field: keep ``value`` as the secret ``name``."""

        def __init__(self, name: str, value: str) -> None:
            super().__init__()
            self.name = name
            self.value = value

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[VariableRow] = []
        self.root = Path.cwd()
        # Set by the app: where a kept secret goes ("keyring", "vault" or "": a vault
        # passphrase is asked first) and whether the vault waits for its passphrase.
        self.secret_target = "keyring"
        self.vault_locked = False
        self._ref: str | None = None
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

    def show(
        self, rows: list[VariableRow], root: Path, typed: dict[str, Any], ref: str | None = None
    ) -> None:
        """Show ``rows``; rebuild the inputs when the call or its set of variables changed
        (so a revealed secret is masked again in another call)."""
        self.rows = rows
        self.root = root
        names = [r.name for r in rows]
        container = self.query_one("#variable-rows", VerticalScroll)
        if names != self._names or ref != self._ref:
            self._names = names
            self._ref = ref
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
        elif row.secret:
            value_widget = SecretInput(
                "" if typed is None else to_text(typed),
                placeholder=self._placeholder(row),
                password=True,
                validators=_validators(row, self.root),
                compact=True,
                name=row.name,
                classes="var-input",
            )
            hint = SecretHint(value_widget)
            hint.show_state(self.secret_target)
            box.compose_add_child(Static(self._title(row), classes="var-title"))
            box.compose_add_child(value_widget)
            box.compose_add_child(Static(self._info(row), classes="var-info"))
            box.compose_add_child(hint)
            return box
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
        if row.secret and row.missing and (not row.problem or "has no value" in row.problem):
            if self.vault_locked:
                return Text(
                    "missing: the vault is locked (a send or ctrl+k asks its passphrase)",
                    style="yellow",
                )
            return Text(
                f"missing: type it, ctrl+k keeps it (or ${env_var_name(row.name)})", style="red"
            )
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
            for hint in box.query(SecretHint):
                hint.show_state(self.secret_target)

    def clear_secret(self, name: str) -> None:
        """Empty and mask a secret's field (its value was kept in a store)."""
        box = self._boxes.get(name)
        if box is None or not box.is_mounted:
            return
        for field in box.query(SecretInput):
            with self.prevent(Input.Changed):
                field.value = ""
            field.set_revealed(False)

    @on(SecretInput.KeepRequested)
    def _keep(self, event: SecretInput.KeepRequested) -> None:
        event.stop()
        field = event.secret_input
        if field.name is not None:
            self.post_message(self.KeepSecret(field.name, field.value))

    @on(SecretInput.RevealToggled)
    def _revealed(self, event: SecretInput.RevealToggled) -> None:
        event.stop()
        box = event.secret_input.parent
        if box is not None:
            for hint in box.query(SecretHint):
                hint.show_state(self.secret_target)

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
