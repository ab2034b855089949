"""Peer: FastMCP with a typed ``add`` tool (arguments validated from the signature).

Run: ``python -m benchmarks.servers.fastmcp_add`` (stdio) or ``... --http --port N``
(Streamable HTTP with JSON responses, on uvicorn).
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("FASTMCP_SHOW_SERVER_BANNER", "false")
os.environ.setdefault("FASTMCP_LOG_LEVEL", "WARNING")
os.environ.setdefault("FASTMCP_CHECK_FOR_UPDATES", "off")

from fastmcp import FastMCP

server = FastMCP("fastmcp-add")


@server.tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", action="store_true")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    if args.http:
        server.run(
            transport="http",
            host="127.0.0.1",
            port=args.port,
            json_response=True,
            show_banner=False,
            log_level="warning",
        )
    else:
        server.run(show_banner=False)
