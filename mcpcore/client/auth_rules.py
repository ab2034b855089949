"""OAuth 2.1 for MCP clients, the sans-I/O part: data types and the rules the flow follows.

Split from :mod:`mcpcore.client.auth` along its seam: everything here is a
pure function or a value (PKCE, ``WWW-Authenticate`` parsing, the RFC 9728 /
8414 / OIDC discovery URLs, canonical resource URIs, the authorization
response check, scope selection), testable without a socket; ``auth.py``
holds the fetching and the :class:`~mcpcore.client.auth.OAuth` client that
uses them.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

__all__ = [
    "EXPIRY_SKEW",
    "AuthorizationServer",
    "BearerChallenge",
    "ClientCredentials",
    "OAuthError",
    "Tokens",
    "authorization_server_metadata_urls",
    "canonical_resource",
    "check_authorization_response",
    "default_port",
    "origin_of",
    "parse_challenges",
    "parse_www_authenticate",
    "pkce_pair",
    "protected_resource_metadata_urls",
    "resource_matches",
    "s256",
    "select_scopes",
]

#: Refresh a token this many seconds before it expires.
EXPIRY_SKEW: Final = 30.0
_PRM_WELL_KNOWN: Final = "/.well-known/oauth-protected-resource"
_OAUTH_WELL_KNOWN: Final = "/.well-known/oauth-authorization-server"
_OIDC_WELL_KNOWN: Final = "/.well-known/openid-configuration"


class OAuthError(Exception):
    """Authorization could not be obtained (discovery, registration, the flow or the token request failed)."""

    def __init__(self, message: str, error: str | None = None) -> None:
        super().__init__(message)
        #: The OAuth ``error`` code, when an authorization server sent one.
        self.error = error


# --------------------------------------------------------------- data types


@dataclass(frozen=True)
class BearerChallenge:
    """The parameters of a ``WWW-Authenticate: Bearer`` challenge (RFC 6750 §3, RFC 9728 §5.1)."""

    error: str | None = None
    error_description: str | None = None
    scope: str | None = None
    resource_metadata: str | None = None

    @property
    def scopes(self) -> list[str]:
        return self.scope.split() if self.scope else []


@dataclass
class ClientCredentials:
    """A client registration: pre-registered, a metadata-document URL, or from DCR."""

    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    #: ``none``, ``client_secret_basic`` or ``client_secret_post``; ``None``: chosen from the metadata.
    token_endpoint_auth_method: str | None = None
    #: Only for this authorization server (its ``issuer``); ``None``: for whichever the server names.
    issuer: str | None = None
    #: A PEM private key for ``private_key_jwt`` (RFC 7523 §2.2; needs the ``[auth]`` extra).
    private_key: str | None = field(default=None, repr=False)
    #: The JWS algorithm of the ``private_key_jwt`` assertion (ES256, ES384, ES512, RS256, PS256).
    signing_algorithm: str = "ES256"


@dataclass
class Tokens:
    """What the token endpoint granted (``repr`` never shows the tokens)."""

    access_token: str = field(repr=False)
    token_type: str = "Bearer"
    refresh_token: str | None = field(default=None, repr=False)
    #: ``time.time()`` after which the access token is expired; ``None``: unknown.
    expires_at: float | None = None
    scopes: tuple[str, ...] = ()
    issuer: str = ""

    def expired(self, skew: float = EXPIRY_SKEW) -> bool:
        return self.expires_at is not None and time.time() + skew >= self.expires_at


@dataclass
class AuthorizationServer:
    """One authorization server's endpoints (from its metadata, or the 2025-03-26 defaults)."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    registration_endpoint: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def scopes_supported(self) -> list[str] | None:
        scopes = self.metadata.get("scopes_supported")
        return [s for s in scopes if type(s) is str] if type(scopes) is list else None

    @property
    def auth_methods(self) -> list[str]:
        methods = self.metadata.get("token_endpoint_auth_methods_supported")
        if type(methods) is list:
            return [m for m in methods if type(m) is str]
        return ["client_secret_basic"]  # RFC 8414 §2: the default when omitted


