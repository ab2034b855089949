"""The official SDK's test server (``tests/servers/sdk_server.py``) over Streamable HTTP.

``python -m tests.client.sdk_http_server PORT [--json] [--stateless]`` serves it at
``http://127.0.0.1:PORT/mcp`` so the HTTP client and ``mcpcore check`` can meet a peer;
``--sse`` serves the 2024-11-05 HTTP+SSE transport at ``/sse`` instead.
"""

from __future__ import annotations

import sys

from tests.servers.sdk_server import server

if __name__ == "__main__" and "--sse" in sys.argv:
    server.run("sse", host="127.0.0.1", port=int(sys.argv[1]))
elif __name__ == "__main__":
    server.run(
        "streamable-http",
        host="127.0.0.1",
        port=int(sys.argv[1]),
        json_response="--json" in sys.argv,
        stateless_http="--stateless" in sys.argv,
    )
