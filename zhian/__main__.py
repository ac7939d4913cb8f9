"""`python -m zhian`: the `zhian` command, run with the code on sys.path (e.g. a checkout's)."""

import sys

from zhian.cli import main

sys.exit(main())
