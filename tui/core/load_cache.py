"""A cache of parsed call files, so a big workspace opens fast the second time.

Parsing TOML is most of the time it takes to load a workspace. For a workspace of
``MIN_FILES`` files or more, the validated models are kept in the user cache folder
(never in the workspace), keyed by each file's modification time and size. A file is
parsed again when either changed, when it changed too close to the moment the cache was
written to be sure (the "racy" window git also guards against), or when callbench's own
model code changed. Broken files are never cached: their problem is found anew.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

MIN_FILES = 500
RACY_NS = 2_000_000_000


@contextmanager
def no_gc() -> Iterator[None]:
    """Pickling thousands of small objects triggers the cyclic GC again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _code_key() -> str:
    """Changes whenever the shape of the cached models could have changed."""
    digest = hashlib.blake2b(digest_size=12)
    digest.update(sys.version.encode())
    here = Path(__file__).parent
    for name in ("models.py", "schema.py", "load_cache.py"):
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


def cache_file(root: Path) -> Path:
    folder = Path(platformdirs.user_cache_dir("callbench")) / "workspaces"
    key = hashlib.blake2b(str(root).encode(), digest_size=10).hexdigest()
    return folder / f"{key}.pickle"


Entry = tuple[int, int, str, Any]  # mtime_ns, size, fingerprint, model


@dataclass
class LoadCache:
    path: Path
    written_ns: int = 0
    entries: dict[str, Entry] = field(default_factory=dict)
    fresh: dict[str, Entry] = field(default_factory=dict)
    hits: int = 0

    @classmethod
    def open(cls, root: Path) -> LoadCache:
        cache = cls(cache_file(root))
        try:
            with cache.path.open("rb") as handle, no_gc():
                data = pickle.load(handle)
            if data.get("code") == _code_key():
                cache.entries = data["entries"]
                cache.written_ns = data["written_ns"]
        except (OSError, pickle.PickleError, EOFError, AttributeError, KeyError, TypeError):
            pass  # no cache, or one from another version: parse everything
        except Exception:  # an unpicklable leftover must never stop a load
            pass
        return cache

    def get(self, key: str, stat: os.stat_result, path: Path) -> tuple[str, Any] | None:
        """The fingerprint and model cached for ``key``, if the file is unchanged.

        Models are cached without their ``path`` (Path objects are slow to unpickle);
        it is set back here."""
        entry = self.entries.get(key)
        if entry is None:
            return None
        mtime, size, fingerprint, model = entry
        if mtime != stat.st_mtime_ns or size != stat.st_size:
            return None
        if mtime >= self.written_ns - RACY_NS:
            return None  # changed within the cache's own clock tick: cannot tell
        self.fresh[key] = entry
        self.hits += 1
        model.path = path
        return fingerprint, model

    def put(self, key: str, stat: os.stat_result, fingerprint: str, model: Any) -> None:
        stored = dataclasses.replace(model, path=None)
        self.fresh[key] = (stat.st_mtime_ns, stat.st_size, fingerprint, stored)

    def save(self) -> None:
        """Write what this load saw, atomically; silently skipped if it cannot be."""
        if self.fresh.keys() == self.entries.keys() and self.hits == len(self.fresh):
            return  # nothing changed since the cache was written
        data = {"code": _code_key(), "written_ns": time.time_ns(), "entries": self.fresh}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as handle, no_gc():
                pickle.dump(data, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temp, self.path)
        except OSError:
            return
