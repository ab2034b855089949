"""The conformance fixture as an ASGI app, for running the official suite under uvicorn.

``uvicorn tests.conformance.asgi_fixture:app --port N`` serves it at ``/mcp``.
"""

from __future__ import annotations

from mcpcore.examples.conformance import server

app = server.asgi_app()
