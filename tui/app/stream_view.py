"""The stream view: events as they arrive, filtered, projected, joined.

Events are handed in one by one (``push`` only appends to a list); a timer takes them in
every 50 ms, so the view is redrawn twenty times a second however fast events come. The
event list is a Line-API view that draws only the visible rows; the last ``keep`` events
are kept and every event is counted.
"""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path
from typing import Any

import orjson
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import ContentSwitcher, Input, Label, Static, Switch

from tui.core.errors import PathError
from tui.core.selector import compile_path, select_json
from tui.core.sse import Event
from tui.core.streaming import DEFAULT_KEEP, Reconnect, StreamStats, write_events

from .text_view import Lines, TextView

FLUSH_SECONDS = 0.05
STATUS_SECONDS = 0.25  # counters and the selected event's detail: 4 times a second
_CURSOR = Style(reverse=True)
_DIM = Style(dim=True)
_TYPE = Style(color="cyan", bold=True)
_RECONNECT = Style(color="yellow", bold=True)


def preview(event: Event | Reconnect) -> tuple[str, str, str, str]:
    """Offset, type, id and a one-line preview of the data."""
    if isinstance(event, Reconnect):
        return (f"+{event.offset:.3f}s", "reconnect", "", f"#{event.attempt}: {event.reason}")
    data = event.data.replace("\n", "⏎")
    return (f"+{event.offset:.3f}s", event.event, event.id, data[:400])


class EventList(ScrollView, can_focus=True):
    """Rows of events with a cursor; follows the newest while ``follow`` is on."""

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "cursor(-20)", "Page up", show=False),
        Binding("pagedown", "cursor(20)", "Page down", show=False),
        Binding("home,g", "cursor_to(0)", "First", show=False),
        Binding("end,G", "cursor_to(-1)", "Last", show=False),
    ]

    class Selected(Message):
        def __init__(self, item: Event | Reconnect) -> None:
            super().__init__()
            self.item = item

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: deque[Event | Reconnect] = deque(maxlen=DEFAULT_KEEP)
        self.cursor = -1
        self.follow = True

    def reset(self, keep: int) -> None:
        self.rows = deque(maxlen=keep)
        self.cursor = -1
        self.virtual_size = Size(0, 0)
        self.refresh()

    def extend(self, items: list[Event | Reconnect]) -> None:
        before = len(self.rows)
        self.rows.extend(items)
        shifted = before + len(items) - len(self.rows)  # rows pushed out at the top
        self.cursor = max(self.cursor - shifted, -1)
        self.virtual_size = Size(self.size.width, len(self.rows))
        if self.follow and self.rows:
            self._move(len(self.rows) - 1)
        self.refresh()

    def replace(self, items: list[Event | Reconnect]) -> None:
        self.rows = deque(items, maxlen=self.rows.maxlen)
        self.cursor = min(self.cursor, len(self.rows) - 1)
        self.virtual_size = Size(self.size.width, len(self.rows))
        if self.follow and self.rows:
            self._move(len(self.rows) - 1)
        self.refresh()

    def _move(self, row: int) -> None:
        if not self.rows:
            return
        row = max(0, min(row, len(self.rows) - 1))
        changed = row != self.cursor
        self.cursor = row
        self.scroll_to_region_row(row)
        if changed:
            self.post_message(self.Selected(self.rows[row]))
        self.refresh()

    def scroll_to_region_row(self, row: int) -> None:
        top = self.scroll_offset.y
        height = max(self.scrollable_content_region.height, 1)
        if row < top:
            self.scroll_to(y=row, animate=False)
        elif row >= top + height:
            self.scroll_to(y=row - height + 1, animate=False)

    def action_cursor(self, delta: int) -> None:
        target = self.cursor + delta
        self.follow = target >= len(self.rows) - 1
        self._move(target)

    def action_cursor_to(self, row: int) -> None:
        self.follow = row == -1
        self._move(len(self.rows) - 1 if row == -1 else row)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = self.scroll_offset.y + y
        if index >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        offset, kind, event_id, data = preview(self.rows[index])
        style = _RECONNECT if kind == "reconnect" else _TYPE
        segments = [
            Segment(f"{offset:>9} ", _DIM),
            Segment(f"{kind[:10]:<10} ", style),
            Segment(f"{event_id[:6]:<6} ", _DIM),
            Segment(data),
        ]
        strip = Strip(segments).crop(0, width).extend_cell_length(width)
        if index == self.cursor:
            strip = strip.apply_style(_CURSOR)
        return strip.apply_style(self.rich_style)


