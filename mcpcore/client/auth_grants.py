"""Assertion grants: an OAuth client that trades an assertion for a token, with no user in the loop.

Two MCP authorization extensions end in the same RFC 7523 §2.1 token request
(``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`` with an
``assertion``) and differ in where the assertion comes from:

* :class:`JwtBearerGrant`, workload identity federation (SEP-1933): the
  workload already holds a JWT its platform issued (a Kubernetes service
  account token, a cloud instance identity); the client sends it as is.
* :class:`IdJagGrant`, enterprise-managed authorization (SEP-990): the
  client exchanges the user's ID token at the enterprise identity provider
  (RFC 8693 token exchange, ``requested_token_type`` ID-JAG) for an
  Identity Assertion JWT Authorization Grant addressed to the MCP
  server's authorization server, and sends that.

Give one to :class:`~mcpcore.client.auth.OAuth` (``grant=``); the client
authenticates at the token endpoint as usual (pre-registered secret,
``private_key_jwt`` or ``none``). A refused assertion is reported, never
retried with another grant: these clients have no user to fall back on.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from mcpcore.client.auth_rules import OAuthError

__all__ = [
    "ID_JAG_TOKEN_TYPE",
    "ID_TOKEN_TYPE",
    "JWT_BEARER",
    "TOKEN_EXCHANGE",
    "AssertionGrant",
    "FormPoster",
    "IdJagGrant",
    "JwtBearerGrant",
]

JWT_BEARER: Final = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_EXCHANGE: Final = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN_TYPE: Final = "urn:ietf:params:oauth:token-type:id_token"
ID_JAG_TOKEN_TYPE: Final = "urn:ietf:params:oauth:token-type:id-jag"

#: A secret the application supplies: the value, or a function giving it (sync or async), asked each time.
Secret = str | Callable[[], "str | Awaitable[str]"]


class FormPoster(Protocol):
    """POST ``fields`` form-encoded to ``url``; return the status and the decoded JSON body (or ``None``)."""

    def __call__(self, url: str, fields: Mapping[str, str | None]) -> Awaitable[tuple[int, Any]]: ...


class AssertionGrant(Protocol):
    """Where the JWT-bearer assertion comes from, for one token request."""

    async def assertion(self, post: FormPoster, issuer: str, resource: str, scopes: Sequence[str]) -> str: ...


async def _resolve(secret: Secret) -> str:
    value = secret() if callable(secret) else secret
    if inspect.isawaitable(value):
        value = await value
    if type(value) is not str or not value:
        raise OAuthError("the assertion source gave no token")
    return value


@dataclass
class JwtBearerGrant:
    """Workload identity federation (SEP-1933): send the workload's own JWT as the assertion.

    ``token`` is the JWT, or a function returning a fresh one (platform
    tokens are short-lived: a function is asked on every authorization).
    """

    token: Secret = field(repr=False)

    async def assertion(self, post: FormPoster, issuer: str, resource: str, scopes: Sequence[str]) -> str:
        return await _resolve(self.token)


@dataclass
class IdJagGrant:
    """Enterprise-managed authorization (SEP-990): exchange an ID token for an ID-JAG, then send that.

    The exchange (RFC 8693) goes to the identity provider's token endpoint
    with the ID token as ``subject_token``, the authorization server's
    issuer as ``audience`` and the MCP server as ``resource``; the answer's
    ``access_token`` is the ID-JAG (``issued_token_type`` ID-JAG).
    """

    idp_token_endpoint: str
    id_token: Secret = field(repr=False)
    idp_client_id: str | None = None
    idp_client_secret: str | None = field(default=None, repr=False)

    async def assertion(self, post: FormPoster, issuer: str, resource: str, scopes: Sequence[str]) -> str:
        fields: dict[str, str | None] = {
            "grant_type": TOKEN_EXCHANGE,
            "requested_token_type": ID_JAG_TOKEN_TYPE,
            "subject_token": await _resolve(self.id_token),
            "subject_token_type": ID_TOKEN_TYPE,
            "audience": issuer,
            "resource": resource,
            "scope": " ".join(scopes) if scopes else None,
            "client_id": self.idp_client_id,
            "client_secret": self.idp_client_secret,
        }
        status, payload = await post(self.idp_token_endpoint, fields)
        if status != 200 or type(payload) is not dict:
            error = payload.get("error") if type(payload) is dict else None
            raise OAuthError(
                f"the ID-JAG token exchange failed: HTTP {status}" + (f", {error}" if error else ""),
                error if type(error) is str else None,
            )
        token = payload.get("access_token")
        if type(token) is not str or not token:
            raise OAuthError("the ID-JAG token exchange answered no access_token")
        if payload.get("issued_token_type") != ID_JAG_TOKEN_TYPE:
            raise OAuthError(f"the token exchange issued {payload.get('issued_token_type')!r}, not an ID-JAG")
        return token
