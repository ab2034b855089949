"""Peer: the official Python SDK's high-level ``MCPServer`` with a typed ``add`` tool (stdio).

Arguments are validated by the SDK (pydantic, from the signature).

Run: ``python -m benchmarks.servers.sdk_mcpserver``.
"""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

server = MCPServer("sdk-mcpserver-add")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


if __name__ == "__main__":
    server.run()