# ------------------------------------------------------------- pure pieces


def pkce_pair() -> tuple[str, str]:
    """A PKCE ``(code_verifier, code_challenge)`` for S256 (RFC 7636 §4.1-4.2): 43 unreserved chars."""
    verifier = secrets.token_urlsafe(48)[:64]
    return verifier, s256(verifier)


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _read_token(value: str, i: int) -> tuple[str, int]:
    start = i
    while i < len(value) and value[i] not in ' \t,="':
        i += 1
    return value[start:i], i


def _read_quoted(value: str, i: int) -> tuple[str, int]:
    """A quoted-string starting at ``value[i] == '"'``; backslash escapes one character."""
    out = []
    i += 1
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            out.append(value[i + 1])
            i += 2
            continue
        if ch == '"':
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    return "".join(out), i


def _skip(value: str, i: int, chars: str = " \t") -> int:
    while i < len(value) and value[i] in chars:
        i += 1
    return i


def parse_challenges(value: str) -> list[tuple[str, dict[str, str]]]:
    """Every challenge of a ``WWW-Authenticate`` value: ``[(scheme lower-cased, {param: value})]``.

    RFC 9110 §11.6.1: comma-separated challenges, each a scheme followed by
    ``name=token`` / ``name="quoted \\" string"`` parameters. A token not
    followed by ``=`` starts the next challenge; a token68 (``Basic abc==``)
    carries nothing MCP reads and is skipped.
    """
    challenges: list[tuple[str, dict[str, str]]] = []
    current: dict[str, str] | None = None
    i, n = 0, len(value)
    while i < n:
        i = _skip(value, i, " \t,")
        if i >= n:
            break
        name, i = _read_token(value, i)
        if not name:
            i += 1  # a stray character: skip it
            continue
        j = _skip(value, i)
        if current is not None and j < n and value[j] == "=":
            k = _skip(value, j + 1)
            if k < n and value[k] == '"':
                param, i = _read_quoted(value, k)
            else:
                param, i = _read_token(value, k)
            while i < n and value[i] == "=":  # token68 padding
                i += 1
            current.setdefault(name.lower(), param)
        else:
            current = {}
            challenges.append((name.lower(), current))
            i = j
    return challenges


def parse_www_authenticate(value: str | None) -> BearerChallenge | None:
    """The ``Bearer`` challenge of a ``WWW-Authenticate`` header, or ``None`` when there is none."""
    if not value:
        return None
    for scheme, params in parse_challenges(value):
        if scheme == "bearer":
            return BearerChallenge(
                error=params.get("error"),
                error_description=params.get("error_description"),
                scope=params.get("scope"),
                resource_metadata=params.get("resource_metadata"),
            )
    return None


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def protected_resource_metadata_urls(server_url: str, from_header: str | None = None) -> list[str]:
    """Where to look for RFC 9728 metadata, in order: the challenge's URL, path-specific, root."""
    urls: list[str] = []
    if from_header:
        urls.append(urljoin(server_url, from_header))
    path = urlsplit(server_url).path.rstrip("/")
    origin = origin_of(server_url)
    if path:
        urls.append(origin + _PRM_WELL_KNOWN + path)
    urls.append(origin + _PRM_WELL_KNOWN)
    return list(dict.fromkeys(urls))


