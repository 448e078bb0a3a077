"""The response viewer: status, time, size, and tabs Body, Tree, Headers, Raw, Request,
Timing.

Bodies are formatted in a worker thread (orjson for JSON). Up to ``TEXTAREA_LIMIT`` the
body is shown in a highlighted TextArea; above that in a Line-API TextView that draws
only what is on screen, so a 50 MB body never freezes the app.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import (
    ContentSwitcher,
    DataTable,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)
from textual.worker import get_current_worker

from tui.core.body_files import Formatted, LineFile, formatted_from_json, quick_pretty, spool
from tui.core.datatypes import DataType
from tui.core.exchange import Exchange, ResponseData
from tui.core.redact import redact_text

from .json_tree import JsonTree
from .paths_pane import PathsPane
from .process_pool import JobFailed, run_module
from .stream_view import StreamView
from .text_view import Lines, TextView

BIG_BODY = 1_000_000  # bytes: above this, the line view and a worker process
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def human_time(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def status_style(status: int) -> str:
    if status < 300:
        return "bold black on green"
    if status < 400:
        return "bold black on cyan"
    if status < 500:
        return "bold black on yellow"
    return "bold white on red"


class ResponseViewer(Vertical):
    BINDINGS = [
        Binding("y", "copy_body", "Copy body"),
        Binding("u", "app.copy_url", "Copy URL"),
        Binding("c", "app.copy_curl", "Copy as curl"),
        Binding("s", "save_body", "Save body"),
        Binding("p", "pager", "Pager"),
        Binding("m", "app.save_sample", "Keep as sample", show=False),
        Binding("i", "app.initialize", "Initialize type", show=False),
        Binding("M", "app.manual_response", "Type from a pasted sample", show=False),
    ]

    class SaveRequested(Message):
        """The user wants the body written to a file (the app asks where)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.exchange: Exchange | None = None
        self.formatted = ""  # the pretty text of a small body
        self.big: Formatted | None = None  # the formatted files of a big body
        self.note = ""
        self._tree_built = False
        self.call_paths: dict[str, str] = {}  # the call's named paths and data type,
        self.call_type: DataType | None = None  # set by the app before a response comes
        self._sending_since: float | None = None
        self._sending_label = ""

    def compose(self) -> ComposeResult:
        yield Static(
            "No response yet. Select a call and press ctrl+j to send.", id="response-status"
        )
        with TabbedContent(id="response-tabs"):
            with TabPane("Stream", id="tab-stream"):
                yield StreamView(id="stream-view")
            with (
                TabPane("Body", id="tab-body-view"),
                ContentSwitcher(initial="body-small", id="body-views"),
            ):
                yield TextArea("", read_only=True, soft_wrap=False, id="body-small")
                yield TextView(id="body-large")
                yield Static("", id="body-binary")
            with TabPane("Tree", id="tab-tree"):
                yield JsonTree(id="json-tree")
            with TabPane("Paths", id="tab-paths"):
                yield PathsPane(id="paths-pane")
            with TabPane("Headers", id="tab-headers-view"):
                yield DataTable(id="headers-table", cursor_type="row", zebra_stripes=True)
            with TabPane("Raw", id="tab-raw"):
                yield TextView(id="raw-view")
            with TabPane("Request", id="tab-request"):
                yield TextView(id="request-view")
            with TabPane("Timing", id="tab-timing"), VerticalScroll():
                yield Static("", id="timing-view")

    def on_mount(self) -> None:
        self.query_one("#response-tabs", TabbedContent).active = "tab-body-view"
        table = self.query_one("#headers-table", DataTable)
        table.add_columns("name", "value")
        self.set_interval(0.1, self._tick)

    # -- state down -------------------------------------------------------------------

    def show_sending(self, label: str) -> None:
        self._sending_since = time.perf_counter()
        self._sending_label = label
        self._tick()

    def _tick(self) -> None:
        if self._sending_since is None:
            return
        elapsed = time.perf_counter() - self._sending_since
        frame = SPINNER[int(elapsed * 10) % len(SPINNER)]
        self._status(
            Text(f"{frame} Sending {self._sending_label}  {elapsed:.1f} s", style="bold")
            + Text("   esc cancels", style="dim")
        )

    def show_message(self, message: str, *, error: bool = True) -> None:
        self._sending_since = None
        style = "bold red" if error else "dim"
        self._status(Text(message, style=style))

    def _status(self, text: Text) -> None:
        self.query_one("#response-status", Static).update(text)

    def show_exchange(self, exchange: Exchange) -> None:
        self._sending_since = None
        self.exchange = exchange
        self.big = None
        self.note = ""
        self._status(self._status_line(exchange))
        self._fill_headers(exchange.response)
        self._fill_timing(exchange)
        self.query_one("#request-view", TextView).set_text(_request_text(exchange))
        self.query_one("#body-binary", Static).update("")
        tabs = self.query_one("#response-tabs", TabbedContent)
        if tabs.active == "tab-stream":
            tabs.active = "tab-body-view"
        self._format(exchange)

    def show_stream(self, head: Exchange) -> StreamView:
        """A stream started: status and headers now, its events in the Stream tab."""
        self._sending_since = None
        self.exchange = head
        self.big = None
        self.note = "streaming"
        self._status(self._status_line(head))
        self._fill_headers(head.response)
        self._fill_timing(head)
        self.query_one("#request-view", TextView).set_text(_request_text(head))
        self.query_one("#body-small", TextArea).load_text("(a stream: see the Stream tab)")
        self.query_one("#body-views", ContentSwitcher).current = "body-small"
        self.query_one("#response-tabs", TabbedContent).active = "tab-stream"
        return self.query_one(StreamView)

    def stream_ended(self, note: str) -> None:
        self.note = note
        if self.exchange is not None:
            self._status(self._status_line(self.exchange))

    def _status_line(self, exchange: Exchange) -> Text:
        response = exchange.response
        status = Text()
        status.append(f" {response.status} {response.reason} ", style=status_style(response.status))
        status.append(f"  {human_time(exchange.timing.total)}", style="bold")
        status.append(f"  {human_size(response.size)}", style="bold")
        if response.content_type:
            status.append(f"  {response.content_type}", style="dim")
        if exchange.redirects:
            status.append(f"  {len(exchange.redirects)} redirect(s)", style="dim")
        if self.note:
            status.append(f"  {self.note}", style="italic dim")
        return status

    def _fill_headers(self, response: ResponseData) -> None:
        table = self.query_one("#headers-table", DataTable)
        table.clear()
        for name, value in response.headers:
            table.add_row(Text(name, style="bold"), Text(value))

    def _fill_timing(self, exchange: Exchange) -> None:
        timing = exchange.timing
        table = Table(box=None, show_header=False, padding=(0, 2))
        table.add_column("phase", style="bold")
        table.add_column("time", justify="right")
        table.add_column("bar")
        total = max(timing.total, 1e-9)
        for label, value in (
            ("connect", timing.connect),
            ("TLS", timing.tls),
            ("send", timing.send),
            ("wait (server)", timing.wait),
            ("download", timing.download),
        ):
            if value is None:
                table.add_row(label, "—", "")
                continue
            bar = "█" * max(1, round(40 * value / total))
            table.add_row(label, human_time(value), Text(bar, style="cyan"))
        table.add_row("first byte", human_time(timing.ttfb), "")
        table.add_row("total", human_time(timing.total), "")
        self.query_one("#timing-view", Static).update(table)

    def _format(self, exchange: Exchange) -> None:
        self._tree_built = False
        if exchange.response.size > BIG_BODY:
            self._preview_big(exchange)
            self._format_big(exchange)
        else:
            self._format_small(exchange)

    # -- small bodies: formatted in a thread, shown in a highlighted TextArea ------------

    @work(thread=True, exclusive=True, group="format")
    def _format_small(self, exchange: Exchange) -> None:
        response = exchange.response
        worker = get_current_worker()
        document: Any = None
        text: str | None = None
        is_json = False
        if response.is_json or response.content_type == "":
            try:  # parsed once: the pretty text and the tree come from one document
                document = orjson.loads(response.body)
                text = orjson.dumps(document, option=orjson.OPT_INDENT_2).decode()
                is_json = True
            except orjson.JSONDecodeError:
                document = None
        if text is None and response.is_text:
            text = response.text
        raw = Lines(_raw_text(exchange))
        if worker.is_cancelled:
            return
        self.app.call_from_thread(self._show_small, exchange, text, is_json, document, raw)

    def _show_small(
        self, exchange: Exchange, text: str | None, is_json: bool, document: Any, raw: Lines
    ) -> None:
        if exchange is not self.exchange:
            return
        self.formatted = text or ""
        switcher = self.query_one("#body-views", ContentSwitcher)
        if text is None:
            self._show_binary(exchange.response)
        else:
            area = self.query_one("#body-small", TextArea)
            area.language = "json" if is_json else None
            area.load_text(text)
            switcher.current = "body-small"
        self._show_tree(document)
        self.query_one("#raw-view", TextView).set_lines(raw)
        self.query_one(PathsPane).show(exchange, document, self.call_paths, self.call_type)

    def _show_binary(self, response: ResponseData) -> None:
        self.query_one("#body-binary", Static).update(
            Text(
                f"Binary body: {human_size(response.size)} of "
                f"{response.content_type or 'unknown type'}.\n"
                "s saves it to a file, p opens it in $PAGER.",
                style="dim",
            )
        )
        self.query_one("#body-views", ContentSwitcher).current = "body-binary"

    def _show_tree(self, document: Any) -> None:
        tree = self.query_one("#json-tree", JsonTree)
        if document is not None:
            tree.show(document)
        else:
            tree.clear()
            tree.root.set_label(Text("(not JSON)", style="dim"))
        self._tree_built = True

    # -- big bodies: a preview now, the whole body formatted in another process -----------

    def _preview_big(self, exchange: Exchange) -> None:
        """The first screen at once: the head of the body, indented here in milliseconds."""
        response = exchange.response
        self.formatted = ""
        if not response.is_text and not response.is_json:
            self._show_binary(response)
            return
        head = quick_pretty(response.body) if response.is_json else None
        is_json = head is not None
        if head is None:
            head = response.body[:65_536].decode(response.encoding, errors="replace").splitlines()
        self.query_one("#body-large", TextView).set_lines(Lines(lines=head), highlight_json=is_json)
        self.query_one("#body-views", ContentSwitcher).current = "body-large"
        self.query_one("#raw-view", TextView).set_lines(Lines("(formatting the raw view…)"))
        tree = self.query_one("#json-tree", JsonTree)
        tree.clear()
        tree.root.set_label(
            Text(f"{human_size(response.size)}: the tree is built when this tab opens", "dim")
        )
        self._set_note(f"formatting {human_size(response.size)}…")

    @work(exclusive=True, group="format", exit_on_error=False)
    async def _format_big(self, exchange: Exchange) -> None:
        body = exchange.response.body
        path = await asyncio.to_thread(spool, body)
        try:
            result = await run_module("tui.core.body_files", str(path))
        except JobFailed as error:
            self._set_note(f"could not format the body: {error}")
            return
        formatted = formatted_from_json(result)
        pretty = await asyncio.to_thread(LineFile, formatted.pretty)
        raw = await asyncio.to_thread(LineFile, formatted.raw)
        if exchange is not self.exchange:
            return
        self.big = formatted
        if exchange.response.is_text or formatted.is_json:
            self.query_one("#body-large", TextView).set_lines(
                pretty, highlight_json=formatted.is_json, keep_position=True
            )
        self.query_one("#raw-view", TextView).set_lines(raw)
        self._set_note(f"{len(pretty):,} lines")
        self.query_one(PathsPane).show(
            exchange, None, self.call_paths, None, body_file=formatted.raw.path
        )

    @on(TabbedContent.TabActivated, "#response-tabs")
    def _tab(self, event: TabbedContent.TabActivated) -> None:
        event.stop()
        if event.pane.id == "tab-tree" and not self._tree_built and self.exchange is not None:
            self._tree_built = True
            self._parse_tree(self.exchange)

    @work(exclusive=True, group="tree", exit_on_error=False)
    async def _parse_tree(self, exchange: Exchange) -> None:
        tree = self.query_one("#json-tree", JsonTree)
        tree.root.set_label(Text("parsing…", style="dim"))
        try:
            document = await asyncio.to_thread(orjson.loads, exchange.response.body)
        except orjson.JSONDecodeError:
            document = None
        if exchange is self.exchange:
            self._show_tree(document)

    def _set_note(self, note: str) -> None:
        self.note = note
        if self.exchange is not None:
            self._status(self._status_line(self.exchange))

    # -- actions ----------------------------------------------------------------------

    def body_to_save(self) -> bytes:
        """What "save body" writes: the pretty text when there is one, else the bytes."""
        if self.exchange is None:
            return b""
        if self.big is not None and self.big.is_json:
            return Path(self.big.pretty.path).read_bytes()
        if self.formatted:
            return self.formatted.encode()
        return self.exchange.response.body

    def action_copy_body(self) -> None:
        if self.exchange is None:
            return
        if self.exchange.response.size > BIG_BODY:
            self.notify(
                f"The body is {human_size(self.exchange.response.size)}: too big for the "
                "clipboard. s saves it to a file.",
                severity="warning",
            )
            return
        self.app.copy_to_clipboard(self.formatted or self.exchange.response.text)
        self.notify("Body copied to the clipboard")

    def action_save_body(self) -> None:
        if self.exchange is not None:
            self.post_message(self.SaveRequested())

    def action_pager(self) -> None:
        if self.exchange is None:
            return
        pager = os.environ.get("PAGER") or "less -R"
        with tempfile.NamedTemporaryFile(delete=False, suffix=".txt") as handle:
            handle.write(self.body_to_save())
            path = Path(handle.name)
        try:
            try:
                with self.app.suspend():
                    subprocess.call([*shlex.split(pager), str(path)])
            except Exception:
                subprocess.call([*shlex.split(pager), str(path)])
        finally:
            path.unlink(missing_ok=True)


def _raw_text(exchange: Exchange) -> str:
    response = exchange.response
    body = response.text if response.is_text else f"<{response.size} bytes of binary data>"
    return response.head_text(exchange.secrets) + redact_text(body, exchange.secrets)


def _request_text(exchange: Exchange) -> str:
    request = exchange.request
    lines = [f"{request.method} {request.url}"]
    lines += [f"{k}: {v}" for k, v in request.headers]
    text = "\n".join(lines)
    if request.body:
        text += "\n\n" + request.body.decode("utf-8", errors="replace")
    if exchange.redirects:
        text += "\n\nRedirects:\n" + "\n".join(f"  {s} {u}" for s, u in exchange.redirects)
    return redact_text(text, exchange.secrets)
