"""The callbench workbench: composes the panes and carries state between them.

Panes post messages up (a call was selected, the call was edited, send was pressed) and
the app answers by calling tui.core and handing the result down. Long work (sending,
formatting a body, reloading the workspace) runs in workers; the UI never waits on I/O.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from rich.text import Text
from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Container, Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header, Input

from tui.core.errors import CallbenchError, TransportError
from tui.core.file_snapshot import Snapshot, snapshot
from tui.core.models import Call
from tui.core.workspace import Workspace, load_workspace

from .browser import CollectionBrowser, Node
from .dialogs import ChoiceScreen, ConfirmScreen, PromptScreen

if TYPE_CHECKING:
    # The panes and the sending machinery are imported after the first frame is drawn
    # (see _mount_panes): the workbench shows the workspace at once.
    from tui.core.endpoints.history import RunRecord
    from tui.core.endpoints.loader import EndpointSet
    from tui.core.endpoints.server import EndpointServer
    from tui.core.session import Session

    from .editor import CallEditor
    from .endpoints import RunArrived
    from .paths_pane import PathsPane
    from .response import ResponseViewer
    from .variables import VariablesForm

NARROW_WIDTH = 110
_FAILED = object()


class CallbenchApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "callbench"
    BINDINGS = [
        Binding("ctrl+j", "send", "Send", priority=True),
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel_send", "Cancel send", show=False),
        Binding("f1", "help", "Help"),
        Binding("question_mark", "help", "Help", show=False),
        Binding("f2", "focus_pane('browser')", "Browser", show=False),
        Binding("f3", "focus_pane('editor')", "Editor", show=False),
        Binding("f4", "focus_pane('variables')", "Variables", show=False),
        Binding("f5", "focus_pane('response')", "Response", show=False),
        Binding("f6", "choose_environment", "Environment"),
        Binding("ctrl+b", "toggle_browser", "Browser on/off", show=False),
        Binding("f7", "maximize_pane", "Maximize pane", show=False),
        Binding("f8", "endpoints", "Endpoints"),
        Binding("ctrl+l", "focus_pane('editor')", "URL", show=False),
        Binding("ctrl+r", "reload", "Reload files", show=False),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, root: Path) -> None:
        super().__init__()
        self._workspace = load_workspace(root)
        self._session: Session | None = None
        self.current_ref: str | None = None
        self._pending: Node | None = None
        self.endpoint_server: EndpointServer | None = None
        self._endpoint_runs: list[RunRecord] | None = None
        self.edited: Call | None = None
        self._snapshot: Snapshot | None = None
        self._watching = True
        self._preferences_lock = threading.Lock()
        self._vault_asked = False  # a send asked for the vault passphrase already

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="panes"):
            yield CollectionBrowser(id="browser")
            with Vertical(id="main"):
                yield Container(id="editor-pane", classes="pane")
                yield Container(id="response-pane", classes="pane")
            yield Container(id="variables-pane", classes="pane")
        yield Footer()

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the workbench panes are not mounted yet")
        return self._session

    @property
    def ready(self) -> bool:
        """The panes are mounted and the session is open (shortly after the first frame)."""
        return self._session is not None

    @property
    def workspace(self) -> Workspace:
        return self._session.workspace if self._session is not None else self._workspace

    @property
    def editor(self) -> CallEditor:
        return self.query_one("#editor")  # type: ignore[return-value]

    @property
    def viewer(self) -> ResponseViewer:
        return self.query_one("#response")  # type: ignore[return-value]

    @property
    def form(self) -> VariablesForm:
        return self.query_one("#variables")  # type: ignore[return-value]

    def on_mount(self) -> None:
        for selector, title in (
            ("#browser", "Collections  f2"),
            ("#editor-pane", "Call  f3"),
            ("#variables-pane", "Variables  f4"),
            ("#response-pane", "Response  f5"),
        ):
            self.query_one(selector).border_title = title
        self.query_one(CollectionBrowser).show(self.workspace)
        self._refresh_titles()
        self._apply_width(self.size.width)
        self.query_one("#browser-tree").focus()
        problems = len(self.workspace.problems)
        if problems:
            self.notify(
                f"{problems} file(s) could not be loaded; they are marked ⚠ in the browser",
                severity="warning",
                timeout=10,  # worth reading: longer than a routine notice
            )
        self.set_interval(2.0, self._check_files)

    def on_ready(self) -> None:
        # In a worker, not in this handler: the app keeps taking keys while panes mount.
        self.run_worker(self._mount_panes(), name="mount panes", exclusive=True)

    async def _mount_panes(self) -> None:
        """Import and mount the editor, response viewer and variables form."""
        from tui.core.session import Session

        from .editor import CallEditor
        from .response import ResponseViewer
        from .variables import VariablesForm

        await self.query_one("#editor-pane").mount(CallEditor(id="editor"))
        await self.query_one("#response-pane").mount(ResponseViewer(id="response"))
        await self.query_one("#variables-pane").mount(VariablesForm(id="variables"))
        self.editor.load(None)
        # The environment it opens with (remembered, else the default) is chosen in core.
        self._session = Session.for_workspace(self._workspace)
        self._refresh_all()
        if self.workspace.settings.serve_autostart and self.endpoint_set().endpoints:
            self.toggle_endpoint_server()
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self._open(pending)

    def on_resize(self) -> None:
        self._apply_width(self.size.width)

    def _apply_width(self, width: int) -> None:
        self.set_class(width < NARROW_WIDTH, "narrow")

    def _refresh_all(self) -> None:
        self.query_one(CollectionBrowser).show(self.workspace, self.current_ref)
        form = self.form
        form.set_environments(sorted(self.workspace.environments), self.session.environment)
        self._refresh_titles()
        self._refresh_variables()

    def _refresh_titles(self) -> None:
        self.title = f"callbench · {self.workspace.name}"
        env = (self.session.environment if self.ready else self._default_env()) or (
            "no environment"
        )
        parts = [f"env: {env}"]
        if self.current_ref:
            parts.append(self.current_ref + (" ● modified" if self.dirty else ""))
        self.sub_title = "  ·  ".join(parts)

    def _default_env(self) -> str | None:
        """The environment the session will open with, for the title until it is open."""
        from tui.core.preferences import initial_environment

        return initial_environment(self.workspace)

    def _refresh_variables(self) -> None:
        form = self.form
        call = self.edited
        editor = self.editor
        if call is None:
            form.show([], self.workspace.root, {})
            return
        rows = self.session.variables(call)
        if any(row.secret for row in rows):  # the keyring is not even loaded otherwise
            form.secret_target = self.session.secret_target()
            form.vault_locked = self.session.vault_locked
        form.show(rows, self.workspace.root, self.session.values_for(call.ref), call.ref)
        editor.show_resolved(self._resolved_url(call))

    def _resolved_url(self, call: Call) -> Text:
        """The URL as it would be sent, or what stops it, for the line under the URL."""
        try:
            url = self.session.preview_url(call)
        except CallbenchError as error:
            return Text(f"✗ {error}", style="red")
        return Text("→ ", style="dim") + Text(url, style="dim")

    @property
    def dirty(self) -> bool:
        if self.edited is None or self.current_ref is None:
            return False
        return self.workspace.calls.get(self.current_ref) != self.edited

    # -- selecting and editing -------------------------------------------------------------

    def on_collection_browser_call_selected(self, event: CollectionBrowser.CallSelected) -> None:
        node = event.node
        if not self.ready:
            self._pending = node  # opened as soon as the panes are mounted
            return
        if node.ref == self.current_ref:
            self.query_one("#url", Input).focus()
            return
        self._guard_unsaved(lambda: self._open(node))

    def _guard_unsaved(self, then: Callable[[], object], verb: str = "Switch") -> None:
        """Run ``then`` now, or after the user chose what to do with unsaved edits."""
        if not self.dirty:
            then()
            return

        def answered(choice: str | None) -> None:
            if choice == "save" and self._save():
                then()
            elif choice == "discard":
                self.edited = None
                then()

        self.push_screen(
            ChoiceScreen(
                f"{self.current_ref} has unsaved changes",
                [
                    (f"Save, then {verb.lower()}", "save"),
                    (f"Discard the changes and {verb.lower()}", "discard"),
                    ("Stay here", "stay"),
                ],
            ),
            answered,
        )

    def _open(self, node: Node) -> None:
        editor = self.editor
        if node.kind == "broken":
            problem = self.workspace.problems.get(node.path) if node.path else None
            self.current_ref = None
            self.edited = None
            editor.load(None)
            message = str(problem) if problem else "this file could not be loaded"
            self.viewer.show_message(
                f"⚠ {message}\nFix the file by hand; callbench never overwrites a broken file."
            )
            self._refresh_titles()
            self._refresh_variables()
            return
        call = self.workspace.calls.get(node.ref)
        if call is None:
            return
        self.current_ref = call.ref
        self.edited = dataclasses.replace(call)
        editor.load(self.edited)
        self.query_one(CollectionBrowser).select(call.ref)
        self._refresh_titles()
        self._refresh_variables()

    def on_call_editor_changed(self, event: CallEditor.Changed) -> None:
        self.edited = event.call
        self._refresh_titles()
        self._refresh_variables()

    def on_variables_form_value_changed(self, event: VariablesForm.ValueChanged) -> None:
        if self.current_ref is None:
            return
        self.session.set_value(self.current_ref, event.name, event.value)
        self._refresh_variables()

    def on_variables_form_environment_changed(
        self, event: VariablesForm.EnvironmentChanged
    ) -> None:
        self._set_environment(event.environment)

    def _set_environment(self, environment: str | None) -> None:
        """Switch environment, and remember the choice for the next start."""
        self.session.environment = environment or None
        self._remember_environment()
        self.form.set_environments(sorted(self.workspace.environments), self.session.environment)
        self._refresh_titles()
        self._refresh_variables()

    @work(thread=True, group="preferences", exit_on_error=False)
    def _remember_environment(self) -> None:
        """A small write in the user state folder (never the workspace), off the UI
        thread; the lock and the late read keep the last choice the one remembered."""
        from tui.core.preferences import remember_environment

        with self._preferences_lock:
            remember_environment(self.workspace.root, self.session.environment)

    # -- secrets ---------------------------------------------------------------------------

    def on_variables_form_keep_secret(self, event: VariablesForm.KeepSecret) -> None:
        """ctrl+k in a secret's field: keep the typed value in the keyring or the vault."""
        name, value, ref = event.name, event.value, self.current_ref
        if not value:
            self.notify(f"Type the value of {name} first: ctrl+k keeps it", severity="warning")
            return
        if self.session.secret_target():
            self._keep_secret_worker(ref, name, value, None)
            return
        # No secure keyring and no passphrase known: the vault's, for this session only.
        self._ask_vault_passphrase(
            lambda passphrase: self._keep_secret_worker(ref, name, value, passphrase),
            f"to keep {name}",
        )

    def _ask_vault_passphrase(self, then: Callable[[str], object], reason: str) -> None:
        """Ask for the vault passphrase, masked (twice for a new vault), then ``then``."""
        from tui.core.secrets import vault_path

        new = not vault_path().exists()
        title = (
            f"No secure keyring here: a passphrase for a new encrypted vault ({reason})"
            if new
            else f"The vault's passphrase ({reason})"
        )
        hint = "Kept in memory for this session only. Enter accepts, Escape cancels"

        def first(passphrase: str | None) -> None:
            if not passphrase:
                return
            if not new:
                then(passphrase)
                return

            def second(again: str | None) -> None:
                if again is None:
                    return
                if again != passphrase:
                    self.notify("The two passphrases differ: nothing stored", severity="error")
                    return
                then(passphrase)

            self.push_screen(
                PromptScreen("The same passphrase again", password=True, hint=hint), second
            )

        self.push_screen(
            PromptScreen(title, placeholder="passphrase", password=True, hint=hint), first
        )

    @work(thread=True, exclusive=True, group="secrets", exit_on_error=False)
    def _keep_secret_worker(
        self, ref: str | None, name: str, value: str, passphrase: str | None
    ) -> None:
        environment = self.session.environment
        try:
            where = self.session.store_secret(name, value, passphrase)
        except Exception as error:  # keyring backends raise their own kinds
            self.call_from_thread(
                self.notify, f"{name} not stored: {_one_line(error)}", severity="error", timeout=8
            )
            return
        self.call_from_thread(self._secret_kept, ref, name, where, environment)

    def _secret_kept(self, ref: str | None, name: str, where: str, environment: str | None) -> None:
        if ref is not None:
            self.session.set_value(ref, name, None)  # the stored value applies from now on
            if ref == self.current_ref:
                self.form.clear_secret(name)
        self._snapshot = None  # callbench.toml may have got its id: our own write
        self._refresh_variables()
        self.notify(f"Stored {name} in {where} for {environment or 'no environment'}")

    def _unlock_for_send(self, call: Call) -> bool:
        """A send stopped on a missing secret while the vault waits for its passphrase:
        ask for it (once a session, again after a wrong one), then send again."""
        if self._vault_asked or not self.session.vault_locked:
            return False
        if not any(row.secret and row.missing for row in self.session.variables(call)):
            return False
        self._vault_asked = True
        self._ask_vault_passphrase(
            lambda passphrase: self._unlock_worker(passphrase, resend=True), "a secret is missing"
        )
        return True

    def action_unlock_vault(self) -> None:
        if not self.ready:
            return
        from tui.core.secrets import vault_path

        if not vault_path().exists():
            self.notify("There is no vault yet: ctrl+k in a secret's field makes one")
            return
        self._ask_vault_passphrase(lambda p: self._unlock_worker(p, resend=False), "unlock")

    @work(thread=True, exclusive=True, group="secrets", exit_on_error=False)
    def _unlock_worker(self, passphrase: str, resend: bool) -> None:
        try:
            self.session.unlock_vault(passphrase)
        except Exception as error:
            self._vault_asked = False  # a wrong passphrase: the next send asks again
            self.call_from_thread(
                self.notify, f"Vault not opened: {_one_line(error)}", severity="error", timeout=8
            )
            return
        self.call_from_thread(self._vault_unlocked, resend)

    def _vault_unlocked(self, resend: bool) -> None:
        self.notify("The vault is open for this session")
        self._refresh_variables()
        if resend:
            self.action_send()

    # -- saving ----------------------------------------------------------------------------

    def action_save(self) -> None:
        accept = getattr(self.screen, "action_accept", None)
        if callable(accept):  # ctrl+s in a dialog accepts the dialog
            accept()
            return
        if self.edited is None:
            self.notify("Nothing to save: no call is open", severity="warning")
            return
        if self._save():
            self.notify(f"Saved {self.edited.ref}")

    def _save(self) -> bool:
        if self.edited is None:
            return False
        from tui.core.store import ConflictError, save_call

        try:
            save_call(self.workspace, dataclasses.replace(self.edited))
        except ConflictError as error:
            self.notify(str(error), severity="error", timeout=8)
            return False
        except (CallbenchError, OSError) as error:
            self.notify(f"Not saved: {error}", severity="error", timeout=8)
            return False
        self._snapshot = None  # our own write is not an outside change
        self.query_one(CollectionBrowser).show(self.workspace, self.current_ref)
        self._refresh_titles()
        return True

    # -- sending ---------------------------------------------------------------------------

    def on_call_editor_send_pressed(self) -> None:
        self.action_send()

    def action_send(self) -> None:
        call = self.edited
        if call is None:
            self.notify("Select a call to send", severity="warning")
            return
        try:
            prepared = self.session.prepare(call)
        except CallbenchError as error:
            self.viewer.show_message(f"✗ Not sent: {error}")
            self._unlock_for_send(call)  # a locked vault may hold the missing secret
            return
        label = f"{call.method} {prepared.request.url}"
        if call.use_as == "action":

            def confirmed(yes: bool | None) -> None:
                if yes:
                    self._send(call, label)

            self.push_screen(
                ConfirmScreen(
                    "This call is an action: it has side effects. Send it?", label, yes="Send"
                ),
                confirmed,
            )
            return
        self._send(call, label)

    def _send(self, call: Call, label: str) -> None:
        self.viewer.call_paths = dict(call.paths)
        self.viewer.call_type = call.data_type
        self.viewer.show_sending(label)
        self._send_worker(call)

    @work(exclusive=True, group="send", exit_on_error=False)
    async def _send_worker(self, call: Call) -> None:
        """Send; a stream shows its events as they arrive, until it ends or escape."""
        from .auth_prompt import ScreenInteraction

        viewer = self.viewer
        view = None
        try:
            if self.session.interaction is None:
                self.session.interaction = ScreenInteraction(self)
            async with await self.session.open_send(call) as stream:
                if stream.kind is None:
                    exchange = await stream.read_exchange()
                    self.session.apply_extracts(call, exchange)
                    viewer.show_exchange(exchange)
                    for note in self.session.persisted:
                        self.notify(note, severity="warning" if "not " in note else "information")
                else:
                    view = viewer.show_stream(stream.head())
                    view.start(stream.stats, keep=self.workspace.settings.stream_keep)
                    async for item in stream.events():
                        view.push(item)
                    ending = str(stream.error) if stream.error else "the stream ended"
                    view.finish(ending)
                    viewer.stream_ended(ending)
        except asyncio.CancelledError:
            if view is not None:
                view.finish("stopped: what arrived is kept")
                viewer.stream_ended("stopped")
            else:
                viewer.show_message("Cancelled.", error=False)
            raise
        except TransportError as error:
            viewer.show_message(f"✗ {error}")
            return
        except CallbenchError as error:
            viewer.show_message(f"✗ Not sent: {error}")
            return
        self._refresh_variables()

    def on_stream_view_save_requested(self) -> None:
        from .stream_view import StreamView

        view = self.query_one(StreamView)
        stem = (self.current_ref or "stream").replace("/", "-")

        def chosen(path_text: str | None) -> None:
            if not path_text:
                return
            path = Path(path_text).expanduser()
            try:
                count = view.save(path)
            except FileExistsError:
                self.notify(f"{path} exists; choose another name", severity="error")
                return
            except OSError as error:
                self.notify(f"Cannot write {path}: {error.strerror}", severity="error")
                return
            self.notify(f"Saved {count} events to {path}")

        self.push_screen(PromptScreen("Save the events (JSON Lines) to", f"{stem}.jsonl"), chosen)

    def action_cancel_send(self) -> None:
        workers = [w for w in self.workers if w.group == "send" and w.is_running]
        if workers:
            self.workers.cancel_group(self, "send")  # the worker says what was cancelled
        elif _typing(self.focused):
            self.query_one("#browser-tree").focus()

    # -- response actions ------------------------------------------------------------------

    def on_response_viewer_save_requested(self) -> None:
        viewer = self.viewer
        exchange = viewer.exchange
        if exchange is None:
            return
        stem = (self.current_ref or "response").replace("/", "-")
        suffix = ".json" if exchange.response.is_json else ".txt"
        if not exchange.response.is_json and not viewer.formatted and viewer.big is None:
            suffix = ".bin"

        def chosen(path_text: str | None) -> None:
            if not path_text:
                return
            path = Path(path_text).expanduser()
            if path.exists():
                self.notify(f"{path} exists; choose another name", severity="error")
                return
            data = viewer.body_to_save()
            try:
                path.write_bytes(data)
            except OSError as error:
                self.notify(f"Cannot write {path}: {error.strerror}", severity="error")
                return
            self.notify(f"Saved {len(data)} bytes to {path}")

        self.push_screen(PromptScreen("Save the body to", f"{stem}{suffix}"), chosen)

    def on_paths_pane_save_path(self, message: PathsPane.SavePath) -> None:
        from .paths_pane import PathsPane

        if self.edited is None:
            return

        def named(name: str | None) -> None:
            if not name or self.edited is None:
                return
            name = name.strip()
            paths = {**self.edited.paths, name: message.expression}
            self.edited = dataclasses.replace(self.edited, paths=paths)
            self.editor.call = self.edited
            self.viewer.call_paths = paths
            self.viewer.query_one(PathsPane).set_named(paths)
            self._refresh_titles()
            self.notify(f"Named path {name} = {message.expression}: ctrl+s saves it")

        self.push_screen(PromptScreen(f"Name for {message.expression}", placeholder="name"), named)

    def action_initialize(self) -> None:
        """Send the call once and store its response's data type in the call file."""
        call = self.edited
        if call is None or not self.ready:
            return
        if self.dirty:
            self.notify(
                "Save or discard your edits first: initialize saves the call", severity="warning"
            )
            return

        def go(yes: bool | None = True) -> None:
            if yes:
                self._initialize_worker(call)

        if call.use_as == "action":
            self.push_screen(
                ConfirmScreen(
                    "Initialize sends this action call for real. Send it?",
                    f"{call.method} {call.url}",
                    yes="Send",
                ),
                go,
            )
        else:
            go()

    @work(exclusive=True, group="send", exit_on_error=False)
    async def _initialize_worker(self, call: Call) -> None:
        self.viewer.show_sending(f"{call.method} (initialize)")
        try:
            exchange = await self.session.send(call)
        except CallbenchError as error:
            self.viewer.show_message(f"✗ {error}")
            return
        self.viewer.show_exchange(exchange)
        try:
            document = exchange.response.json
        except ValueError:
            self.notify("The response is not JSON: no data type to store", severity="error")
            return
        self._store_type(call, document)

    def action_manual_response(self) -> None:
        """A data type from a pasted sample, without sending anything."""
        from .dialogs import TextScreen

        call = self.edited
        if call is None or not self.ready:
            return
        if self.dirty:
            self.notify("Save or discard your edits first", severity="warning")
            return

        def pasted(text: str | None) -> None:
            if not text or not text.strip():
                return
            if text.strip().startswith("@"):
                try:
                    text = Path(text.strip()[1:]).expanduser().read_text(encoding="utf-8")
                except OSError as error:
                    self.notify(f"Cannot read {text.strip()[1:]}: {error}", severity="error")
                    return
            try:
                document = orjson.loads(text)
            except orjson.JSONDecodeError as error:
                self.notify(f"The sample is not JSON ({error}); nothing saved", severity="error")
                return
            self._store_type(call, document)

        self.push_screen(
            TextScreen(
                "A sample response (JSON) for the data type of " + call.ref,
                "paste JSON, or @path to load a file · ctrl+s accepts · escape cancels",
            ),
            pasted,
        )

    def _store_type(self, call: Call, document: Any) -> None:
        from tui.core.datatypes import DataType, merge
        from tui.core.store import save_call

        saved = self.workspace.calls.get(call.ref, call)
        updated = merge(saved.data_type or DataType(), document)
        try:
            save_call(self.workspace, dataclasses.replace(saved, data_type=updated))
        except CallbenchError as error:
            self.notify(f"Data type not saved: {error}", severity="error")
            return
        self.edited = dataclasses.replace(self.workspace.calls[call.ref])
        self.editor.call = self.edited
        self.viewer.call_type = updated
        self._snapshot = None
        self.notify(
            f"Saved the data type of {call.ref}: {len(updated.fields)} fields from "
            f"{updated.samples} sample(s)"
        )

    def action_save_sample(self) -> None:
        """Keep the last response as the call's [sample] (what mock endpoints answer)."""
        from tui.core.models import Sample

        exchange = self.viewer.exchange if self.ready else None
        if exchange is None or self.edited is None or exchange.call_ref != self.edited.ref:
            self.notify("Send the call first: its response becomes the sample", severity="warning")
            return
        response = exchange.response
        kind = response.header("content-type")
        self.edited = dataclasses.replace(
            self.edited,
            sample=Sample(response.status, {"Content-Type": kind} if kind else {}, response.text),
        )
        self.editor.call = self.edited
        self._refresh_titles()
        self.notify("The response is now this call's sample: ctrl+s saves it to the file")

    def action_copy_url(self) -> None:
        if self.edited is None:
            return
        try:
            url = str(self.session.prepare(self.edited).request.url)
        except CallbenchError:
            url = self.edited.url  # not resolvable yet: the URL as written
        self.copy_to_clipboard(url)
        self.notify(f"Copied {url}")

    def action_copy_curl(self) -> None:
        if self.edited is None:
            return
        from tui.core.curl import to_curl

        try:
            command = to_curl(self.session.prepare(self.edited))
        except CallbenchError as error:
            self.notify(f"Cannot build the request: {error}", severity="error")
            return
        self.copy_to_clipboard(command)
        self.notify("Copied the call as a curl command (secrets masked)")

    # -- workspace changes from the browser ------------------------------------------------

    def on_collection_browser_action_requested(
        self, event: CollectionBrowser.ActionRequested
    ) -> None:
        if not self.ready:
            return
        handler = getattr(self, f"_op_{event.action}", None)
        if handler is not None:
            handler(event.node)

    def _container_of(self, node: Node | None) -> str | None:
        if node is None:
            return next(iter(sorted(self.workspace.collections)), None)
        if node.kind in ("collection", "folder"):
            return node.ref
        return node.ref.rsplit("/", 1)[0] if "/" in node.ref else None

    def _run_op(self, op: Callable[[], object], success: str) -> object:
        """Run a workspace change; its result, or _FAILED after telling the user why."""
        try:
            result = op()
        except (CallbenchError, OSError) as error:
            self.notify(str(error), severity="error", timeout=8)
            return _FAILED
        if isinstance(result, Workspace):
            self.session.workspace = result
        self._snapshot = None
        self.notify(success)
        self.query_one(CollectionBrowser).show(self.workspace, self.current_ref)
        return result

    def _relocate(self, node: Node, op: Callable[[], Call], success: str) -> None:
        """Rename or move a call's file; the open call follows it."""
        if node.ref == self.current_ref and self.dirty:
            self.notify("Save or discard the changes first", severity="warning")
            return
        moved = self._run_op(op, success)
        if isinstance(moved, Call) and node.ref == self.current_ref:
            self._open(Node("call", moved.ref, moved.path))

    def _op_new_call(self, node: Node | None) -> None:
        from tui.core import workspace_ops as ops

        parent = self._container_of(node)
        if parent is None:
            self.notify("Create a collection first (C)", severity="warning")
            return

        def named(name: str | None) -> None:
            if not name:
                return
            made = self._run_op(
                lambda: ops.create_call(self.workspace, parent, name), f"Created {parent}/{name}"
            )
            if isinstance(made, Call):
                self._guard_unsaved(lambda: self._open(Node("call", made.ref, made.path)))

        self.push_screen(PromptScreen(f"New call in {parent}", placeholder="file name"), named)

    def _op_new_folder(self, node: Node | None) -> None:
        from tui.core import workspace_ops as ops

        parent = self._container_of(node)
        if parent is None:
            self.notify("Create a collection first (C)", severity="warning")
            return

        def named(name: str | None) -> None:
            if name:
                self._run_op(
                    lambda: ops.create_folder(self.workspace, parent, name),
                    f"Created {parent}/{name}/",
                )

        self.push_screen(PromptScreen(f"New folder in {parent}", placeholder="folder"), named)

    def _op_new_collection(self, node: Node | None) -> None:
        from tui.core import workspace_ops as ops

        def named(name: str | None) -> None:
            if name:
                self._run_op(
                    lambda: ops.create_collection(self.workspace, name),
                    f"Created collection {name}",
                )

        self.push_screen(PromptScreen("New collection", placeholder="folder name"), named)

    def _op_rename(self, node: Node | None) -> None:
        from tui.core import workspace_ops as ops

        if node is None or node.kind == "broken":
            return
        current = node.ref.rsplit("/", 1)[-1]

        def named(name: str | None) -> None:
            if not name or name == current:
                return
            if node.kind == "call":
                self._relocate(
                    node, lambda: ops.rename_call(self.workspace, node.ref, name), "Renamed"
                )
            else:
                if self.dirty:
                    self.notify("Save or discard the changes first", severity="warning")
                    return
                self._run_op(lambda: ops.rename_folder(self.workspace, node.ref, name), "Renamed")
                if self.current_ref and self.current_ref.startswith(node.ref + "/"):
                    self._close_call()

        self.push_screen(PromptScreen(f"Rename {node.ref}", current), named)

    def _close_call(self) -> None:
        self.current_ref = None
        self.edited = None
        self.editor.load(None)
        self._refresh_titles()
        self._refresh_variables()

    def _op_duplicate(self, node: Node | None) -> None:
        from tui.core import workspace_ops as ops

        if node is None or node.kind != "call":
            self.notify("Select a call to duplicate", severity="warning")
            return
        self._run_op(lambda: ops.duplicate_call(self.workspace, node.ref), "Duplicated")

    def _op_move(self, node: Node | None) -> None:
        from tui.core import workspace_ops as ops

        if node is None or node.kind != "call":
            self.notify("Select a call to move", severity="warning")
            return
        here = node.ref.rsplit("/", 1)[0]
        targets = sorted({*self.workspace.collections, *self.workspace.folders} - {here})

        def chosen(target: str | None) -> None:
            if target:
                self._relocate(
                    node,
                    lambda: ops.move_call(self.workspace, node.ref, target),
                    f"Moved to {target}",
                )

        self.push_screen(ChoiceScreen(f"Move {node.ref} to", [(t, t) for t in targets]), chosen)

    def _op_delete(self, node: Node | None) -> None:
        from tui.core import workspace_ops as ops

        if node is None or node.kind == "broken":
            return
        what = "call" if node.kind == "call" else node.kind

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            if node.kind == "call":
                self._run_op(
                    lambda: ops.delete_call(self.workspace, node.ref), f"Deleted {node.ref}"
                )
                if node.ref == self.current_ref:
                    self._close_call()
            else:
                self._run_op(
                    lambda: ops.delete_folder(self.workspace, node.ref), f"Deleted {node.ref}"
                )
                if self.current_ref and self.current_ref.startswith(node.ref + "/"):
                    self._close_call()

        detail = (
            "The file is removed from disk."
            if node.kind == "call"
            else ("The folder and every call in it are removed from disk.")
        )
        self.push_screen(ConfirmScreen(f"Delete {what} {node.ref}?", detail, "Delete"), confirmed)

    # -- files changed on disk -------------------------------------------------------------

    def _check_files(self) -> None:
        if self._watching and self.ready:
            self._scan_worker()

    @work(thread=True, exclusive=True, group="watch", exit_on_error=False)
    def _scan_worker(self) -> None:
        current = snapshot(self.workspace.root)
        if self._snapshot is None:
            self._snapshot = current
            return
        if current == self._snapshot:
            return
        self._snapshot = current
        fresh = load_workspace(self.workspace.root)
        self.call_from_thread(self._files_changed, fresh)

    def _files_changed(self, fresh: Workspace) -> None:
        ref = self.current_ref
        old_call = self.workspace.calls.get(ref) if ref else None
        new_call = fresh.calls.get(ref) if ref else None
        was_dirty = self.dirty
        self.session.workspace = fresh
        if ref is not None and old_call != new_call:
            if new_call is None:
                self.notify(f"{ref} was removed or broken on disk", severity="warning")
                if not was_dirty:
                    self._close_call()
            elif was_dirty:
                self._ask_reload(ref)
            else:
                self.edited = dataclasses.replace(new_call)
                self.editor.load(self.edited)
                self.notify(f"Reloaded {ref}: it changed on disk")
        self._refresh_all()

    def _ask_reload(self, ref: str) -> None:
        def answered(choice: str | None) -> None:
            if choice == "reload" and ref in self.workspace.calls:
                self.edited = dataclasses.replace(self.workspace.calls[ref])
                self.editor.load(self.edited)
                self._refresh_all()

        self.push_screen(
            ChoiceScreen(
                f"{ref} changed on disk, and you have unsaved edits",
                [
                    ("Reload from disk (lose my edits)", "reload"),
                    ("Keep my edits (saving will refuse until you reload)", "keep"),
                ],
            ),
            answered,
        )

    def action_reload(self) -> None:
        if not self.ready:
            return
        self._guard_unsaved(self._reload_now, "reload")

    def _reload_now(self) -> None:
        self.session.reload()
        if self.current_ref and self.current_ref in self.workspace.calls:
            self.edited = dataclasses.replace(self.workspace.calls[self.current_ref])
            self.editor.load(self.edited)
        elif self.current_ref:
            self._close_call()
        self._refresh_all()
        self.notify("Reloaded the workspace")

    # -- keys and commands -----------------------------------------------------------------

    def action_focus_pane(self, pane: str) -> None:
        targets = {
            "browser": "#browser-tree",
            "editor": "#url",
            "variables": "#environment",
            "response": "#response-tabs Tabs",
        }
        if pane != "browser" and not self.ready:
            return
        if pane == "browser":
            self.remove_class("hide-browser")
        if pane == "variables":
            self.add_class("show-variables")
        elif pane in ("browser", "editor", "response"):
            self.remove_class("show-variables")
        widget = self.query_one(targets[pane])
        widget.focus()

    def action_maximize_pane(self) -> None:
        """Give the focused pane the whole screen, or put it back."""
        if self.screen.maximized is not None:
            self.screen.minimize()
            return
        focused = self.focused
        for pane_id in ("browser", "editor-pane", "variables-pane", "response-pane"):
            pane = self.query_one(f"#{pane_id}")
            if focused is not None and (focused is pane or pane in focused.ancestors):
                self.screen.maximize(pane, container=False)
                return

    # -- incoming endpoints ------------------------------------------------------------------

    def action_endpoints(self) -> None:
        from .endpoints import EndpointsScreen

        if isinstance(self.screen, EndpointsScreen):
            self.pop_screen()
        else:
            self.push_screen(EndpointsScreen())

    def endpoint_set(self) -> EndpointSet:
        from tui.core.endpoints.loader import load_endpoints

        return load_endpoints(self.workspace.root)

    def endpoint_history(self) -> list[RunRecord]:
        """This workspace's runs: the history file's last ones, then this session's."""
        if self._endpoint_runs is None:
            from tui.core.endpoints.history import History, history_file

            self._endpoint_runs = History(history_file(self.workspace.root)).load(200)
        return self._endpoint_runs

    def toggle_endpoint_server(self) -> None:
        if self.endpoint_server is not None:
            server, self.endpoint_server = self.endpoint_server, None
            self.run_worker(lambda: server.stop(), thread=True, group="serve")
            self.notify("Stopped the endpoints server")
            self._endpoints_status()
            return
        self._start_endpoints()

    @work(thread=True, exclusive=True, group="serve", exit_on_error=False)
    def _start_endpoints(self) -> None:
        from tui.core.endpoints.server import serve_in_thread

        from .endpoints import RunArrived

        def arrived(record: RunRecord) -> None:
            self.post_message(RunArrived(record))  # thread-safe

        settings = self.workspace.settings
        try:
            server = serve_in_thread(
                self.workspace.root, settings.serve_host, settings.serve_port, on_run=arrived
            )
        except CallbenchError as error:
            self.call_from_thread(self.notify, f"Endpoints not served: {error}", severity="error")
            return
        self.call_from_thread(self._endpoints_started, server)

    def _endpoints_started(self, server: EndpointServer) -> None:
        self.endpoint_server = server
        count = len(server.endpoints.endpoints.endpoints)
        self.notify(f"Serving {count} endpoint(s) on {server.url} (f8: endpoints and runs)")
        self._endpoints_status()

    def _endpoints_status(self) -> None:
        from .endpoints import EndpointsScreen

        if isinstance(self.screen, EndpointsScreen):
            self.screen.show_status()

    def on_run_arrived(self, message: RunArrived) -> None:
        from .endpoints import EndpointsScreen

        self.endpoint_history().append(message.record)
        if isinstance(self.screen, EndpointsScreen):
            self.screen.add_run(message.record)

    def new_endpoint(self) -> None:
        from tui.core.endpoints.templates import TEMPLATES, create_endpoint

        def kind_chosen(kind: str | None) -> None:
            if not kind:
                return
            if kind == "mock":
                calls = sorted(self.workspace.calls)
                self.push_screen(
                    ChoiceScreen(
                        "Mock which call? (its [sample] is the answer)", [(c, c) for c in calls]
                    ),
                    lambda call: named_for(kind, call) if call else None,
                )
            else:
                named_for(kind, "")

        def named_for(kind: str, call: str) -> None:
            def named(name: str | None) -> None:
                if not name:
                    return
                try:
                    path = create_endpoint(self.workspace.root, kind, name, call)
                except CallbenchError as error:
                    self.notify(str(error), severity="error")
                    return
                self.notify(f"Created {path.relative_to(self.workspace.root)}: edit it to taste")
                from .endpoints import EndpointsScreen

                if isinstance(self.screen, EndpointsScreen):
                    self.screen.show_endpoints(self.endpoint_set())

            self.push_screen(PromptScreen(f"New {kind} endpoint", placeholder="file name"), named)

        self.push_screen(
            ChoiceScreen("New endpoint from a template", [(v, k) for k, v in TEMPLATES.items()]),
            kind_chosen,
        )

    def action_toggle_browser(self) -> None:
        self.toggle_class("hide-browser")

    def action_choose_environment(self) -> None:
        if not self.ready:
            return
        names = sorted(self.workspace.environments)
        choices = [("(none)", "")] + [(n, n) for n in names]

        def chosen(name: str | None) -> None:
            if name is None:
                return
            self._set_environment(name or None)

        self.push_screen(ChoiceScreen("Environment", choices), chosen)

    def action_help(self) -> None:
        if _typing(self.focused):
            return
        from .help import HelpScreen

        self.push_screen(HelpScreen(self))

    async def action_quit(self) -> None:
        def leave() -> None:
            self.exit(0)

        self._guard_unsaved(leave, "quit")

    async def on_unmount(self) -> None:
        if self.endpoint_server is not None:
            self.endpoint_server.stop()
        if self._session is not None:
            await self._session.aclose()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for title, help_text, action in COMMANDS:
            yield SystemCommand(title, help_text, lambda a=action: self.run_action(a))


