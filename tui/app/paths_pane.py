"""The Paths tab: a JSONPath bar with a live result, named paths, recommended paths, and
the response checked against the call's stored data type.

Evaluation runs in a worker, debounced; a newer keystroke cancels the older evaluation.
Bodies over a megabyte are evaluated in a child process so the UI keeps answering keys.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static

from tui.core.datatypes import DataType, Drift, check, flatten
from tui.core.errors import PathError
from tui.core.exchange import Exchange
from tui.core.path_eval import evaluate
from tui.core.recommend import recommend
from tui.core.selector import compile_path, select_json

from .process_pool import JobFailed, QueryProcess
from .text_view import Lines, TextView

DEBOUNCE_SECONDS = 0.15
BIG_BODY = 1_000_000


def _short(value: Any, width: int = 60) -> str:
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    return text if len(text) <= width else text[: width - 1] + "…"


class PathsPane(Vertical):
    BINDINGS = [
        Binding("f9", "save_path", "Save as named path"),
        Binding("y", "copy_value", "Copy value", show=False),
    ]

    class SavePath(Message):
        """Save ``expression`` as a named path of the call (the app asks for the name)."""

        def __init__(self, expression: str) -> None:
            super().__init__()
            self.expression = expression

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.exchange: Exchange | None = None
        self.document: Any = None
        self.body_file: str | None = None
        self.named: dict[str, str] = {}
        self.result: Any = None
        self._debounce: Timer | None = None
        self._queries: QueryProcess | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="path-line"):
            yield Input(
                placeholder="JSONPath: $.items[*].id · header:Name · status   (f9 saves it)",
                id="path-input",
                compact=True,
            )
        yield Static("", id="path-status")
        yield TextView(id="path-result", highlight_json=True)
        with Horizontal(id="path-tables"):
            yield DataTable(id="named-paths", cursor_type="row", zebra_stripes=True)
            yield DataTable(id="recommended-paths", cursor_type="row", zebra_stripes=True)
        yield Static("", id="type-drift")

    def on_mount(self) -> None:
        named = self.query_one("#named-paths", DataTable)
        named.add_columns("named path", "value")
        named.border_title = "Named paths"
        recommended = self.query_one("#recommended-paths", DataTable)
        recommended.add_columns("recommended", "type", "example")

    # -- state down ---------------------------------------------------------------------

    def show(
        self,
        exchange: Exchange,
        document: Any,
        named: dict[str, str],
        data_type: DataType | None,
        body_file: str | None = None,
    ) -> None:
        """A new response: re-run the path bar, named paths, recommendations, drift."""
        self.exchange = exchange
        self.document = document
        self.body_file = body_file
        if self._queries is not None:
            self._queries.close()
            self._queries = None
        if body_file is not None and exchange.response.is_json:
            # Parse the big body in a child now, so the first path is answered at once.
            self._queries = QueryProcess(body_file)
            self.run_worker(self._queries.start(), group="path-start")
        self.named = dict(named)
        if document is not None:
            suggestions = ["$" + ("" if p.startswith("[") else ".") + p for p in flatten(document)]
            self.query_one("#path-input", Input).suggester = SuggestFromList(
                sorted(set(suggestions) - {"$.$"}), case_sensitive=False
            )
        self._fill_named()
        self._fill_recommended()
        self._show_drift(check(data_type, document) if data_type and document is not None else [])
        self._evaluate(self.query_one("#path-input", Input).value)

    def set_named(self, named: dict[str, str]) -> None:
        self.named = dict(named)
        self._fill_named()

    def _fill_named(self) -> None:
        table = self.query_one("#named-paths", DataTable)
        table.clear()
        for name, expression in self.named.items():
            table.add_row(Text(name, style="bold"), self._value_text(expression), key=name)

    def _value_text(self, expression: str) -> Text:
        if self.document is None:
            return Text("—", style="dim")
        try:
            selection = select_json(compile_path(expression), self.document)
        except PathError as error:
            return Text(str(error), style="red")
        if not selection.values:
            return Text("no match", style="dim")
        return Text(_short(selection.value))

    def _fill_recommended(self) -> None:
        table = self.query_one("#recommended-paths", DataTable)
        table.clear()
        if self.document is None:
            return
        for item in recommend(self.document):
            table.add_row(item.path, item.kind, _short(item.example, 30), key=item.path)

    def _show_drift(self, drift: list[Drift]) -> None:
        widget = self.query_one("#type-drift", Static)
        if not drift:
            widget.update("")
            return
        text = Text(
            f"The response differs from the stored data type ({len(drift)}):\n", style="bold yellow"
        )
        for item in drift[:30]:
            text.append(f"  {item}\n", style="yellow")
        widget.update(text)

    # -- the path bar -------------------------------------------------------------------

    @on(Input.Changed, "#path-input")
    def _typed(self, event: Input.Changed) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(DEBOUNCE_SECONDS, lambda: self._evaluate(event.value))

    @on(Input.Submitted, "#path-input")
    def _submitted(self, event: Input.Submitted) -> None:
        self._evaluate(event.value)

    @work(exclusive=True, group="path", exit_on_error=False)
    async def _evaluate(self, expression: str) -> None:
        status = self.query_one("#path-status", Static)
        view = self.query_one("#path-result", TextView)
        expression = expression.strip()
        if not expression or self.exchange is None:
            status.update(Text("Type a JSONPath to see what it finds.", style="dim"))
            view.set_text("")
            self.result = None
            return
        if expression == "status" or expression.lower().startswith("header:"):
            from tui.core.selector import select

            selection = select(expression, self.exchange.response)
            values, is_list = selection.values, selection.is_list
        else:
            try:
                compile_path(expression)
            except PathError as error:
                status.update(Text(f"✗ {error}", style="red"))
                return
            outcome = await self._run(expression)
            if "error" in outcome:
                status.update(Text(f"✗ {outcome['error']}", style="red"))
                return
            values, is_list = outcome["values"], outcome["is_list"]
        self.result = values if is_list or len(values) != 1 else values[0]
        count = len(values)
        summary = Text(f"{count} match{'es' if count != 1 else ''}", style="bold green")
        summary.append("  · a list" if is_list else "  · one value", style="dim")
        status.update(summary)
        pretty = orjson.dumps(self.result, option=orjson.OPT_INDENT_2).decode()
        view.set_lines(await asyncio.to_thread(Lines, pretty), highlight_json=True)

    async def _run(self, expression: str) -> dict[str, Any]:
        exchange = self.exchange
        assert exchange is not None
        if exchange.response.size <= BIG_BODY or self.body_file is None:
            if self.document is not None:
                try:
                    selection = select_json(compile_path(expression), self.document)
                except PathError as error:
                    return {"error": str(error)}
                return {"values": selection.values, "is_list": selection.is_list}
            return await asyncio.to_thread(evaluate, exchange.response.body, expression)
        if self._queries is None:
            self._queries = QueryProcess(self.body_file)
        try:
            return await self._queries.query(expression)
        except (JobFailed, OSError) as error:
            self._queries.close()
            self._queries = None
            return {"error": str(error)}

    async def on_unmount(self) -> None:
        if self._queries is not None:
            await self._queries.aclose()

    # -- actions ------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#recommended-paths")
    def _use_recommended(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.query_one("#path-input", Input).value = str(event.row_key.value)

    @on(DataTable.RowSelected, "#named-paths")
    def _use_named(self, event: DataTable.RowSelected) -> None:
        name = event.row_key.value
        if name in self.named:
            self.query_one("#path-input", Input).value = self.named[name]

    def action_save_path(self) -> None:
        expression = self.query_one("#path-input", Input).value.strip()
        if not expression:
            self.notify("Type a path first", severity="warning")
            return
        try:
            if expression != "status" and not expression.lower().startswith("header:"):
                compile_path(expression)
        except PathError as error:
            self.notify(str(error), severity="error")
            return
        self.post_message(self.SavePath(expression))

    def action_copy_value(self) -> None:
        if self.result is None:
            return
        text = self.result if isinstance(self.result, str) else orjson.dumps(self.result).decode()
        self.app.copy_to_clipboard(text)
        self.notify("Copied the value")
