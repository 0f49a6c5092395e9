"""``python -m steplane.cli``: the same as the ``steplane`` command."""

from steplane.cli import main

raise SystemExit(main())
