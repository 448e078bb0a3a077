"""The collection browser: a filterable tree of collections, folders and calls.

It shows the workspace it is given and posts what the user asks for (open a call,
create, rename...) to the app, which makes the change through tui.core.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Tree
from textual.widgets.tree import TreeNode

from tui.core.workspace import Workspace

METHOD_STYLES = {
    "GET": "bold green",
    "POST": "bold yellow",
    "PUT": "bold blue",
    "PATCH": "bold cyan",
    "DELETE": "bold red",
    "HEAD": "bold magenta",
    "OPTIONS": "bold magenta",
}
EXPAND_ALL_BELOW = 100  # calls; a bigger workspace opens with collections folded


@dataclass(frozen=True, slots=True)
class Node:
    kind: str  # collection | folder | call | broken
    ref: str
    path: Path | None = None


def method_badge(method: str) -> Text:
    return Text(f"{method[:6]:<6} ", style=METHOD_STYLES.get(method, "bold"))


class BrowserTree(Tree[Node]):
    BINDINGS = [
        Binding("n", "request('new_call')", "New call"),
        Binding("f", "request('new_folder')", "New folder", show=False),
        Binding("C", "request('new_collection')", "New collection", show=False),
        Binding("r", "request('rename')", "Rename"),
        Binding("d", "request('duplicate')", "Duplicate", show=False),
        Binding("m", "request('move')", "Move", show=False),
        Binding("delete,x", "request('delete')", "Delete"),
        Binding("slash", "filter", "Filter"),
    ]

    def action_request(self, action: str) -> None:
        node = self.cursor_node
        target = node.data if node is not None else None
        self.post_message(CollectionBrowser.ActionRequested(action, target))

    def action_filter(self) -> None:
        # set_focus now, not focus() (deferred): keys typed right after "/" go to the filter.
        self.screen.set_focus(self.app.query_one("#browser-filter", Input))


class CollectionBrowser(Vertical):
    """Shows ``workspace``; posts CallSelected and ActionRequested."""

    class CallSelected(Message):
        def __init__(self, node: Node) -> None:
            super().__init__()
            self.node = node

    class ActionRequested(Message):
        def __init__(self, action: str, node: Node | None) -> None:
            super().__init__()
            self.action = action
            self.node = node

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.workspace: Workspace | None = None
        self.filter_text = ""
        self.selected_ref: str | None = None

    def compose(self) -> ComposeResult:
        yield Input(placeholder="Filter calls ( / )", id="browser-filter")
        tree: BrowserTree = BrowserTree("workspace", id="browser-tree")
        tree.show_root = False
        tree.guide_depth = 2
        yield tree

    @property
    def tree_widget(self) -> BrowserTree:
        return self.query_one(BrowserTree)

    def show(self, workspace: Workspace, selected: str | None = None) -> None:
        """Rebuild the tree for ``workspace``, keeping what was open and selected."""
        self.workspace = workspace
        if selected is not None:
            self.selected_ref = selected
        tree = self.tree_widget
        expanded = {
            node.data.ref for node in _walk(tree.root) if node.data is not None and node.is_expanded
        }
        first_build = not tree.root.children
        tree.clear()
        needle = self.filter_text.lower()
        if first_build and len(workspace.calls) < EXPAND_ALL_BELOW:
            expanded = {*workspace.collections, *workspace.folders}
        broken_by_parent: dict[str, list[Path]] = {}
        for path in workspace.problems:
            try:
                ref = workspace.ref_of(path)
            except ValueError:
                continue
            parent = ref.rsplit("/", 1)[0] if "/" in ref else ""
            broken_by_parent.setdefault(parent, []).append(path)
        cursor: TreeNode[Node] | None = None
        for name in sorted(workspace.collections):
            collection = workspace.collections[name]
            label = Text(collection.title, style="bold")
            node = tree.root.add(label, Node("collection", name, collection.path))
            found = self._fill(node, name, workspace, needle, broken_by_parent, expanded)
            if needle and not found and needle not in collection.title.lower():
                node.remove()
                continue
            if needle or name in expanded or self._holds_selection(name):
                node.expand()
            cursor = cursor or self._find(node)
        # Broken collection files at the top level are listed on their own.
        for path in broken_by_parent.get("", []):
            tree.root.add_leaf(Text(f"⚠ {path.name}", style="bold red"), Node("broken", "", path))
        if cursor is not None:
            # Lines of new nodes are laid out on the next refresh.
            self.call_after_refresh(tree.move_cursor, cursor)

    def _holds_selection(self, ref: str) -> bool:
        return self.selected_ref is not None and self.selected_ref.startswith(ref + "/")

    def _find(self, node: TreeNode[Node]) -> TreeNode[Node] | None:
        for child in _walk(node):
            if child.data is not None and child.data.ref == self.selected_ref:
                return child
        return None

    def _fill(
        self,
        node: TreeNode[Node],
        ref: str,
        workspace: Workspace,
        needle: str,
        broken: dict[str, list[Path]],
        expanded: set[str],
    ) -> bool:
        """Add the folders and calls directly under ``ref``; True if any call matched."""
        prefix = ref + "/"
        depth = ref.count("/") + 1
        folders = sorted(
            f for f in workspace.folders if f.startswith(prefix) and f.count("/") == depth
        )
        found = False
        for folder in folders:
            child = node.add(Text(folder.rsplit("/", 1)[1] + "/"), Node("folder", folder))
            if self._fill(child, folder, workspace, needle, broken, expanded):
                found = True
                if needle or folder in expanded or self._holds_selection(folder):
                    child.expand()
            elif needle:
                child.remove()
        calls = sorted(
            (
                c
                for r, c in workspace.calls.items()
                if r.startswith(prefix) and r.count("/") == depth
            ),
            key=lambda c: c.ref,
        )
        for call in calls:
            text = f"{call.title} {call.ref} {call.method}".lower()
            if needle and needle not in text:
                continue
            label = method_badge(call.method) + Text(call.title)
            node.add_leaf(label, Node("call", call.ref, call.path))
            found = True
        for path in broken.get(ref, []):
            label = Text("⚠ ", style="bold red") + Text(path.stem, style="red")
            node.add_leaf(label, Node("broken", workspace.ref_of(path), path))
            found = True
        return found

    @on(Input.Changed, "#browser-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        if self.workspace is not None:
            self.show(self.workspace)

    @on(Input.Submitted, "#browser-filter")
    def _filter_submitted(self) -> None:
        tree = self.tree_widget
        self.screen.set_focus(tree)  # now: the next key (enter) must reach the tree
        for node in _walk(tree.root):
            if node.data is not None and node.data.kind in ("call", "broken"):
                tree.move_cursor(node)
                break

    def on_key(self, event: events.Key) -> None:
        key = event.key
        focused = self.app.focused
        if isinstance(focused, Input) and focused.id == "browser-filter":
            if key == "escape":
                focused.value = ""
                self.screen.set_focus(self.tree_widget)
            elif key == "down":
                self.screen.set_focus(self.tree_widget)

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected[Node]) -> None:
        event.stop()
        node = event.node.data
        if node is not None and node.kind in ("call", "broken"):
            self.selected_ref = node.ref
            self.post_message(self.CallSelected(node))

    def select(self, ref: str) -> None:
        """Put the cursor on ``ref`` (opening its folders) without posting anything.

        A filter that hides ``ref`` is cleared, so the cursor never points elsewhere."""
        self.selected_ref = ref
        tree = self.tree_widget
        for node in _walk(tree.root):
            if node.data is not None and node.data.ref == ref:
                parent = node.parent
                while parent is not None:
                    parent.expand()
                    parent = parent.parent
                self.call_after_refresh(tree.move_cursor, node)
                return
        if self.filter_text and self.workspace is not None:
            self.filter_text = ""
            with self.prevent(Input.Changed):
                self.query_one("#browser-filter", Input).value = ""
            self.show(self.workspace)
            self.select(ref)

    def cursor_node(self) -> Node | None:
        node = self.tree_widget.cursor_node
        return node.data if node is not None else None


def _walk(node: TreeNode[Node]) -> list[TreeNode[Node]]:
    out: list[TreeNode[Node]] = []
    stack = list(reversed(node.children))
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(reversed(current.children))
    return out
