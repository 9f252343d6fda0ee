"""`python -m kfwizard` runs the command line."""

from kfwizard.cli import main

raise SystemExit(main())
