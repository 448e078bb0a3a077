"""A stand-in for a user's browser (``BROWSER="python fake_browser.py %s"``): it opens the
authorization URL, follows the redirects like a browser, and so reaches callbench's
loopback listener with the code."""

from __future__ import annotations

import sys

import httpx


def main() -> int:
    response = httpx.get(sys.argv[1], follow_redirects=True, timeout=10, trust_env=False)
    return 0 if response.status_code == 200 else 1


if __name__ == "__main__":
    raise SystemExit(main())
