"""The calculator's ``add`` with the default placement of a plain function: a worker thread.

Measured beside the example (where ``add`` runs inline with ``run="loop"``)
to put a number on what the thread hop costs.
"""

from mcpcore import Server

server = Server("thread-add", version="1.0.0")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers (in a worker thread: the default for a plain function)."""
    return a + b


if __name__ == "__main__":
    server.run()
