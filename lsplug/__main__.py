"""Run the command line as `python -m lsplug`."""

from lsplug.cli import main

raise SystemExit(main())
