"""How the command line shows an interactive OAuth2 grant: on stderr, never stdout
(stdout is the response, for pipes). Over SSH the browser is elsewhere: the URL it ends
on may be pasted back here, when stdin is a terminal."""

from __future__ import annotations

import asyncio
import sys
import threading
from typing import TextIO

from tui.core.oauth2 import AuthPrompt


class TerminalInteraction:
    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stderr

    def show(self, prompt: AuthPrompt) -> None:
        write = self.out.write
        if prompt.kind == "device":
            minutes = f" within {prompt.expires_in / 60:.0f} min" if prompt.expires_in else ""
            write(f"callbench: to authorize, open {prompt.url}\n")
            if prompt.user_code:
                write(f"callbench: and enter the code {prompt.user_code}{minutes}\n")
            write("callbench: waiting for the approval (ctrl+c gives up)...\n")
        else:
            opened = " (opened in your browser)" if prompt.browser_opened else ""
            write(f"callbench: to authorize, open this URL{opened}:\n  {prompt.url}\n")
            if prompt.deliver is not None and _interactive():
                write(
                    "callbench: if the browser cannot reach this machine (SSH), paste the "
                    "URL it ended on here and press enter\n"
                )
                self._read_paste(prompt)
        self.out.flush()

    def done(self) -> None:
        """The grant ended (either way): what follows says how."""

    @staticmethod
    def _read_paste(prompt: AuthPrompt) -> None:
        """A line from the terminal goes to the listener (a daemon thread: input() cannot
        be cancelled, and the process ends after the run)."""
        loop = asyncio.get_running_loop()
        deliver = prompt.deliver
        assert deliver is not None

        def read() -> None:
            try:
                line = sys.stdin.readline()
            except (OSError, ValueError):
                return
            if line.strip():
                loop.call_soon_threadsafe(deliver, line)

        threading.Thread(target=read, daemon=True).start()


def _interactive() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False
