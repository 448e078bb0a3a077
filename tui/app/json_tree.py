"""A JSON tree whose children are built only when a node is opened.

At most ``PAGE`` children are added at a time; a "more" entry adds the next page, so a
list of a million items opens as fast as a list of ten.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from rich.text import Text
from textual.binding import Binding
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

PAGE = 1000


@dataclass(slots=True)
class JsonNode:
    value: Any
    path: str
    loaded: int = 0  # how many children are built so far
    more: bool = False  # this node is the "more…" entry of its parent


def _preview(value: Any) -> Text:
    if isinstance(value, dict):
        return Text(f"{{{len(value)}}}", style="dim")
    if isinstance(value, list):
        return Text(f"[{len(value)}]", style="dim")
    if isinstance(value, str):
        shown = value if len(value) <= 80 else value[:77] + "…"
        return Text(f'"{shown}"', style="green")
    if isinstance(value, bool) or value is None:
        return Text("null" if value is None else str(value).lower(), style="magenta")
    return Text(str(value), style="yellow")


def _child_path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    if key.isidentifier():
        return f"{parent}.{key}"
    return f"{parent}['{key}']"


class JsonTree(Tree[JsonNode]):
    BINDINGS = [
        Binding("y", "copy_value", "Copy value"),
        Binding("Y", "copy_path", "Copy path"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("$", id=id)
        self.guide_depth = 2

    def show(self, document: Any) -> None:
        self.clear()
        self.root.data = JsonNode(document, "$")
        self.root.set_label(Text("$ ") + _preview(document))
        self.root.allow_expand = isinstance(document, dict | list)
        if self.root.allow_expand:
            self._load_page(self.root)
            self.root.expand()

    def _load_page(self, node: TreeNode[JsonNode]) -> None:
        data = node.data
        if data is None:
            return
        value = data.value
        items: list[tuple[str | int, Any]]
        if isinstance(value, dict):
            keys = list(value)[data.loaded : data.loaded + PAGE]
            items = [(k, value[k]) for k in keys]
            total = len(value)
        elif isinstance(value, list):
            end = min(data.loaded + PAGE, len(value))
            items = [(i, value[i]) for i in range(data.loaded, end)]
            total = len(value)
        else:
            return
        for key, child in items:
            label = Text(f"{key}: ", style="bold") + _preview(child)
            child_node = node.add(
                label,
                JsonNode(child, _child_path(data.path, key)),
                allow_expand=isinstance(child, dict | list) and bool(child),
            )
            del child_node
        data.loaded += len(items)
        if data.loaded < total:
            node.add_leaf(
                Text(f"… {total - data.loaded} more (enter)", style="italic dim"),
                JsonNode(None, data.path, more=True),
            )

    def action_copy_value(self) -> None:
        node = self.cursor_node
        if node is None or node.data is None or node.data.more:
            return
        value = node.data.value
        text = (
            value
            if isinstance(value, str)
            else orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()
        )
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied the value of {node.data.path}")

    def action_copy_path(self) -> None:
        node = self.cursor_node
        if node is not None and node.data is not None:
            self.app.copy_to_clipboard(node.data.path)
            self.notify(f"Copied {node.data.path}")

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[JsonNode]) -> None:
        data = event.node.data
        if data is not None and data.loaded == 0 and not event.node.children:
            self._load_page(event.node)

    def on_tree_node_selected(self, event: Tree.NodeSelected[JsonNode]) -> None:
        data = event.node.data
        parent = event.node.parent
        if data is not None and data.more and parent is not None:
            event.node.remove()
            self._load_page(parent)
