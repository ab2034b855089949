"""The MCP client: :class:`Client` (typed helpers) on :class:`ClientSession` (the client role).

See :mod:`mcpcore.client.client` for usage; :mod:`mcpcore.client.session`
holds the transport-independent dispatch, :mod:`mcpcore.client.stdio` the
subprocess transport.
"""

from mcpcore.client.auth import ClientCredentials, OAuth, OAuthError, Tokens, follow_redirects
from mcpcore.client.auth_grants import IdJagGrant, JwtBearerGrant
from mcpcore.client.client import Client, PaginationError
from mcpcore.client.http import HttpStatusError, HttpTransport
from mcpcore.client.session import ClientSession, ServerInfo
from mcpcore.client.stdio import StdioTransport
from mcpcore.client.subscription import Subscription

__all__ = [
    "Client",
    "ClientCredentials",
    "ClientSession",
    "HttpStatusError",
    "HttpTransport",
    "IdJagGrant",
    "JwtBearerGrant",
    "OAuth",
    "OAuthError",
    "PaginationError",
    "ServerInfo",
    "StdioTransport",
    "Subscription",
    "Tokens",
    "follow_redirects",
]
