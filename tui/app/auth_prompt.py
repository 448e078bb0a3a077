"""The dialog of an interactive OAuth2 grant, and the Interaction that shows it.

For the authorization-code grant it shows the URL to open (opened in a browser when one
is at hand) and takes the URL the browser ended on, pasted back, for when the browser
runs on another machine (SSH). For the device grant it shows the code to enter and where.
The grant itself runs in the send worker; escape cancels that worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from tui.core.oauth2 import AuthPrompt, open_browser

if TYPE_CHECKING:
    from textual.app import App


class AuthPromptScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+y", "copy", "Copy URL"),
        Binding("ctrl+o", "open", "Open browser"),
    ]

    def __init__(self, prompt: AuthPrompt) -> None:
        super().__init__()
        self.prompt = prompt

    def compose(self) -> ComposeResult:
        prompt = self.prompt
        with Vertical(classes="dialog auth-prompt"):
            if prompt.kind == "device":
                yield Label("Authorize this device", classes="dialog-title")
                yield Static("Open this page and enter the code:", classes="dialog-detail")
                yield Static(prompt.url, id="auth-url", markup=False)
                yield Static(Text(prompt.user_code, style="bold reverse"), id="auth-code")
                yield Static("Waiting for the approval…", classes="hint")
            else:
                opened = " (opened in your browser)" if prompt.browser_opened else ""
                yield Label("Authorize in a browser", classes="dialog-title")
                yield Static(f"Open this URL{opened}:", classes="dialog-detail")
                yield Static(prompt.url, id="auth-url", markup=False)
                yield Static(
                    "Over SSH the browser cannot reach this machine: paste the URL it "
                    "ended on here and press enter.",
                    classes="hint",
                )
                yield Input(placeholder="http://127.0.0.1/callback?code=…", id="auth-paste")
            yield Static("ctrl+y copy URL · ctrl+o open browser · escape cancel", classes="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip() and self.prompt.deliver is not None:
            self.prompt.deliver(event.value)

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.prompt.url)
        self.notify("Copied the URL")

    async def action_open(self) -> None:
        if not await open_browser(self.prompt.url):
            self.notify("No graphical browser here: copy the URL (ctrl+y)", severity="warning")

    def action_cancel(self) -> None:
        self.app.workers.cancel_group(self.app, "send")
        self.dismiss(None)


class ScreenInteraction:
    """Shows the grant's prompt as a dialog; ``done`` closes it."""

    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.screen: AuthPromptScreen | None = None

    def show(self, prompt: AuthPrompt) -> None:
        self.screen = AuthPromptScreen(prompt)
        self.app.push_screen(self.screen)

    def done(self) -> None:
        screen, self.screen = self.screen, None
        if screen is not None and screen.is_current:
            screen.dismiss(None)