def authorization_server_metadata_urls(issuer: str) -> list[str]:
    """RFC 8414 / OpenID Connect discovery URLs for ``issuer``, in the MCP spec's order.

    An issuer with a path (``https://as/tenant1``) inserts the well-known
    segment before it: OAuth ``/.well-known/oauth-authorization-server/tenant1``,
    then OIDC ``/.well-known/openid-configuration/tenant1``, then OIDC
    appended ``/tenant1/.well-known/openid-configuration``; an issuer
    without a path tries OAuth then OIDC at the root. Never the root when
    the issuer has a path: that would be another issuer's metadata.
    """
    origin = origin_of(issuer)
    path = urlsplit(issuer).path.rstrip("/")
    if not path:
        return [origin + _OAUTH_WELL_KNOWN, origin + _OIDC_WELL_KNOWN]
    return [
        origin + _OAUTH_WELL_KNOWN + path,
        origin + _OIDC_WELL_KNOWN + path,
        origin + path + _OIDC_WELL_KNOWN,
    ]


def default_port(scheme: str) -> int | None:
    return {"http": 80, "https": 443}.get(scheme)


def canonical_resource(url: str) -> str:
    """The RFC 8707 canonical URI of a server: lower-case scheme and host, no fragment or default port."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    netloc = host if port is None or port == default_port(scheme) else f"{host}:{port}"
    path = parts.path if parts.path not in ("", "/") else ""
    return urlunsplit((scheme, netloc, path, parts.query, ""))


def resource_matches(resource: str, server_url: str) -> bool:
    """RFC 9728 §3.3 / MCP: the metadata's ``resource`` names this server (same origin, a path prefix)."""
    a, b = urlsplit(canonical_resource(resource)), urlsplit(canonical_resource(server_url))
    if (a.scheme, a.netloc) != (b.scheme, b.netloc):
        return False
    prefix = a.path.rstrip("/")
    return not prefix or b.path == prefix or b.path.startswith(prefix + "/")


def check_authorization_response(
    redirect_url: str, *, state: str, issuer: str | None, iss_required: bool = False
) -> str:
    """The ``code`` of the redirect back from the authorization server, after checking it.

    ``state`` must echo ours (CSRF); an ``error`` becomes :class:`OAuthError`;
    RFC 9207: an ``iss`` must equal the issuer we started with (mix-up
    attacks), and must be there when the server's metadata promised it.
    """
    params = dict(parse_qsl(urlsplit(redirect_url).query, keep_blank_values=True))
    if params.get("state") != state:
        raise OAuthError("the authorization response's state does not match the request's")
    iss = params.get("iss")
    if iss is not None and issuer is not None and iss != issuer:
        raise OAuthError(f"the authorization response came from issuer {iss!r}, not {issuer!r} (RFC 9207)")
    if iss is None and iss_required:
        raise OAuthError("the authorization response lacks the iss parameter its server promised (RFC 9207)")
    if "error" in params:
        detail = params.get("error_description")
        raise OAuthError(
            f"authorization denied: {params['error']}" + (f" ({detail})" if detail else ""), params["error"]
        )
    code = params.get("code")
    if not code:
        raise OAuthError("the authorization response carries no code")
    return code


def select_scopes(
    challenge: BearerChallenge | None,
    resource_metadata: Mapping[str, Any] | None,
    server: AuthorizationServer | None = None,
    *,
    offline_access: bool = False,
) -> list[str]:
    """The MCP scope selection strategy: the challenge's ``scope``, else the resource's ``scopes_supported``.

    ``offline_access`` (a refresh token) is added only when the
    authorization server lists it, and dropped when it lists scopes without it.
    """
    scopes: list[str]
    if challenge is not None and challenge.scopes:
        scopes = challenge.scopes
    else:
        supported = (resource_metadata or {}).get("scopes_supported")
        scopes = [s for s in supported if type(s) is str] if type(supported) is list else []
    as_scopes = server.scopes_supported if server is not None else None
    if as_scopes is not None and "offline_access" not in as_scopes:
        scopes = [s for s in scopes if s != "offline_access"]
    elif offline_access and as_scopes is not None and "offline_access" not in scopes:
        scopes = [*scopes, "offline_access"]
    return list(dict.fromkeys(scopes))
