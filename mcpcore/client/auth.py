"""The OAuth 2.1 client for Streamable HTTP: MCP authorization, from a 401 to a bearer token.

An MCP server over HTTP is an OAuth 2.1 *resource server*. When it answers
401 (no or a bad token) or 403 ``insufficient_scope`` (step-up), the
:class:`~mcpcore.client.http.HttpTransport` hands the challenge to
:class:`OAuth`, which:

1. reads ``WWW-Authenticate: Bearer resource_metadata="…", scope="…"``
   (:func:`parse_www_authenticate`), else tries the RFC 9728 well-known
   protected-resource metadata URLs, path-specific first, then the root
   (:func:`protected_resource_metadata_urls`); checks that the metadata's
   ``resource`` names this server (:func:`resource_matches`);
2. fetches the authorization server's metadata: RFC 8414 and OpenID Connect
   discovery in the spec's path-insertion order
   (:func:`authorization_server_metadata_urls`), and checks its ``issuer``;
   a 2025-03-26 server without protected-resource metadata is its own
   authorization server (its origin's metadata, else ``/authorize``,
   ``/token``, ``/register``);
3. gets a client id: pre-registered credentials, else a Client ID Metadata
   Document URL when the server supports them, else Dynamic Client
   Registration (RFC 7591); registrations are kept per issuer and never
   reused with another authorization server;
4. runs the authorization code flow with PKCE S256 (:func:`pkce_pair`) and
   the RFC 8707 ``resource`` parameter: the *user agent* (a callable the
   application supplies: it opens a browser, or :func:`follow_redirects`
   for headless tests) takes the authorization URL and returns the URL the
   authorization server redirected back to; ``state`` and the RFC 9207
   ``iss`` are checked (:func:`check_authorization_response`) before the
   code is redeemed;
5. refreshes expired tokens with the refresh token, and on a 403
   ``insufficient_scope`` re-authorizes with the union of the scopes held
   and the scopes asked for, at most :attr:`OAuth.max_step_ups` times for
   one request (and gives up at once when the token already holds them).

Only the standard library and mcpcore's own HTTP client. Tokens, codes,
verifiers and secrets never reach a log record or an exception message.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import logging
import secrets
import ssl as _ssl
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qsl, quote_plus, urlencode, urljoin, urlsplit, urlunsplit

import orjson

from mcpcore.client.http_pool import HttpPool
from mcpcore.wire.http11_client import InvalidResponse

__all__ = [
    "AuthorizationServer",
    "BearerChallenge",
    "ClientCredentials",
    "OAuth",
    "OAuthError",
    "Tokens",
    "UserAgent",
    "authorization_server_metadata_urls",
    "canonical_resource",
    "check_authorization_response",
    "follow_redirects",
    "parse_www_authenticate",
    "pkce_pair",
    "protected_resource_metadata_urls",
    "resource_matches",
]

_log = logging.getLogger("mcpcore.client.auth")

#: The largest metadata / token / registration response read (bytes).
MAX_AUTH_RESPONSE_BYTES: Final = 1 << 20
#: Refresh a token this many seconds before it expires.
EXPIRY_SKEW: Final = 30.0
DEFAULT_REDIRECT_URI: Final = "http://127.0.0.1/oauth/callback"
_PRM_WELL_KNOWN: Final = "/.well-known/oauth-protected-resource"
_OAUTH_WELL_KNOWN: Final = "/.well-known/oauth-authorization-server"
_OIDC_WELL_KNOWN: Final = "/.well-known/openid-configuration"

#: The application's user agent: gets the authorization URL and the redirect URI, returns the URL
#: the authorization server redirected to (with ``code``, ``state`` and maybe ``iss``).
UserAgent = Callable[[str, str], Awaitable[str]]


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


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def protected_resource_metadata_urls(server_url: str, from_header: str | None = None) -> list[str]:
    """Where to look for RFC 9728 metadata, in order: the challenge's URL, path-specific, root."""
    urls: list[str] = []
    if from_header:
        urls.append(urljoin(server_url, from_header))
    path = urlsplit(server_url).path.rstrip("/")
    origin = _origin(server_url)
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
    origin = _origin(issuer)
    path = urlsplit(issuer).path.rstrip("/")
    if not path:
        return [origin + _OAUTH_WELL_KNOWN, origin + _OIDC_WELL_KNOWN]
    return [
        origin + _OAUTH_WELL_KNOWN + path,
        origin + _OIDC_WELL_KNOWN + path,
        origin + path + _OIDC_WELL_KNOWN,
    ]


