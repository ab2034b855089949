"""mcpcore: a small, fast Model Context Protocol engine.

The public API lives here; submodules are the layers (see README
"Architecture"): ``wire`` (framing), ``jsonrpc`` (messages), ``session`` and
``router`` (lifecycle and dispatch), ``registry`` (tools), ``transport``.
"""

from mcpcore.content import Content, ToolResult, audio, embedded_resource, image, resource_link, text
from mcpcore.context import Context
from mcpcore.errors import ConnectionClosedError, ProtocolError, RequestTimeoutError, RpcError
from mcpcore.loop import run
from mcpcore.server import Server
from mcpcore.versions import LATEST_LEGACY, LATEST_MODERN, SUPPORTED_VERSIONS

__version__ = "0.1.0"

__all__ = [
    "LATEST_LEGACY",
    "LATEST_MODERN",
    "SUPPORTED_VERSIONS",
    "ConnectionClosedError",
    "Content",
    "Context",
    "ProtocolError",
    "RequestTimeoutError",
    "RpcError",
    "Server",
    "ToolResult",
    "__version__",
    "audio",
    "embedded_resource",
    "image",
    "resource_link",
    "run",
    "text",
]
