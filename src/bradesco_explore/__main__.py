"""`python -m bradesco_explore` runs the command line."""

from .cli import main

raise SystemExit(main())
