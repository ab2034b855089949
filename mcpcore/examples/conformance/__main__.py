"""``python -m mcpcore.examples.conformance``: see :func:`mcpcore.examples.conformance.main`."""

from mcpcore.examples.conformance import main

main()
