"""The call editor: method, URL, and tabs for query, headers, body, options, description.

It edits a working copy of a call and posts Changed with the whole copy after every
edit; the app decides what is dirty and saves through tui.core.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from rich.highlighter import Highlighter
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import (
    Button,
    ContentSwitcher,
    Input,
    Label,
    Select,
    Static,
    Switch,
    TabbedContent,
    TabPane,
    TextArea,
)

from tui.core.models import BODY_TYPES, METHODS, STREAM_MODES, USE_AS, Body, Call, Options
from tui.core.templating import json_template_problem

from .params_table import ParamsTable


class VariableHighlighter(Highlighter):
    """Shows ``{{variables}}`` in a URL or value in their own colour."""

    def highlight(self, text: Text) -> None:
        text.highlight_regex(r"\{\{.*?\}\}", "bold magenta")
        text.highlight_regex(r"\\\{\{", "dim")


_OPTION_INPUTS = ("timeout", "verify", "proxy", "cert", "key", "key_password", "cache_ttl")


class CallEditor(Vertical):
    BINDINGS = [
        Binding("ctrl+o", "external_editor", "Body in $EDITOR"),
        Binding("alt+q", "show_tab('tab-query')", "Query tab", show=False),
        Binding("alt+h", "show_tab('tab-headers')", "Headers tab", show=False),
        Binding("alt+b", "show_tab('tab-body')", "Body tab", show=False),
        Binding("alt+o", "show_tab('tab-options')", "Options tab", show=False),
        Binding("alt+d", "show_tab('tab-description')", "Description tab", show=False),
    ]

    class Changed(Message):
        """The working copy changed: ``call`` is the whole edited call."""

        def __init__(self, call: Call) -> None:
            super().__init__()
            self.call = call

    class SendPressed(Message):
        pass

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.call: Call | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="request-line"):
            yield Select(
                [(m, m) for m in METHODS],
                value="GET",
                allow_blank=False,
                compact=True,
                id="method",
            )
            yield Input(
                placeholder="https://… or /path after the collection's base URL",
                highlighter=VariableHighlighter(),
                compact=True,
                id="url",
            )
            yield Button("Send", id="send", compact=True, variant="primary")
        yield Static("", id="resolved-url", markup=False)
        with TabbedContent(id="editor-tabs"):
            with TabPane("Query", id="tab-query"):
                yield ParamsTable("parameter", id="query")
            with TabPane("Headers", id="tab-headers"):
                yield ParamsTable("header", id="headers")
            with TabPane("Body", id="tab-body"):
                with Horizontal(id="body-type-line"):
                    yield Label("Type ")
                    yield Select(
                        [(t, t) for t in BODY_TYPES],
                        value="none",
                        allow_blank=False,
                        compact=True,
                        id="body-type",
                    )
                    yield Static("", id="body-status")
                with ContentSwitcher(initial="body-none", id="body-switcher"):
                    yield Static("No body. Choose a type above.", id="body-none")
                    yield TextArea.code_editor(
                        "", language="json", soft_wrap=True, id="body-text", tab_behavior="focus"
                    )
                    with Vertical(id="body-form"):
                        yield ParamsTable("field", id="body-fields")
                        yield ParamsTable("file", id="body-files")
            with TabPane("Options", id="tab-options"), VerticalScroll(id="options"):
                yield from self._option_rows()
            with TabPane("Description", id="tab-description"):
                yield TextArea("", soft_wrap=True, id="description", tab_behavior="focus")

    def _option_rows(self) -> ComposeResult:
        with Horizontal(classes="option-row"):
            yield Label("use as", classes="option-label")
            yield Select(
                [("data (no side effects)", "data"), ("action (asks before sending)", "action")],
                value="data",
                allow_blank=False,
                compact=True,
                id="opt-use_as",
            )
        for name, label, placeholder in (
            ("timeout", "timeout (s)", "30"),
            ("verify", "verify TLS", "true, false, or a CA bundle path"),
            ("proxy", "proxy", "empty: HTTP(S)_PROXY from the environment"),
            ("cert", "client cert", "path to a PEM certificate"),
            ("key", "client key", "path to its key"),
            ("key_password", "key password", "{{a_secret}}"),
            ("cache_ttl", "cache ttl (s)", "0"),
        ):
            with Horizontal(classes="option-row"):
                yield Label(label, classes="option-label")
                yield Input(placeholder=placeholder, compact=True, id=f"opt-{name}")
        for name, label in (
            ("follow_redirects", "follow redirects"),
            ("force_utf8", "force UTF-8"),
            ("reconnect", "stream reconnect"),
        ):
            with Horizontal(classes="option-row"):
                yield Label(label, classes="option-label")
                yield Switch(id=f"opt-{name}")
        with Horizontal(classes="option-row"):
            yield Label("stream", classes="option-label")
            yield Select(
                [(m, m) for m in STREAM_MODES],
                value="auto",
                allow_blank=False,
                compact=True,
                id="opt-stream",
            )

    # -- state down -------------------------------------------------------------------

    def load(self, call: Call | None) -> None:
        """Show ``call`` (None: nothing selected); posts no Changed."""
        self.call = call
        self.disabled = call is None
        if call is None:
            return
        with self.prevent(
            Input.Changed, Select.Changed, Switch.Changed, TextArea.Changed, ParamsTable.Changed
        ):
            self.query_one("#method", Select).value = call.method
            self.query_one("#url", Input).value = call.url
            self.query_one("#query", ParamsTable).set_params(call.query)
            self.query_one("#headers", ParamsTable).set_params(call.headers)
            self.query_one("#body-type", Select).value = call.body.type
            self.query_one("#body-text", TextArea).load_text(call.body.content)
            self.query_one("#body-fields", ParamsTable).set_params(call.body.fields)
            self.query_one("#body-files", ParamsTable).set_params(call.body.files)
            self.query_one("#description", TextArea).load_text(call.description)
            self._load_options(call.options, call.use_as)
        self._show_body_kind(call.body.type)
        self._validate_body()

    def _load_options(self, options: Options, use_as: str) -> None:
        self.query_one("#opt-use_as", Select).value = use_as
        for name in _OPTION_INPUTS:
            value = getattr(options, name)
            default = getattr(Options(), name)
            text = "" if value == default else _option_text(value)
            self.query_one(f"#opt-{name}", Input).value = text
        self.query_one("#opt-follow_redirects", Switch).value = options.follow_redirects
        self.query_one("#opt-force_utf8", Switch).value = options.force_utf8
        self.query_one("#opt-reconnect", Switch).value = options.reconnect
        self.query_one("#opt-stream", Select).value = options.stream

    def show_resolved(self, text: Text | str) -> None:
        self.query_one("#resolved-url", Static).update(text)

    # -- edits up ---------------------------------------------------------------------

    def _emit(self, **changes: object) -> None:
        if self.call is None:
            return
        self.call = dataclasses.replace(self.call, **changes)  # type: ignore[arg-type]
        self.post_message(self.Changed(self.call))

    @on(Select.Changed, "#method")
    def _method(self, event: Select.Changed) -> None:
        self._emit(method=str(event.value))

    @on(Input.Changed, "#url")
    def _url(self, event: Input.Changed) -> None:
        self._emit(url=event.value)

    @on(Input.Submitted, "#url")
    def _url_submitted(self) -> None:
        self.post_message(self.SendPressed())

    @on(Button.Pressed, "#send")
    def _send(self) -> None:
        self.post_message(self.SendPressed())

    @on(ParamsTable.Changed)
    def _params(self, event: ParamsTable.Changed) -> None:
        if self.call is None:
            return
        table_id = event.table.id
        if table_id in ("query", "headers"):
            self._emit(**{table_id: event.params})
        elif table_id == "body-fields":
            self._emit(body=dataclasses.replace(self.call.body, fields=event.params))
        elif table_id == "body-files":
            self._emit(body=dataclasses.replace(self.call.body, files=event.params))

    @on(Select.Changed, "#body-type")
    def _body_type(self, event: Select.Changed) -> None:
        if self.call is None:
            return
        kind = str(event.value)
        body = self.call.body
        # Keep what fits the new type; text and fields never mix in one body.
        if kind in ("json", "text"):
            new_body = Body(kind, content=self.query_one("#body-text", TextArea).text)
        elif kind == "form":
            new_body = Body(kind, fields=body.fields)
        elif kind == "multipart":
            new_body = Body(kind, fields=body.fields, files=body.files)
        else:
            new_body = Body()
        self._show_body_kind(kind)
        self._emit(body=new_body)
        self._validate_body()

    def _show_body_kind(self, kind: str) -> None:
        switcher = self.query_one("#body-switcher", ContentSwitcher)
        if kind in ("json", "text"):
            switcher.current = "body-text"
            self.query_one("#body-text", TextArea).language = "json" if kind == "json" else None
        elif kind in ("form", "multipart"):
            switcher.current = "body-form"
            self.query_one("#body-files", ParamsTable).display = kind == "multipart"
        else:
            switcher.current = "body-none"

    @on(TextArea.Changed, "#body-text")
    def _body_text(self, event: TextArea.Changed) -> None:
        if self.call is None or self.call.body.type not in ("json", "text"):
            return
        self._emit(body=dataclasses.replace(self.call.body, content=event.text_area.text))
        self._validate_body()

    def _validate_body(self) -> None:
        status = self.query_one("#body-status", Static)
        if self.call is None or self.call.body.type != "json" or not self.call.body.content:
            status.update("")
            return
        problem = json_template_problem(self.call.body.content)
        if problem is None:
            status.update(Text("✓ valid JSON", style="green"))
        else:
            status.update(Text(f"✗ {problem.removeprefix('body: ')}", style="bold red"))

    @on(TextArea.Changed, "#description")
    def _description(self, event: TextArea.Changed) -> None:
        self._emit(description=event.text_area.text)

    @on(Select.Changed, "#opt-use_as")
    def _use_as(self, event: Select.Changed) -> None:
        if str(event.value) in USE_AS:
            self._emit(use_as=str(event.value))

    @on(Select.Changed, "#opt-stream")
    @on(Switch.Changed)
    @on(Input.Changed, ".option-row Input")
    def _options(self) -> None:
        if self.call is None:
            return
        options = dataclasses.replace(self.call.options)
        problems: list[str] = []
        for name in _OPTION_INPUTS:
            widget = self.query_one(f"#opt-{name}", Input)
            text = widget.value.strip()
            try:
                setattr(options, name, _parse_option(name, text))
                widget.remove_class("invalid")
            except ValueError as error:
                widget.add_class("invalid")
                problems.append(f"{name}: {error}")
        options.follow_redirects = self.query_one("#opt-follow_redirects", Switch).value
        options.force_utf8 = self.query_one("#opt-force_utf8", Switch).value
        options.reconnect = self.query_one("#opt-reconnect", Switch).value
        options.stream = str(self.query_one("#opt-stream", Select).value)
        if problems:
            self.notify("; ".join(problems), severity="warning", timeout=3)
            return
        self._emit(options=options)

    # -- actions ----------------------------------------------------------------------

    def action_focus_url(self) -> None:
        self.query_one("#url", Input).focus()

    def action_show_tab(self, tab: str) -> None:
        """Open a tab and put the cursor in it."""
        self.query_one("#editor-tabs", TabbedContent).active = tab
        pane = self.query_one(f"#{tab}", TabPane)
        focusable = [w for w in pane.query("*") if w.focusable]
        if focusable:
            focusable[0].focus()

    def action_external_editor(self) -> None:
        """Edit the body in $EDITOR (or $VISUAL, else vi) and read it back."""
        if self.call is None:
            return
        if self.call.body.type not in ("json", "text"):
            self.notify("Only json and text bodies open in an editor", severity="warning")
            return
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        suffix = ".json" if self.call.body.type == "json" else ".txt"
        with tempfile.NamedTemporaryFile(
            "w", suffix=suffix, delete=False, encoding="utf-8"
        ) as handle:
            handle.write(self.call.body.content)
            path = Path(handle.name)
        try:
            try:
                with self.app.suspend():
                    code = subprocess.call([*shlex.split(editor), str(path)])
            except Exception:  # no terminal to hand over (headless): run it as is
                code = subprocess.call([*shlex.split(editor), str(path)])
            if code != 0:
                self.notify(f"{editor} exited with {code}; body unchanged", severity="warning")
                return
            text = path.read_text(encoding="utf-8")
        finally:
            path.unlink(missing_ok=True)
        self.query_one("#body-text", TextArea).load_text(text)
        self._emit(body=dataclasses.replace(self.call.body, content=text))
        self._validate_body()


def _option_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _parse_option(name: str, text: str) -> object:
    default = getattr(Options(), name)
    if not text:
        return default
    if name in ("timeout", "cache_ttl"):
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
        if name == "timeout" and number <= 0:
            raise ValueError("must be more than 0")
        return number
    if name == "verify":
        lowered = text.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        return text
    return text
