"""The HTTP API is public from ``mcpcore`` yet costs a stdio server nothing until first used."""

from __future__ import annotations

import subprocess
import sys

import mcpcore

HTTP_NAMES = (
    "AccessToken",
    "AsgiApp",
    "BearerAuth",
    "EventStore",
    "HttpOptions",
    "HttpServer",
    "InMemoryEventStore",
    "ServerLimits",
    "TokenVerifier",
    "serve_http",
    "start_http",
)


def test_importing_mcpcore_loads_no_http_module() -> None:
    code = (
        "import sys, mcpcore\n"
        "loaded = [m for m in sys.modules if m.startswith(('mcpcore.transport.', 'mcpcore.wire.http11',"
        " 'mcpcore.wire.sse', 'mcpcore.wire.mcp_headers'))]\n"
        "print(','.join(loaded))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == ""


def test_http_names_are_exported_lazily() -> None:
    from mcpcore.transport import asgi, http, security, streamable

    for name in HTTP_NAMES:
        assert name in mcpcore.__all__
    assert mcpcore.HttpOptions is streamable.HttpOptions
    assert mcpcore.InMemoryEventStore is streamable.InMemoryEventStore
    assert mcpcore.BearerAuth is security.BearerAuth
    assert mcpcore.AsgiApp is asgi.AsgiApp
    assert mcpcore.start_http is http.start_http
    assert mcpcore.ServerLimits is http.ServerLimits
    for name in HTTP_NAMES:
        assert getattr(mcpcore, name) is not None