COMMANDS: list[tuple[str, str, str]] = [
    ("Send the call", "ctrl+j", "send"),
    ("Save the call", "ctrl+s", "save"),
    ("Cancel the send", "escape", "cancel_send"),
    ("Copy the URL", "resolved, to the clipboard (OSC 52)", "copy_url"),
    ("Copy as curl", "the call as a curl command, secrets masked", "copy_curl"),
    ("Keep the response as the call's sample", "m in the response viewer", "save_sample"),
    ("Copy the response body", "y in the response viewer", "focus_pane('response')"),
    ("Choose the environment", "f6", "choose_environment"),
    ("Unlock the vault", "its passphrase, kept in memory for this session", "unlock_vault"),
    ("Reload the workspace from disk", "ctrl+r", "reload"),
    ("Show or hide the browser", "ctrl+b", "toggle_browser"),
    ("Incoming endpoints and their run history", "f8", "endpoints"),
    ("Maximize the focused pane", "f7 (again to restore)", "maximize_pane"),
    ("Focus the browser", "f2", "focus_pane('browser')"),
    ("Focus the editor", "f3", "focus_pane('editor')"),
    ("Focus the variables", "f4", "focus_pane('variables')"),
    ("Focus the response", "f5", "focus_pane('response')"),
    ("Help: all keys", "f1 or ?", "help"),
]


def run_app(root: Path) -> int:
    """Open the TUI on ``root``; the exit code for the command line."""
    try:
        app = CallbenchApp(root)
    except CallbenchError as error:
        print(f"callbench: {error}", file=sys.stderr)
        return 1
    result = app.run()
    return result if isinstance(result, int) else 0


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _typing(widget: Widget | None) -> bool:
    """Whether keys go to text entry (an Input, or a TextArea that is not read-only)."""
    if isinstance(widget, Input):
        return True
    return type(widget).__name__ == "TextArea" and not getattr(widget, "read_only", True)
