"""A read-only text view for big bodies, built on Textual's Line API.

Only the lines on screen are turned into segments, so a 50 MB body scrolls as fast as a
small one; JSON lines get a light, per-line highlight as they are drawn. The lines are
prepared (split, measured) in a worker before they are handed over.
"""

from __future__ import annotations

import re
from typing import Protocol

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

_JSON_TOKEN = re.compile(
    r'(?P<key>"(?:[^"\\]|\\.)*"(?=\s*:))|(?P<string>"(?:[^"\\]|\\.)*")'
    r"|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<literal>true|false|null)"
)
_STYLES = {
    "key": Style(color="bright_blue", bold=True),
    "string": Style(color="green"),
    "number": Style(color="yellow"),
    "literal": Style(color="magenta"),
}


class LineSource(Protocol):
    """Lines the view can ask for one at a time: a list in memory or a mapped file."""

    width: int

    def __len__(self) -> int: ...

    def line(self, index: int, start: int = 0, end: int | None = None) -> str: ...


class Lines:
    """Text split into lines with the widest line's length, made off the UI thread."""

    __slots__ = ("lines", "width")

    def __init__(self, text: str = "", lines: list[str] | None = None) -> None:
        self.lines = lines if lines is not None else (text.splitlines() or [""])
        self.width = max(map(len, self.lines), default=0)

    def __len__(self) -> int:
        return len(self.lines)

    def line(self, index: int, start: int = 0, end: int | None = None) -> str:
        return self.lines[index][start:end]


class TextView(ScrollView, can_focus=True):
    BINDINGS = [
        Binding("up,k", "scroll_up", "Up", show=False),
        Binding("down,j", "scroll_down", "Down", show=False),
        Binding("left,h", "scroll_left", "Left", show=False),
        Binding("right,l", "scroll_right", "Right", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown,space", "page_down", "Page down", show=False),
        Binding("home,g", "scroll_home", "Top", show=False),
        Binding("end,G", "scroll_end", "Bottom", show=False),
    ]

    DEFAULT_CSS = """
    TextView { background: $surface; }
    """

    def __init__(self, *, highlight_json: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.source: LineSource = Lines()
        self.highlight_json = highlight_json

    @property
    def line_count(self) -> int:
        return len(self.source)

    def set_lines(
        self, source: LineSource, *, highlight_json: bool = False, keep_position: bool = False
    ) -> None:
        self.source = source
        self.highlight_json = highlight_json
        self.virtual_size = Size(source.width + 1, len(source))
        if not keep_position:
            self.scroll_to(0, 0, animate=False)
        self.refresh()

    def set_text(self, text: str, *, highlight_json: bool = False) -> None:
        self.set_lines(Lines(text), highlight_json=highlight_json)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        if index >= len(self.source):
            return Strip.blank(width, self.rich_style)
        # Only the visible columns are read: a line may be megabytes long.
        line = self.source.line(index, scroll_x, scroll_x + width).expandtabs(4)
        segments = self._segments(line) if self.highlight_json else [Segment(line)]
        strip = Strip(segments).crop(0, width)
        return strip.extend_cell_length(width).apply_style(self.rich_style)

    @staticmethod
    def _segments(line: str) -> list[Segment]:
        segments: list[Segment] = []
        position = 0
        for match in _JSON_TOKEN.finditer(line):
            if match.start() > position:
                segments.append(Segment(line[position : match.start()]))
            kind = match.lastgroup or "string"
            segments.append(Segment(match.group(0), _STYLES[kind]))
            position = match.end()
        if position < len(line):
            segments.append(Segment(line[position:]))
        return segments
