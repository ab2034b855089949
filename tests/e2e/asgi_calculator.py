"""The example calculator as an ASGI app (``uvicorn tests.e2e.asgi_calculator:app``)."""

from __future__ import annotations

from mcpcore.examples.calculator import server

app = server.asgi_app()
