"""``python -m mcpcore``: the twin of the ``mcpcore`` console script."""

import sys

from mcpcore.cli import main

sys.exit(main())
