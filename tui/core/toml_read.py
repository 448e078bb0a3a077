"""The TOML reader: tomli's compiled build when installed, else the standard tomllib.

tomllib *is* tomli, vendored into the standard library as pure Python; tomli's wheels
are the same parser compiled with mypyc, about three times faster. Same grammar, same
errors: only the speed differs, which matters for a 10,000-call workspace.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

try:
    import tomli as _toml
except ImportError:  # pragma: no cover - tomli is a dependency; tomllib is the fallback
    import tomllib as _toml  # type: ignore[no-redef]

loads: Callable[[str], dict[str, Any]] = _toml.loads
TOMLDecodeError: type[ValueError] = _toml.TOMLDecodeError