def _default_port(scheme: str) -> int | None:
    return {"http": 80, "https": 443}.get(scheme)


def canonical_resource(url: str) -> str:
    """The RFC 8707 canonical URI of a server: lower-case scheme and host, no fragment or default port."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    netloc = host if port is None or port == _default_port(scheme) else f"{host}:{port}"
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


# ----------------------------------------------------------------- fetching


@dataclass
class _Fetched:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError:
            return None


class _Fetcher:
    """One-shot HTTP exchanges with any origin, on mcpcore's own HTTP client (a pool per origin)."""

    def __init__(self, timeout: float, ssl: _ssl.SSLContext | None = None) -> None:
        self.timeout = timeout
        self.ssl = ssl
        self._pools: dict[tuple[str, str, int], HttpPool] = {}

    def _pool(self, url: str) -> tuple[HttpPool, str, str]:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise OAuthError(f"not an http(s) URL: {url!r}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        key = (parts.scheme, parts.hostname, port)
        pool = self._pools.get(key)
        if pool is None:
            context: _ssl.SSLContext | None = None
            if parts.scheme == "https":
                context = self.ssl or _ssl.create_default_context()
            pool = HttpPool(
                parts.hostname, port, ssl=context, max_idle=2, max_body_bytes=MAX_AUTH_RESPONSE_BYTES
            )
            self._pools[key] = pool
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        host_header = host if parts.port in (None, _default_port(parts.scheme)) else f"{host}:{parts.port}"
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return pool, host_header, target

    async def request(
        self,
        method: str,
        url: str,
        headers: Sequence[tuple[str, str]] = (),
        body: bytes | None = None,
    ) -> _Fetched:
        pool, host, target = self._pool(url)
        all_headers = [("host", host), ("accept", "application/json"), *headers]

        async def exchange() -> _Fetched:
            response = await pool.open(method, target, all_headers, body)
            data = await response.read(MAX_AUTH_RESPONSE_BYTES)
            return _Fetched(response.status, response.headers, data)

        try:
            return await asyncio.wait_for(exchange(), self.timeout)
        except (OSError, InvalidResponse, asyncio.TimeoutError) as exc:
            raise OAuthError(f"{method} {_redact(url)}: {exc or type(exc).__name__}") from None

    def close(self) -> None:
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()


def _redact(url: str) -> str:
    """A URL for messages: without its query (an authorization URL's query holds the PKCE challenge)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


async def follow_redirects(authorization_url: str, redirect_uri: str, *, max_hops: int = 10) -> str:
    """A headless user agent: GET the authorization URL, follow redirects until one targets ``redirect_uri``.

    For authorization servers that approve without a login page (tests,
    conformance mocks, pre-consented clients). The redirect URI itself is
    never fetched: its URL, with ``code`` and ``state``, is returned.
    """
    fetcher = _Fetcher(timeout=30.0)
    target = urlsplit(redirect_uri)
    url = authorization_url
    try:
        for _ in range(max_hops):
            response = await fetcher.request("GET", url, [("accept", "text/html, */*")])
            location = response.headers.get("location")
            if response.status not in (301, 302, 303, 307, 308) or not location:
                raise OAuthError(f"the authorization endpoint answered {response.status} without a redirect")
            url = urljoin(url, location)
            parts = urlsplit(url)
            if (parts.scheme, parts.netloc, parts.path) == (target.scheme, target.netloc, target.path):
                return url
        raise OAuthError(f"more than {max_hops} redirects from the authorization endpoint")
    finally:
        fetcher.close()


# --------------------------------------------------------------- the client


def _form(fields: Mapping[str, str | None]) -> bytes:
    return urlencode({k: v for k, v in fields.items() if v is not None}).encode("ascii")


def _token_error(response: _Fetched, what: str) -> OAuthError:
    payload = response.json()
    error = payload.get("error") if type(payload) is dict and type(payload.get("error")) is str else None
    detail = payload.get("error_description") if type(payload) is dict else None
    text = f"{what} failed: HTTP {response.status}" + (f", {error}" if error else "")
    if type(detail) is str and detail:
        text += f" ({detail[:200]})"
    return OAuthError(text, error)


def _machine_to_machine(server: AuthorizationServer, client: ClientCredentials) -> bool:
    grants = server.metadata.get("grant_types_supported")
    return (
        client.client_secret is not None
        and type(grants) is list
        and "client_credentials" in grants
        and "authorization_code" not in grants
    )


class OAuth:
    """An OAuth 2.1 client for one MCP server; give it to ``Client.http(url, auth=...)``.

    ``user_agent`` completes the authorization step (see :data:`UserAgent`);
    ``client`` is a pre-registered client (``ClientCredentials``);
    ``client_metadata_url`` is this client's Client ID Metadata Document
    (an ``https`` URL), used when the authorization server supports them;
    ``client_metadata`` adds fields to a Dynamic Client Registration
    request. ``scopes`` overrides the spec's scope selection.
    """

    def __init__(
        self,
        user_agent: UserAgent = follow_redirects,
        *,
        redirect_uri: str = DEFAULT_REDIRECT_URI,
        client: ClientCredentials | None = None,
        client_metadata_url: str | None = None,
        client_name: str = "mcpcore-client",
        client_metadata: Mapping[str, Any] | None = None,
        scopes: Sequence[str] | None = None,
        offline_access: bool = True,
        tokens: Tokens | None = None,
        max_step_ups: int = 2,
        timeout: float = 30.0,
        ssl: _ssl.SSLContext | None = None,
    ) -> None:
        self.user_agent = user_agent
        self.redirect_uri = redirect_uri
        self.client = client
        self.client_metadata_url = client_metadata_url
        self.client_name = client_name
        self.client_metadata = dict(client_metadata or {})
        self.scopes = list(scopes) if scopes is not None else None
        self.offline_access = offline_access
        #: The current tokens (``None`` before the first authorization); an application may persist them.
        self.tokens = tokens
        #: Dynamic registrations, keyed by the issuer that made them.
        self.registrations: dict[str, ClientCredentials] = {}
        self.max_step_ups = max_step_ups
        #: 401s tolerated for one request (an expired token, then a refreshed one, then a new one).
        self.max_refusals = 3
        self.server_url = ""
        self.resource_metadata: dict[str, Any] | None = None
        self.server: AuthorizationServer | None = None
        #: How many times the authorization flow ran (each asks the user agent once).
        self.authorizations = 0
        self._fetcher = _Fetcher(timeout, ssl)
        self._lock = asyncio.Lock()

    def bind(self, server_url: str) -> None:
        """Called by the transport: the MCP endpoint this client authorizes for."""
        self.server_url = server_url

    # ------------------------------------------------------ transport hooks

    def authorization(self) -> str | None:
        """The ``Authorization`` header value for the next request, if there is a token."""
        tokens = self.tokens
        return f"Bearer {tokens.access_token}" if tokens is not None else None

    async def before_request(self) -> None:
        """Refresh an expired access token before it is sent (cheap when nothing is due)."""
        tokens = self.tokens
        if tokens is None or not tokens.expired() or tokens.refresh_token is None:
            return
        async with self._lock:
            if self.tokens is tokens:
                with contextlib.suppress(OAuthError):
                    await self._refresh(tokens)

    def wants(self, status: int, www_authenticate: str | None) -> bool:
        """Whether a response is an authorization challenge this client handles."""
        if status == 401:
            return True
        if status == 403:
            challenge = parse_www_authenticate(www_authenticate)
            return challenge is not None and challenge.error == "insufficient_scope"
        return False

    async def handle(
        self,
        status: int,
        www_authenticate: str | None,
        sent: str | None,
        *,
        refused: int = 0,
        step_ups: int = 0,
    ) -> None:
        """Obtain a token that answers this challenge (raises :class:`OAuthError` when none can be had).

        ``sent`` is the ``Authorization`` value the refused request carried:
        when another request already replaced that token, there is nothing to do.
        ``refused`` / ``step_ups`` count this request's earlier 401s / 403s,
        so a server that refuses every token cannot loop the client.
        """
        challenge = parse_www_authenticate(www_authenticate)
        async with self._lock:
            if status == 401:
                if self.authorization() != sent and self.tokens is not None:
                    return  # someone re-authorized while this request was refused
                if refused >= self.max_refusals:
                    raise OAuthError(f"the server refused {refused + 1} tokens in a row", "invalid_token")
                tokens = self.tokens
                if tokens is not None and tokens.refresh_token is not None:
                    try:
                        await self._refresh(tokens)
                        return
                    except OAuthError as exc:
                        _log.info("token refresh failed (%s); authorizing again", exc.error or "error")
                await self._authorize(challenge, step_up=False)
                return
            # 403 insufficient_scope: step-up.
            if self.authorization() != sent and self.tokens is not None:
                return
            held = set(self.tokens.scopes) if self.tokens is not None else set()
            wanted = set(challenge.scopes if challenge is not None else ())
            if wanted and wanted <= held:
                raise OAuthError(
                    f"the server demands scopes {sorted(wanted)} the token already holds",
                    "insufficient_scope",
                )
            if step_ups >= self.max_step_ups:
                raise OAuthError(f"gave up after {step_ups} scope step-ups", "insufficient_scope")
            await self._authorize(challenge, step_up=True)

    def close(self) -> None:
        self._fetcher.close()

    # ------------------------------------------------------------ discovery

    async def _get_json(self, url: str) -> dict[str, Any] | None:
        response = await self._fetcher.request("GET", url)
        if response.status != 200:
            return None
        payload = response.json()
        return payload if type(payload) is dict else None

    async def discover_resource(self, challenge: BearerChallenge | None) -> dict[str, Any] | None:
        """The RFC 9728 metadata of the server (``None`` for a 2025-03-26 server without it)."""
        header_url = challenge.resource_metadata if challenge is not None else None
        for url in protected_resource_metadata_urls(self.server_url, header_url):
            metadata = await self._get_json(url)
            if metadata is None:
                continue
            servers = metadata.get("authorization_servers")
            if type(servers) is not list or not servers or type(servers[0]) is not str:
                raise OAuthError(
                    f"the protected-resource metadata at {_redact(url)} names no authorization server"
                )
            resource = metadata.get("resource")
            if type(resource) is not str or not resource_matches(resource, self.server_url):
                raise OAuthError(
                    f"the protected-resource metadata is for {resource!r}, "
                    f"not {self.server_url!r} (RFC 9728 §3.3)"
                )
            return metadata
        return None

    async def discover_server(self, issuer: str, *, legacy: bool = False) -> AuthorizationServer:
        """The authorization server's metadata, its ``issuer`` checked (RFC 8414 §3.3)."""
        for url in authorization_server_metadata_urls(issuer):
            metadata = await self._get_json(url)
            if metadata is None:
                continue
            found = metadata.get("issuer")
            if not legacy and (type(found) is not str or found.rstrip("/") != issuer.rstrip("/")):
                raise OAuthError(f"the metadata at {_redact(url)} is for issuer {found!r}, not {issuer!r}")
            endpoints = [metadata.get(k) for k in ("authorization_endpoint", "token_endpoint")]
            if not all(type(e) is str for e in endpoints):
                raise OAuthError(f"the metadata at {_redact(url)} lacks the authorization or token endpoint")
            registration = metadata.get("registration_endpoint")
            return AuthorizationServer(
                issuer=found if type(found) is str else issuer,
                authorization_endpoint=endpoints[0],  # type: ignore[arg-type]
                token_endpoint=endpoints[1],  # type: ignore[arg-type]
                registration_endpoint=registration if type(registration) is str else None,
                metadata=metadata,
            )
        if legacy:
            # 2025-03-26 §2.3.3: no metadata at all: the default endpoints at the server's origin.
            return AuthorizationServer(issuer, issuer + "/authorize", issuer + "/token", issuer + "/register")
        raise OAuthError(f"no authorization server metadata for {issuer!r}")

    # --------------------------------------------------------- registration

    async def client_for(self, server: AuthorizationServer) -> ClientCredentials:
        """The client to use with ``server``: pre-registered, metadata document, or registered now."""
        if self.client is not None and self.client.issuer in (None, server.issuer):
            return self.client
        known = self.registrations.get(server.issuer)
        if known is not None:
            return known
        if self.client_metadata_url and server.metadata.get("client_id_metadata_document_supported") is True:
            return ClientCredentials(self.client_metadata_url, token_endpoint_auth_method="none")
        if server.registration_endpoint is None:
            raise OAuthError(
                f"{server.issuer} supports neither client metadata documents nor dynamic registration, "
                "and no client is pre-registered for it"
            )
        registered = await self._register(server)
        self.registrations[server.issuer] = registered
        return registered

    async def _register(self, server: AuthorizationServer) -> ClientCredentials:
        methods = (
            server.auth_methods if "token_endpoint_auth_methods_supported" in server.metadata else ["none"]
        )
        method = next(
            (m for m in ("none", "client_secret_basic", "client_secret_post") if m in methods), "none"
        )
        request: dict[str, Any] = {
            "client_name": self.client_name,
            "redirect_uris": [self.redirect_uri],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": method,
            "application_type": "native",
            **self.client_metadata,
        }
        assert server.registration_endpoint is not None
        response = await self._fetcher.request(
            "POST",
            server.registration_endpoint,
            [("content-type", "application/json")],
            orjson.dumps(request),
        )
        payload = response.json()
        if response.status not in (200, 201) or type(payload) is not dict:
            raise _token_error(response, "dynamic client registration")
        client_id = payload.get("client_id")
        if type(client_id) is not str or not client_id:
            raise OAuthError("the registration response carries no client_id")
        secret = payload.get("client_secret")
        returned_method = payload.get("token_endpoint_auth_method")
        _log.info("registered with %s as a new client", server.issuer)
        return ClientCredentials(
            client_id,
            secret if type(secret) is str else None,
            returned_method if type(returned_method) is str else None,
            issuer=server.issuer,
        )

    # ------------------------------------------------------------- the flow

    def _resource(self) -> str:
        metadata = self.resource_metadata
        if metadata is not None and type(metadata.get("resource")) is str:
            return str(metadata["resource"])
        return canonical_resource(self.server_url)

    async def _authorize(self, challenge: BearerChallenge | None, *, step_up: bool) -> None:
        """Discovery (first time), registration, the authorization code flow, the token request."""
        if self.server is None or not step_up:
            metadata = await self.discover_resource(challenge)
            self.resource_metadata = metadata
            if metadata is not None:
                server = await self.discover_server(metadata["authorization_servers"][0])
            else:
                server = await self.discover_server(_origin(self.server_url), legacy=True)
            if self.tokens is not None and self.tokens.issuer != server.issuer:
                self.tokens = None  # credentials never cross authorization servers
            self.server = server
        server = self.server
        client = await self.client_for(server)
        if self.scopes is not None:
            scopes = list(self.scopes)
        else:
            scopes = select_scopes(
                challenge, self.resource_metadata, server, offline_access=self.offline_access
            )
        if step_up:
            held = self.tokens.scopes if self.tokens is not None else ()
            asked = challenge.scopes if challenge is not None else []
            scopes = list(dict.fromkeys([*held, *scopes, *asked]))
        resource = self._resource()
        if _machine_to_machine(server, client):
            # SEP-1046: a confidential client of a server that only grants client_credentials.
            fields: dict[str, str | None] = {
                "grant_type": "client_credentials",
                "resource": resource,
                "scope": " ".join(scopes) if scopes else None,
            }
            self.tokens = await self._token_request(server, client, fields, scopes)
            return
        if server.metadata:  # the spec: no advertised S256, no authorization
            methods = server.metadata.get("code_challenge_methods_supported")
            if type(methods) is not list or "S256" not in methods:
                raise OAuthError(f"{server.issuer} does not advertise PKCE S256; refusing to authorize")
        verifier, code_challenge = pkce_pair()
        state = secrets.token_urlsafe(24)
        query = {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": self.redirect_uri,
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
            "resource": resource,
            "scope": " ".join(scopes) if scopes else None,
        }
        separator = "&" if urlsplit(server.authorization_endpoint).query else "?"
        url = server.authorization_endpoint + separator + _form(query).decode("ascii")
        self.authorizations += 1
        redirected = await self.user_agent(url, self.redirect_uri)
        code = check_authorization_response(
            redirected,
            state=state,
            issuer=server.issuer if server.metadata else None,
            iss_required=server.metadata.get("authorization_response_iss_parameter_supported") is True,
        )
        fields = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "code_verifier": verifier,
            "resource": resource,
        }
        self.tokens = await self._token_request(server, client, fields, scopes)

    async def _refresh(self, tokens: Tokens) -> None:
        server = self.server
        if server is None or tokens.refresh_token is None:
            raise OAuthError("nothing to refresh with")
        client = await self.client_for(server)
        fields: dict[str, str | None] = {
            "grant_type": "refresh_token",
            "refresh_token": tokens.refresh_token,
            "resource": self._resource(),
        }
        fresh = await self._token_request(server, client, fields, list(tokens.scopes))
        if fresh.refresh_token is None:
            fresh.refresh_token = tokens.refresh_token  # RFC 6749 §6: the old one stays valid
        self.tokens = fresh

    def _client_auth(
        self, server: AuthorizationServer, client: ClientCredentials, fields: dict[str, str | None]
    ) -> list[tuple[str, str]]:
        """Client authentication at the token endpoint (RFC 6749 §2.3); returns extra headers."""
        method = client.token_endpoint_auth_method
        if method is None:
            if client.client_secret is None:
                method = "none"
            else:
                supported = server.auth_methods
                method = (
                    "client_secret_post"
                    if "client_secret_basic" not in supported and ("client_secret_post" in supported)
                    else "client_secret_basic"
                )
        if method == "client_secret_basic" and client.client_secret is not None:
            pair = f"{quote_plus(client.client_id)}:{quote_plus(client.client_secret)}"
            return [("authorization", "Basic " + base64.b64encode(pair.encode()).decode("ascii"))]
        fields["client_id"] = client.client_id
        if method == "client_secret_post" and client.client_secret is not None:
            fields["client_secret"] = client.client_secret
        return []

    async def _token_request(
        self,
        server: AuthorizationServer,
        client: ClientCredentials,
        fields: dict[str, str | None],
        requested: Iterable[str],
    ) -> Tokens:
        headers = [("content-type", "application/x-www-form-urlencoded")]
        headers += self._client_auth(server, client, fields)
        response = await self._fetcher.request("POST", server.token_endpoint, headers, _form(fields))
        payload = response.json()
        if response.status != 200 or type(payload) is not dict:
            raise _token_error(response, f"the token request ({fields['grant_type']})")
        access = payload.get("access_token")
        token_type = payload.get("token_type")
        if type(access) is not str or not access:
            raise OAuthError("the token response carries no access_token")
        if type(token_type) is not str or token_type.lower() != "bearer":
            raise OAuthError(f"unsupported token_type {token_type!r}")
        expires_in: Any = payload.get("expires_in")
        refresh = payload.get("refresh_token")
        scope = payload.get("scope")
        granted = tuple(scope.split()) if type(scope) is str else tuple(requested)
        return Tokens(
            access_token=access,
            token_type="Bearer",
            refresh_token=refresh if type(refresh) is str else None,
            expires_at=time.time() + float(expires_in) if type(expires_in) in (int, float) else None,
            scopes=granted,
            issuer=server.issuer,
        )
