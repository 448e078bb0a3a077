"""Where secret variables get their values.

A secret never has a value in a workspace file. Here: from the environment variable
``CALLBENCH_SECRET_<NAME>`` (CI, headless servers). The keyring and the encrypted vault
plug in as further lookups (see DESIGN.md, "Environments and secrets").
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from .templating import env_suffix

SecretLookup = Callable[[str], str | None]


def env_var_name(name: str) -> str:
    return f"CALLBENCH_SECRET_{env_suffix(name)}"


def environment_lookup(environ: Mapping[str, str] | None = None) -> SecretLookup:
    source = os.environ if environ is None else environ

    def lookup(name: str) -> str | None:
        return source.get(env_var_name(name))

    return lookup
