"""Masking of secret values wherever an exchange is shown or written."""

from __future__ import annotations

MASK = "••••••"


def redact_text(text: str, secrets: list[str]) -> str:
    """``text`` with every secret value replaced by a mask, longest first."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text
