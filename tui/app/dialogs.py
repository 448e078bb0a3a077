"""Small modal screens: confirm, ask for a name, choose from a list, edit a parameter."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static, Switch
from textual.widgets.option_list import Option


class ConfirmScreen(ModalScreen[bool]):
    """Yes or no. Enter or y confirms, Escape or n declines."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, title: str, detail: str = "", yes: str = "Yes") -> None:
        super().__init__()
        self.title_text = title
        self.detail = detail
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            if self.detail:
                yield Static(self.detail, classes="dialog-detail", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (y)", variant="primary", id="yes")
                yield Button("Cancel (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class PromptScreen(ModalScreen[str | None]):
    """Ask for one line of text; Enter accepts, Escape cancels (None).

    ``password=True`` masks what is typed (a passphrase): it is never shown.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        value: str = "",
        placeholder: str = "",
        *,
        password: bool = False,
        hint: str = "",
    ) -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.placeholder = placeholder
        self.password = password
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Input(
                self.value,
                placeholder=self.placeholder,
                password=self.password,
                id="prompt-input",
            )
            yield Static(
                self.hint or "Enter to accept, Escape to cancel",
                classes="dialog-hint",
                markup=False,
            )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceScreen(ModalScreen[str | None]):
    """Pick one of several values; Escape cancels (None)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield OptionList(
                *[Option(label, id=value) for label, value in self.choices], id="choices"
            )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ParamScreen(ModalScreen[tuple[str, str, bool] | None]):
    """Edit a name/value pair and whether it is sent."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "accept", "Accept")]

    def __init__(self, title: str, name: str = "", value: str = "", enabled: bool = True):
        super().__init__()
        self.title_text = title
        self.name_value = name
        self.value = value
        self.enabled = enabled

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Input(self.name_value, placeholder="name", id="param-name")
            yield Input(self.value, placeholder="value ({{variables}} allowed)", id="param-value")
            with Horizontal(classes="dialog-row"):
                yield Switch(self.enabled, id="param-enabled")
                yield Label("sent with the request")
            yield Static("Enter in the value accepts, Escape cancels", classes="dialog-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "param-name":
            self.query_one("#param-value", Input).focus()
        else:
            self.action_accept()

    def action_accept(self) -> None:
        name = self.query_one("#param-name", Input).value.strip()
        if not name:
            self.notify("A name is needed", severity="warning")
            self.query_one("#param-name", Input).focus()
            return
        value = self.query_one("#param-value", Input).value
        self.dismiss((name, value, self.query_one("#param-enabled", Switch).value))

    def action_cancel(self) -> None:
        self.dismiss(None)


class TextScreen(ModalScreen[str | None]):
    """Paste or type a block of text (a sample response); ctrl+s accepts."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "accept", "Accept")]

    def __init__(self, title: str, hint: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.hint = hint

    def compose(self) -> ComposeResult:
        from textual.widgets import TextArea

        with Vertical(classes="dialog text-dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield TextArea.code_editor("", language="json", id="text-input")
            yield Static(self.hint or "ctrl+s accepts, escape cancels", classes="dialog-hint")

    def action_accept(self) -> None:
        from textual.widgets import TextArea

        self.dismiss(self.query_one("#text-input", TextArea).text)

    def action_cancel(self) -> None:
        self.dismiss(None)
