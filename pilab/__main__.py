"""Allow ``python -m pilab``."""

from pilab.cli import main

raise SystemExit(main())
