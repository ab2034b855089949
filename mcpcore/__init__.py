"""mcpcore: a small, fast Model Context Protocol engine.

The public API lives here; submodules are the layers (see README
"Architecture"): ``wire`` (framing), ``jsonrpc`` (messages), ``session`` and
``router`` (lifecycle and dispatch), ``registry`` (tools), ``transport``.
"""

from typing import TYPE_CHECKING, Any

from mcpcore.content import Content, ToolResult, audio, embedded_resource, image, resource_link, text
from mcpcore.context import Context
from mcpcore.errors import ConnectionClosedError, ProtocolError, RequestTimeoutError, RpcError
from mcpcore.frontmatter import FrontmatterError, parse_frontmatter
from mcpcore.loop import run
from mcpcore.middleware import RateLimit, log_requests, otel_spans
from mcpcore.registry.apps import APP_MIME_TYPE, client_supports_apps
from mcpcore.registry.completion import Completion
from mcpcore.registry.elicitation import ElicitationRefused
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
from mcpcore.registry.skills import Skill, SkillError
from mcpcore.registry.tasks import TaskContext
from mcpcore.registry.uri_template import UriTemplate
from mcpcore.server import LifespanError, Server
from mcpcore.versions import LATEST_LEGACY, LATEST_MODERN, SUPPORTED_VERSIONS

if TYPE_CHECKING:
    from mcpcore.client import Client, ClientSession, OAuth
    from mcpcore.client.apps import UiResource, UiResourceError
    from mcpcore.client.skills import LoadedSkill, SkillEntry, SkillVerificationError
    from mcpcore.proxy import proxy
    from mcpcore.stores.bus import SubscriptionBus
    from mcpcore.stores.events import EventStore
    from mcpcore.stores.memory import InMemoryBus, InMemoryEventStore, InMemoryTaskStore
    from mcpcore.stores.memory_sessions import InMemorySessionStore
    from mcpcore.stores.redis import RedisBus, RedisEventStore, RedisTaskStore
    from mcpcore.stores.redis_sessions import RedisSessionStore
    from mcpcore.stores.sessions import SessionRecord, SessionStore
    from mcpcore.stores.tasks import TaskData, TaskLimits, TaskStore
    from mcpcore.transport.asgi import AsgiApp
    from mcpcore.transport.http import HttpServer, ServerLimits, serve_http, start_http
    from mcpcore.transport.security import AccessToken, BearerAuth, TokenVerifier
    from mcpcore.transport.streamable import HttpOptions

__version__ = "0.1.0"

#: Imported on first use (PEP 562): a server process never pays for the client's imports.
_LAZY = {
    "Client": "mcpcore.client",
    "ClientSession": "mcpcore.client",
    "OAuth": "mcpcore.client",
    "LoadedSkill": "mcpcore.client.skills",
    "UiResource": "mcpcore.client.apps",
    "UiResourceError": "mcpcore.client.apps",
    "SkillEntry": "mcpcore.client.skills",
    "SkillVerificationError": "mcpcore.client.skills",
    # HTTP serving: a stdio server's cold start must not pay for it.
    "AccessToken": "mcpcore.transport.security",
    "AsgiApp": "mcpcore.transport.asgi",
    "BearerAuth": "mcpcore.transport.security",
    "EventStore": "mcpcore.stores.events",
    "HttpOptions": "mcpcore.transport.streamable",
    "HttpServer": "mcpcore.transport.http",
    "InMemoryEventStore": "mcpcore.stores.memory",
    # Stores shared by replicas (imported on first use; the Redis client is mcpcore's own, stdlib only).
    "InMemoryBus": "mcpcore.stores.memory",
    "RedisBus": "mcpcore.stores.redis",
    "RedisEventStore": "mcpcore.stores.redis",
    "SubscriptionBus": "mcpcore.stores.bus",
    "ServerLimits": "mcpcore.transport.http",
    "TokenVerifier": "mcpcore.transport.security",
    "serve_http": "mcpcore.transport.http",
    "start_http": "mcpcore.transport.http",
    # Shared legacy sessions (several replicas).
    "InMemorySessionStore": "mcpcore.stores.memory_sessions",
    "RedisSessionStore": "mcpcore.stores.redis_sessions",
    "SessionRecord": "mcpcore.stores.sessions",
    "SessionStore": "mcpcore.stores.sessions",
    # A proxy imports the client.
    "proxy": "mcpcore.proxy",
    # Task stores.
    "InMemoryTaskStore": "mcpcore.stores.memory",
    "RedisTaskStore": "mcpcore.stores.redis",
    "TaskData": "mcpcore.stores.tasks",
    "TaskLimits": "mcpcore.stores.tasks",
    "TaskStore": "mcpcore.stores.tasks",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mcpcore' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "APP_MIME_TYPE",
    "LATEST_LEGACY",
    "LATEST_MODERN",
    "SUPPORTED_VERSIONS",
    "AccessToken",
    "AsgiApp",
    "BearerAuth",
    "Client",
    "ClientCapabilityError",
    "ClientRequestError",
    "ClientSession",
    "Completion",
    "ConnectionClosedError",
    "Content",
    "Context",
    "ElicitationRefused",
    "EventStore",
    "FrontmatterError",
    "HttpOptions",
    "HttpServer",
    "InMemoryBus",
    "InMemoryEventStore",
    "InMemorySessionStore",
    "InMemoryTaskStore",
    "InputRequired",
    "LifespanError",
    "LoadedSkill",
    "OAuth",
    "ProtocolError",
    "RateLimit",
    "RedisBus",
    "RedisEventStore",
    "RedisSessionStore",
    "RedisTaskStore",
    "RequestTimeoutError",
    "RpcError",
    "Server",
    "ServerLimits",
    "SessionRecord",
    "SessionStore",
    "Skill",
    "SkillEntry",
    "SkillError",
    "SkillVerificationError",
    "SubscriptionBus",
    "TaskContext",
    "TaskData",
    "TaskLimits",
    "TaskStore",
    "TokenVerifier",
    "ToolResult",
    "UiResource",
    "UiResourceError",
    "UriTemplate",
    "__version__",
    "assistant_message",
    "audio",
    "client_supports_apps",
    "elicitation_request",
    "embedded_resource",
    "image",
    "log_requests",
    "otel_spans",
    "parse_frontmatter",
    "proxy",
    "resource_link",
    "roots_request",
    "run",
    "sampling_request",
    "serve_http",
    "start_http",
    "text",
    "url_elicitation_request",
    "user_message",
]
