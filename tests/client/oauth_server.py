"""A tiny OAuth 2.1 authorization server on a real loopback socket, for the OAuth client's tests.

Serves RFC 8414 metadata (at the well-known URL for its issuer, or wherever
``metadata_paths`` says), ``/authorize`` (approves at once: 302 to the
redirect URI with ``code``, ``state`` and the RFC 9207 ``iss``), ``/token``
(authorization code with a PKCE S256 check, refresh tokens) and
``/register`` (RFC 7591). Every request is recorded, so tests can assert the
order of discovery and the parameters the client sent. :meth:`verify` is a
:class:`~mcpcore.transport.security.TokenVerifier` for mcpcore's
``BearerAuth``, so the MCP server trusts exactly the tokens issued here.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import orjson

from mcpcore.transport.security import AccessToken


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    form: dict[str, str]


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    resource: str
    scopes: tuple[str, ...]


@dataclass
class TinyAuthServer:
    """Options are attributes; tests change them between requests."""

    issuer_path: str = ""
    #: Paths serving the metadata (default: the RFC 8414 well-known URL of the issuer).
    metadata_paths: tuple[str, ...] | None = None
    #: JSON documents served verbatim at these paths (protected-resource metadata for discovery tests).
    documents: dict[str, Any] = field(default_factory=dict)
    send_iss: bool = True
    wrong_iss: str | None = None
    metadata_issuer: str | None = None
    scopes_supported: list[str] | None = None
    refresh_tokens: bool = True
    #: The first ``downscope`` tokens granted hold no scope at all (each forces a 403 step-up).
    downscope: int = 0
    #: Scopes the token response reports but the resource server never sees in the token.
    hidden_scopes: frozenset[str] = frozenset()
    #: ``grant_types_supported`` (default: authorization_code and refresh_token).
    grant_types: list[str] | None = None
    #: Assertions the jwt-bearer grant accepts (workload JWTs, ID-JAGs).
    assertions: set[str] = field(default_factory=set)
    #: Advertise DPoP (ES256); then a token request with a ``DPoP`` header gets a DPoP-bound token.
    dpop: bool = False
    #: When set, a token request whose DPoP proof lacks this nonce gets 400 ``use_dpop_nonce``.
    dpop_nonce: str | None = None
    #: Checks a ``client_assertion`` (private_key_jwt); returns the client id it authenticates, or None.
    assertion_checker: Any = None
    requests: list[Seen] = field(default_factory=list)
    issued: dict[str, AccessToken] = field(default_factory=dict)
    port: int = 0
    _grants: dict[str, _Grant] = field(default_factory=dict)
    _refresh: dict[str, tuple[str, str, tuple[str, ...]]] = field(default_factory=dict)
    _server: asyncio.Server | None = None
    _granted: int = 0

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return self.origin + self.issuer_path

    def metadata(self) -> dict[str, Any]:
        base = self.issuer
        document: dict[str, Any] = {
            "issuer": self.metadata_issuer or base,
            "authorization_endpoint": base + "/authorize",
            "token_endpoint": base + "/token",
            "registration_endpoint": base + "/register",
            "response_types_supported": ["code"],
            "grant_types_supported": self.grant_types or ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_basic"],
            "authorization_response_iss_parameter_supported": self.send_iss,
        }
        if self.scopes_supported is not None:
            document["scopes_supported"] = self.scopes_supported
        if self.dpop:
            document["dpop_signing_alg_values_supported"] = ["ES256"]
        return document

    def paths(self, name: str) -> list[str]:
        return [seen.path for seen in self.requests if seen.path.endswith(name)]

    async def start(self) -> TinyAuthServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    def revoke_all(self) -> None:
        self.issued.clear()

    async def verify(self, token: str) -> AccessToken | None:
        return self.issued.get(token)

    # ------------------------------------------------------------ the wire

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, _, value = line.partition(":")
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                parts = urlsplit(target)
                form: dict[str, str] = {}
                if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
                    form = dict(parse_qsl(body.decode()))
                elif body:
                    form = orjson.loads(body)
                seen = Seen(method, parts.path, dict(parse_qsl(parts.query)), headers, form)
                self.requests.append(seen)
                status, extra, payload = self._route(seen)
                out = [f"HTTP/1.1 {status} X", f"content-length: {len(payload)}"]
                out += [f"{k}: {v}" for k, v in extra.items()]
                writer.write(("\r\n".join(out) + "\r\n\r\n").encode() + payload)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def _json(self, status: int, document: Any) -> tuple[int, dict[str, str], bytes]:
        return status, {"content-type": "application/json"}, orjson.dumps(document)

    def _route(self, seen: Seen) -> tuple[int, dict[str, str], bytes]:
        path = seen.path
        if path in self.documents:
            return self._json(200, self.documents[path])
        default = "/.well-known/oauth-authorization-server" + self.issuer_path
        if seen.method == "GET" and path in (self.metadata_paths or (default,)):
            return self._json(200, self.metadata())
        if path == self.issuer_path + "/authorize":
            return self._authorize(seen.query)
        if path == self.issuer_path + "/token" and seen.method == "POST":
            return self._token(seen)
        if path == self.issuer_path + "/register" and seen.method == "POST":
            client_id = "client-" + secrets.token_hex(4)
            return self._json(201, {"client_id": client_id, "token_endpoint_auth_method": "none"})
        return self._json(404, {"error": "not_found"})

    def _authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return self._json(400, {"error": "invalid_request"})
        code = secrets.token_urlsafe(16)
        self._grants[code] = _Grant(
            query["client_id"],
            query["redirect_uri"],
            query["code_challenge"],
            query.get("resource", ""),
            tuple(query.get("scope", "").split()),
        )
        back = {"code": code, "state": query.get("state", "")}
        if self.send_iss:
            back["iss"] = self.wrong_iss or self.issuer
        return 302, {"location": query["redirect_uri"] + "?" + urlencode(back)}, b""

    def _token(self, seen: Seen) -> tuple[int, dict[str, str], bytes]:
        form = seen.form
        proof = seen.headers.get("dpop")
        if self.dpop_nonce is not None and proof is not None:
            claims = orjson.loads(base64.urlsafe_b64decode(proof.split(".")[1] + "=="))
            if claims.get("nonce") != self.dpop_nonce:
                status, headers, body = self._json(400, {"error": "use_dpop_nonce"})
                return status, {**headers, "dpop-nonce": self.dpop_nonce}, body
        bound = self.dpop and proof is not None
        if form.get("grant_type") == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            if form.get("assertion") not in self.assertions:
                return self._json(400, {"error": "invalid_grant"})
            return self._issue(form.get("client_id", "?"), form.get("resource", ""), (), bound)
        if form.get("grant_type") == "client_credentials":
            client = self.assertion_checker(form) if self.assertion_checker is not None else None
            if client is None:
                return self._json(401, {"error": "invalid_client"})
            return self._issue(client, form.get("resource", ""), (), bound)
        if form.get("grant_type") == "authorization_code":
            grant = self._grants.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            digest = hashlib.sha256(verifier.encode()).digest()
            computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if grant is None or computed != grant.challenge or form.get("redirect_uri") != grant.redirect_uri:
                return self._json(400, {"error": "invalid_grant"})
            if form.get("resource") != grant.resource:
                return self._json(400, {"error": "invalid_target"})
            return self._issue(grant.client_id, grant.resource, grant.scopes, bound)
        if form.get("grant_type") == "refresh_token":
            known = self._refresh.pop(form.get("refresh_token", ""), None)
            if known is None:
                return self._json(400, {"error": "invalid_grant"})
            return self._issue(known[0], known[1], known[2])
        return self._json(400, {"error": "unsupported_grant_type"})

    def _issue(
        self, client_id: str, resource: str, scopes: tuple[str, ...], bound: bool = False
    ) -> tuple[int, dict[str, str], bytes]:
        self._granted += 1
        if self._granted <= self.downscope:
            scopes = ()
        token = "at-" + secrets.token_urlsafe(16)
        seen_by_resource = frozenset(scopes) - self.hidden_scopes
        self.issued[token] = AccessToken(client_id, seen_by_resource, time.time() + 3600, (resource,))
        answer: dict[str, Any] = {
            "access_token": token,
            "token_type": "DPoP" if bound else "Bearer",
            "expires_in": 3600,
            "scope": " ".join(scopes),
        }
        if self.refresh_tokens:
            refresh = "rt-" + secrets.token_urlsafe(16)
            self._refresh[refresh] = (client_id, resource, scopes)
            answer["refresh_token"] = refresh
        return self._json(200, answer)
