"""``python -m tests.harness.testhosts``: the command line of the test bed."""

import sys

from .cli import main

sys.exit(main())
