"""Incoming endpoints: files in ``endpoints/``, served by ``callbench serve`` and the TUI."""
