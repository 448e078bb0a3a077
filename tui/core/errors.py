"""Errors of the core, each one line a user can act on.

Every error names where the problem is (file, line, key, variable or host), so the CLI
and the TUI can show ``str(error)`` as is and never a traceback.
"""

from __future__ import annotations

from pathlib import Path


class CallbenchError(Exception):
    """Base class: ``str()`` is a complete one-line message for a user."""


class FileProblem(CallbenchError):
    """A workspace file that could not be read or does not follow the format."""

    def __init__(
        self,
        path: Path,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        key: str | None = None,
    ) -> None:
        self.path = path
        self.message = message
        self.line = line
        self.column = column
        self.key = key
        super().__init__(self.describe())

    def describe(self) -> str:
        where = _display_path(self.path)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        if self.key:
            return f"{where}: {self.key}: {self.message}"
        return f"{where}: {self.message}"


def _display_path(path: Path) -> str:
    """Relative to the current folder when the file is inside it: shorter to read."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class WorkspaceError(CallbenchError):
    """The workspace as a whole cannot serve a request (unknown call, environment...)."""


class TemplateError(CallbenchError):
    """A template could not be rendered: a missing variable, a bad reference, bad JSON."""


class VariableError(TemplateError):
    """A variable has no value, or a value that does not fit its type."""


class BodyError(CallbenchError):
    """The request body cannot be built (a missing file, an invalid JSON body)."""


class PathError(CallbenchError):
    """A JSONPath or selector that does not parse or cannot apply to a response."""


class TransportError(CallbenchError):
    """The request was built but no response arrived.

    ``kind`` is one of: refused, dns, tls, connect, connect_timeout, read_timeout,
    write_timeout, pool_timeout, reset, protocol, proxy, unsupported, other.
    """

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        super().__init__(message)
