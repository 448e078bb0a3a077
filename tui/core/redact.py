"""Masking of secret values wherever an exchange is shown or written."""

from __future__ import annotations

from typing import Any

MASK = "••••••"


def redact_text(text: str, secrets: list[str]) -> str:
    """``text`` with every secret value replaced by a mask, longest first."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def redact_value(value: Any, secrets: list[str]) -> Any:
    """A JSON value with secrets masked in every string, keys included."""
    if not secrets:
        return value
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, list):
        return [redact_value(v, secrets) for v in value]
    if isinstance(value, dict):
        return {redact_text(k, secrets): redact_value(v, secrets) for k, v in value.items()}
    return value
