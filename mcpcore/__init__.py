"""mcpcore: a small, fast Model Context Protocol engine.

The public API lives here; submodules are the layers (see README
"Architecture"): ``wire`` (framing), ``jsonrpc`` (messages), ``session`` and
``router`` (lifecycle and dispatch), ``registry`` (tools), ``transport``.
"""

from mcpcore.client import Client, ClientSession
from mcpcore.content import Content, ToolResult, audio, embedded_resource, image, resource_link, text
from mcpcore.context import Context
from mcpcore.errors import ConnectionClosedError, ProtocolError, RequestTimeoutError, RpcError
from mcpcore.loop import run
from mcpcore.registry.completion import Completion
from mcpcore.registry.input_required import (
    ClientCapabilityError,
    InputRequired,
    elicitation_request,
    roots_request,
    sampling_request,
    url_elicitation_request,
)
from mcpcore.registry.prompts import assistant_message, user_message
from mcpcore.registry.uri_template import UriTemplate
from mcpcore.server import Server
from mcpcore.versions import LATEST_LEGACY, LATEST_MODERN, SUPPORTED_VERSIONS

__version__ = "0.1.0"

__all__ = [
    "LATEST_LEGACY",
    "LATEST_MODERN",
    "SUPPORTED_VERSIONS",
    "Client",
    "ClientSession",
    "ClientCapabilityError",
    "Completion",
    "ConnectionClosedError",
    "Content",
    "Context",
    "InputRequired",
    "ProtocolError",
    "RequestTimeoutError",
    "RpcError",
    "Server",
    "ToolResult",
    "UriTemplate",
    "__version__",
    "assistant_message",
    "audio",
    "elicitation_request",
    "embedded_resource",
    "image",
    "resource_link",
    "roots_request",
    "run",
    "sampling_request",
    "text",
    "url_elicitation_request",
    "user_message",
]
