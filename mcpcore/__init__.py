"""mcpcore: a small, fast Model Context Protocol engine.

The public API lives here; submodules are the layers (see README
"Architecture"): ``wire`` (framing), ``jsonrpc`` (messages), ``session`` and
``router`` (lifecycle and dispatch), ``registry`` (tools), ``transport``.
"""

from typing import TYPE_CHECKING, Any

from mcpcore.content import Content, ToolResult, audio, embedded_resource, image, resource_link, text
from mcpcore.context import Context
from mcpcore.errors import ConnectionClosedError, ProtocolError, RequestTimeoutError, RpcError
from mcpcore.loop import run
from mcpcore.registry.completion import Completion
from mcpcore.registry.input_required import (
    ClientCapabilityError,
    ClientRequestError,
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

if TYPE_CHECKING:
    from mcpcore.client import Client, ClientSession

__version__ = "0.1.0"

#: Imported on first use (PEP 562): a server process never pays for the client's imports.
_LAZY = {"Client": "mcpcore.client", "ClientSession": "mcpcore.client"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mcpcore' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "LATEST_LEGACY",
    "LATEST_MODERN",
    "SUPPORTED_VERSIONS",
    "Client",
    "ClientCapabilityError",
    "ClientRequestError",
    "ClientSession",
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
