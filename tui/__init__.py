"""callbench: a keyboard-first terminal workbench for HTTP APIs."""
