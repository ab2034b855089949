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

Without a user in the loop: a confidential client of a server that grants
only ``client_credentials`` uses that grant (SEP-1046), authenticating with
its secret or a ``private_key_jwt`` assertion; an :mod:`assertion grant
<mcpcore.client.auth_grants>` (``grant=``) trades a workload JWT or an
enterprise ID-JAG for a token. When the authorization server advertises
DPoP (``dpop_signing_alg_values_supported``), tokens are DPoP-bound
(RFC 9449): a proof on the token request and on every MCP request, the
``DPoP`` authorization scheme, and server nonces honoured. Signing needs
the ``[auth]`` extra (:mod:`mcpcore.client.jose`).

Only the standard library and mcpcore's own HTTP client. Tokens, codes,
verifiers and secrets never reach a log record or an exception message.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import secrets
import ssl as _ssl
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, Final
from urllib.parse import quote_plus, urlencode, urlsplit

import orjson

from mcpcore.client.auth_fetch import Fetched, Fetcher, follow_redirects, redact
from mcpcore.client.auth_grants import JWT_BEARER, AssertionGrant
from mcpcore.client.auth_rules import (
    AuthorizationServer,
    BearerChallenge,
    ClientCredentials,
    OAuthError,
    Tokens,
    authorization_server_metadata_urls,
    canonical_resource,
    check_authorization_response,
    origin_of,
    parse_challenges,
    parse_www_authenticate,
    pkce_pair,
    protected_resource_metadata_urls,
    resource_matches,
    s256,
    select_scopes,
)
from mcpcore.client.jose import CLIENT_ASSERTION_TYPE, DpopKey, client_assertion

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
    "parse_challenges",
    "parse_www_authenticate",
    "pkce_pair",
    "protected_resource_metadata_urls",
    "resource_matches",
    "s256",
]

_log = logging.getLogger("mcpcore.client.auth")

DEFAULT_REDIRECT_URI: Final = "http://127.0.0.1/oauth/callback"

#: The application's user agent: gets the authorization URL and the redirect URI, returns the URL
#: the authorization server redirected to (with ``code``, ``state`` and maybe ``iss``).
UserAgent = Callable[[str, str], Awaitable[str]]


# --------------------------------------------------------------- the client


def _form(fields: Mapping[str, str | None]) -> bytes:
    return urlencode({k: v for k, v in fields.items() if v is not None}).encode("ascii")