class StreamView(Vertical):
    BINDINGS = [
        Binding("f", "toggle_follow", "Follow on/off"),
        Binding("w", "save_events", "Save JSONL"),
    ]

    class SaveRequested(Message):
        """The user wants the kept events written to a JSON Lines file."""

    def __init__(self, *, id: str | None = None, keep: int = DEFAULT_KEEP) -> None:
        super().__init__(id=id)
        self.keep = keep
        self.events: deque[Event | Reconnect] = deque(maxlen=keep)
        self.pending: list[Event | Reconnect] = []
        self.stats: StreamStats | None = None
        self.state = "idle"
        self.ending = ""
        self.type_filter = ""
        self.text_filter = ""
        self.path_text = ""
        self._path: Any = None
        self._joined: list[str] = []
        self._timer: Any = None
        self._frozen: tuple[StreamStats, float] | None = None
        self._selection: Event | Reconnect | None = None
        self._status_at = 0.0

    def compose(self) -> ComposeResult:
        yield Static("", id="stream-counters")
        with Horizontal(id="stream-filters"):
            yield Input(placeholder="event type", id="stream-type", compact=True)
            yield Input(placeholder="text filter", id="stream-text", compact=True)
            yield Input(
                placeholder="JSONPath per event: $.choices[0].delta.content",
                id="stream-path",
                compact=True,
            )
            yield Switch(id="stream-join")
            yield Label(" join", id="stream-join-label")
        yield EventList(id="event-list")
        with ContentSwitcher(initial="stream-detail", id="stream-lower"):
            yield TextView(id="stream-detail", highlight_json=True)
            yield TextView(id="stream-joined")

    def on_mount(self) -> None:
        self._timer = self.set_interval(FLUSH_SECONDS, self.flush, pause=True)

    # -- the stream, from the sending worker -----------------------------------------

    def start(self, stats: StreamStats, keep: int | None = None) -> None:
        self.keep = keep or self.keep
        self.events = deque(maxlen=self.keep)
        self.pending = []
        self.stats = stats
        self.state = "live"
        self.ending = ""
        self._joined = []
        self.query_one(EventList).reset(self.keep)
        self.query_one("#stream-detail", TextView).set_text("")
        self.query_one("#stream-joined", TextView).set_text("")
        if self._timer is not None:
            self._timer.resume()
        self._counters()

    def push(self, item: Event | Reconnect) -> None:
        self.pending.append(item)

    def finish(self, ending: str) -> None:
        self.state = "ended"
        self.ending = ending
        self.flush()
        if self._timer is not None:
            self._timer.pause()

    def flush(self) -> None:
        """Take in what arrived since the last tick: one redraw for many events.

        The list is redrawn at each tick; the counters and the detail of the selected
        event only every STATUS_SECONDS, so a fast stream leaves the CPU to the reading.
        """
        if self.pending:
            batch, self.pending = self.pending, []
            self.events.extend(batch)
            shown = [item for item in batch if self._matches(item)]
            if shown:
                self.query_one(EventList).extend(shown)
                if self._path is not None:
                    self._joined.extend(self._project_text(item) for item in shown)
                    if self.query_one("#stream-join", Switch).value:
                        self._show_joined()
        now = time.perf_counter()
        if self.state != "live" or now - self._status_at >= STATUS_SECONDS:
            self._status_at = now
            self._counters()
            self._show_selection()

    def _counters(self) -> None:
        stats = self.stats
        if stats is None:
            self.query_one("#stream-counters", Static).update(Text("No stream yet.", style="dim"))
            return
        marker = {"live": ("● live", "bold green"), "ended": ("■ ended", "bold yellow")}
        label, style = marker.get(self.state, ("", ""))
        text = Text(label, style=style)
        elapsed = stats.elapsed if self.state == "live" else self._ended_elapsed(stats)
        rate = stats.events / elapsed if elapsed > 0 else 0.0
        text.append(
            f"  {stats.events:,} events · {rate:,.0f}/s · {stats.bytes / 1024:,.1f} KB · "
            f"{elapsed:.1f} s · {stats.reconnects} reconnect(s)"
        )
        if len(self.events) < stats.events:
            text.append(f" · last {len(self.events):,} kept", style="dim")
        text.append(f"   follow {'on' if self.query_one(EventList).follow else 'off'}", "dim")
        if self.ending:
            text.append(f"   {self.ending}", style="italic")
        self.query_one("#stream-counters", Static).update(text)

    def _ended_elapsed(self, stats: StreamStats) -> float:
        """The elapsed time at the end, frozen: the clock stops with the stream."""
        if self._frozen is None or self._frozen[0] is not stats:
            self._frozen = (stats, stats.elapsed)
        return self._frozen[1]

    # -- filters, projection, join ------------------------------------------------------

    def _matches(self, item: Event | Reconnect) -> bool:
        if isinstance(item, Reconnect):
            return True
        if self.type_filter and self.type_filter.lower() not in item.event.lower():
            return False
        return not self.text_filter or self.text_filter.lower() in item.data.lower()

    def _project(self, item: Event | Reconnect) -> Any:
        if isinstance(item, Reconnect) or self._path is None:
            return None
        try:
            selection = select_json(self._path, orjson.loads(item.data))
        except orjson.JSONDecodeError:
            return None
        return selection.value if selection.values else None

    def _project_text(self, item: Event | Reconnect) -> str:
        value = self._project(item)
        if value is None:
            return ""
        return value if isinstance(value, str) else orjson.dumps(value).decode()

    def _refilter(self) -> None:
        shown = [item for item in self.events if self._matches(item)]
        self.query_one(EventList).replace(shown)
        self._joined = [self._project_text(item) for item in shown] if self._path else []
        self._show_joined()

    def _show_joined(self) -> None:
        view = self.query_one("#stream-joined", TextView)
        view.set_lines(Lines("".join(self._joined)), keep_position=True)
        view.scroll_end(animate=False)

    @on(Input.Changed, "#stream-type")
    def _type_changed(self, event: Input.Changed) -> None:
        self.type_filter = event.value.strip()
        self._refilter()

    @on(Input.Changed, "#stream-text")
    def _text_changed(self, event: Input.Changed) -> None:
        self.text_filter = event.value
        self._refilter()

    @on(Input.Changed, "#stream-path")
    def _path_changed(self, event: Input.Changed) -> None:
        self.path_text = event.value.strip()
        try:
            self._path = compile_path(self.path_text) if self.path_text else None
            event.input.remove_class("invalid")
        except PathError:
            self._path = None
            event.input.add_class("invalid")
        self._refilter()

    @on(Switch.Changed, "#stream-join")
    def _join_changed(self, event: Switch.Changed) -> None:
        lower = self.query_one("#stream-lower", ContentSwitcher)
        lower.current = "stream-joined" if event.value else "stream-detail"
        if event.value:
            self._show_joined()

    @on(EventList.Selected)
    def _selected(self, event: EventList.Selected) -> None:
        self._selection = event.item
        if self.state != "live" or not self.query_one(EventList).follow:
            self._show_selection()  # a row the user chose: show it now

    def _show_selection(self) -> None:
        item, self._selection = self._selection, None
        if item is None:
            return
        detail = self.query_one("#stream-detail", TextView)
        if isinstance(item, Reconnect):
            detail.set_text(f"Reconnect #{item.attempt} after {item.wait:g} s: {item.reason}")
            return
        try:
            body = orjson.dumps(orjson.loads(item.data), option=orjson.OPT_INDENT_2).decode()
            is_json = True
        except orjson.JSONDecodeError:
            body, is_json = item.data, False
        head = f"event: {item.event}   id: {item.id or '—'}   at +{item.offset:.3f}s\n"
        projected = self._project(item)
        if projected is not None:
            head += f"{self.path_text} = {orjson.dumps(projected).decode()}\n"
        detail.set_text(head + "\n" + body, highlight_json=is_json)

    def action_toggle_follow(self) -> None:
        events = self.query_one(EventList)
        events.follow = not events.follow
        if events.follow:
            events.action_cursor_to(-1)
        self._counters()

    def action_save_events(self) -> None:
        if self.events:
            self.post_message(self.SaveRequested())

    def save(self, path: Path) -> int:
        """Write the kept events as JSON Lines; how many were written."""
        return write_events(path, [e for e in self.events if isinstance(e, Event)])
