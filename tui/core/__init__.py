"""The callbench library: no Textual here, so the CLI and other programs can use it."""