def _token_error(response: Fetched, what: str) -> OAuthError:
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
        (client.client_secret is not None or client.private_key is not None)
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
        grant: AssertionGrant | None = None,
        dpop: bool | None = None,
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
        #: Where a JWT-bearer assertion comes from (``None``: the authorization code flow).
        self.grant = grant
        #: DPoP-bound tokens: ``True`` always, ``False`` never, ``None`` when the server advertises DPoP.
        self.dpop = dpop
        self._dpop_key: DpopKey | None = None
        self._nonces: dict[str, str] = {}  # DPoP-Nonce per origin (authorization server, MCP server)
        self._fetcher = Fetcher(timeout, ssl)
        self._lock = asyncio.Lock()

    def bind(self, server_url: str) -> None:
        """Called by the transport: the MCP endpoint this client authorizes for."""
        self.server_url = server_url

    # ------------------------------------------------------ transport hooks

    def authorization(self) -> str | None:
        """The ``Authorization`` header value for the next request, if there is a token."""
        tokens = self.tokens
        return f"{tokens.token_type} {tokens.access_token}" if tokens is not None else None

    def proof_headers(self, method: str, url: str) -> list[tuple[str, str]]:
        """The ``DPoP`` header for one request to the MCP server (none for a bearer token)."""
        tokens = self.tokens
        if tokens is None or tokens.token_type != "DPoP" or self._dpop_key is None:
            return []
        nonce = self._nonces.get(origin_of(url))
        return [("dpop", self._dpop_key.proof(method, url, access_token=tokens.access_token, nonce=nonce))]

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
        dpop_nonce: str | None = None,
    ) -> None:
        """Obtain a token that answers this challenge (raises :class:`OAuthError` when none can be had).

        ``sent`` is the ``Authorization`` value the refused request carried:
        when another request already replaced that token, there is nothing to do.
        ``refused`` / ``step_ups`` count this request's earlier 401s / 403s,
        so a server that refuses every token cannot loop the client.
        """
        challenge = parse_www_authenticate(www_authenticate)
        if status == 401 and dpop_nonce and _asks_for_nonce(www_authenticate):
            if refused >= self.max_refusals:
                raise OAuthError("the server kept asking for a new DPoP nonce", "use_dpop_nonce")
            self._nonces[origin_of(self.server_url)] = dpop_nonce  # RFC 9449 §9: retry with it
            return
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
                    f"the protected-resource metadata at {redact(url)} names no authorization server"
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
                raise OAuthError(f"the metadata at {redact(url)} is for issuer {found!r}, not {issuer!r}")
            endpoints = [metadata.get(k) for k in ("authorization_endpoint", "token_endpoint")]
            if not all(type(e) is str for e in endpoints):
                raise OAuthError(f"the metadata at {redact(url)} lacks the authorization or token endpoint")
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
                server = await self.discover_server(origin_of(self.server_url), legacy=True)
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
        self._choose_dpop(server)
        if self.grant is not None:
            assertion = await self.grant.assertion(self._post_form, server.issuer, resource, scopes)
            fields: dict[str, str | None] = {
                "grant_type": JWT_BEARER,
                "assertion": assertion,
                "resource": resource,
                "scope": " ".join(scopes) if scopes else None,
            }
            self.tokens = await self._token_request(server, client, fields, scopes)
            return
        if _machine_to_machine(server, client):
            # SEP-1046: a confidential client of a server that only grants client_credentials.
            fields = {
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
        if client.private_key is not None and method in (None, "private_key_jwt"):
            # RFC 7523 §2.2: a signed assertion instead of a secret (aud: the server's issuer).
            fields["client_id"] = client.client_id
            fields["client_assertion_type"] = CLIENT_ASSERTION_TYPE
            fields["client_assertion"] = client_assertion(
                client.private_key, client.signing_algorithm, client.client_id, server.issuer
            )
            return []
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
        response = await self._post_token(server.token_endpoint, headers, _form(fields))
        payload = response.json()
        if response.status != 200 or type(payload) is not dict:
            raise _token_error(response, f"the token request ({fields['grant_type']})")
        access = payload.get("access_token")
        token_type = payload.get("token_type")
        if type(access) is not str or not access:
            raise OAuthError("the token response carries no access_token")
        bound = self._dpop_key is not None and type(token_type) is str and token_type.lower() == "dpop"
        if type(token_type) is not str or (token_type.lower() != "bearer" and not bound):
            raise OAuthError(f"unsupported token_type {token_type!r}")
        expires_in: Any = payload.get("expires_in")
        refresh = payload.get("refresh_token")
        scope = payload.get("scope")
        granted = tuple(scope.split()) if type(scope) is str else tuple(requested)
        return Tokens(
            access_token=access,
            token_type="DPoP" if bound else "Bearer",
            refresh_token=refresh if type(refresh) is str else None,
            expires_at=time.time() + float(expires_in) if type(expires_in) in (int, float) else None,
            scopes=granted,
            issuer=server.issuer,
        )

    # ----------------------------------------------------------------- DPoP

    def _choose_dpop(self, server: AuthorizationServer) -> None:
        """Make the DPoP key when this client binds tokens with ``server`` (RFC 9449 §5.1 metadata)."""
        if self._dpop_key is not None or self.dpop is False:
            return
        algorithms = server.metadata.get("dpop_signing_alg_values_supported")
        advertised = type(algorithms) is list and DpopKey.alg in algorithms
        if self.dpop or advertised:
            self._dpop_key = DpopKey()  # raises OAuthError naming the [auth] extra when it is missing

    async def _post_token(self, url: str, headers: list[tuple[str, str]], body: bytes) -> Fetched:
        """POST to a token endpoint, with a DPoP proof when binding; one retry with the server's nonce."""
        key = self._dpop_key
        if key is None:
            return await self._fetcher.request("POST", url, headers, body)
        origin = origin_of(url)
        response = await self._fetcher.request(
            "POST", url, [*headers, ("dpop", key.proof("POST", url, nonce=self._nonces.get(origin)))], body
        )
        nonce = response.headers.get("dpop-nonce")
        if nonce:
            self._nonces[origin] = nonce
        payload = response.json() if response.status == 400 else None
        if nonce and type(payload) is dict and payload.get("error") == "use_dpop_nonce":
            response = await self._fetcher.request(
                "POST", url, [*headers, ("dpop", key.proof("POST", url, nonce=nonce))], body
            )
        return response

    async def _post_form(self, url: str, fields: Mapping[str, str | None]) -> tuple[int, Any]:
        """The :class:`~mcpcore.client.auth_grants.FormPoster` assertion grants use (no client auth)."""
        headers = [("content-type", "application/x-www-form-urlencoded")]
        response = await self._fetcher.request("POST", url, headers, _form(fields))
        return response.status, response.json()


def _asks_for_nonce(www_authenticate: str | None) -> bool:
    """A ``DPoP error="use_dpop_nonce"`` challenge (RFC 9449 §9)."""
    return any(
        scheme == "dpop" and params.get("error") == "use_dpop_nonce"
        for scheme, params in parse_challenges(www_authenticate or "")
    )
