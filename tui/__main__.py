"""``python -m tui`` is the ``callbench`` command."""

from tui.cli import main

raise SystemExit(main())
