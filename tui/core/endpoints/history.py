"""The run history of incoming requests: in the user data folder, secrets redacted.

Each request the endpoints server answers becomes one JSON line in
``<user data>/callbench/history/<workspace key>/endpoints.jsonl``, never in the
workspace. The last runs are kept in memory too, and listeners (the CLI's one line per
request, the TUI's live table) are told of each new run.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

import platformdirs

from ..redact import MASK, redact_value

SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
KEEP_IN_MEMORY = 1000


@dataclass
class RunRecord:
    time: str
    method: str
    path: str
    status: int
    duration_ms: float
    endpoint: str = ""
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    client: str = ""
    after_response: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        """The one line ``callbench serve`` prints for this run."""
        name = f"  ({self.endpoint})" if self.endpoint else ""
        error = f"  {self.error}" if self.error else ""
        return (
            f"{self.time}  {self.method:<7} {self.path}  {self.status}  "
            f"{self.duration_ms:.1f} ms{name}{error}"
        )


def history_file(root: Path) -> Path:
    key = hashlib.blake2b(str(root.resolve()).encode(), digest_size=8).hexdigest()
    folder = Path(platformdirs.user_data_dir("callbench")) / "history" / f"{root.name}-{key}"
    return folder / "endpoints.jsonl"


def redact_record(record: RunRecord, secrets: list[str], extra_headers: set[str]) -> RunRecord:
    """The record with credential headers masked and secret values masked everywhere."""
    hidden = SENSITIVE_HEADERS | {h.lower() for h in extra_headers}
    record.headers = {k: MASK if k.lower() in hidden else v for k, v in record.headers.items()}
    for name in ("query", "headers", "inputs", "after_response"):
        setattr(record, name, redact_value(getattr(record, name), secrets))
    record.path = redact_value(record.path, secrets)
    record.error = redact_value(record.error, secrets)
    return record


class History:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.runs: deque[RunRecord] = deque(maxlen=KEEP_IN_MEMORY)
        self.listeners: list[Callable[[RunRecord], None]] = []
        self._lock = threading.Lock()
        self._handle: TextIO | None = None

    def add(self, record: RunRecord) -> None:
        with self._lock:
            self.runs.append(record)
            if self.path is not None:
                try:
                    if self._handle is None:
                        self.path.parent.mkdir(parents=True, exist_ok=True)
                        self._handle = self.path.open("a", encoding="utf-8")
                    self._handle.write(json.dumps(asdict(record), ensure_ascii=False) + "\n")
                    self._handle.flush()
                except OSError:
                    pass  # a full disk must not take the server down
        for listener in list(self.listeners):
            listener(record)

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._handle.close()
                self._handle = None

    def load(self, limit: int = KEEP_IN_MEMORY) -> list[RunRecord]:
        """The last runs written to the history file (the TUI shows them on open)."""
        if self.path is None or not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()[-limit:]
        records: list[RunRecord] = []
        for line in lines:
            try:
                records.append(RunRecord(**json.loads(line)))
            except (ValueError, TypeError):
                continue
        return records
