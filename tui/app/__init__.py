"""The Textual UI of callbench. Everything it does goes through tui.core."""
