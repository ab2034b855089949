"""HTTP security checks: DNS-rebinding protection (Host / Origin) and bearer-token auth.

DNS rebinding lets a web page in the user's browser reach a server bound to
127.0.0.1 under a hostile name. Two checks stop it, both on by default:

* ``Host`` must name an allowed host (default: ``localhost``, ``127.0.0.1``,
  ``[::1]``, any port), else **421 Misdirected Request**;
* an ``Origin``, when present, must be an allowed origin or have an allowed
  host, else **403 Forbidden**.

:class:`BearerAuth` makes the endpoint an OAuth 2.1 *resource server*: a
pluggable :class:`TokenVerifier` checks each ``Authorization: Bearer`` token
(signature, expiry, audience: that is the verifier's job, with
:func:`audience_matches` to help); missing or bad tokens get 401 with a
``WWW-Authenticate`` challenge pointing at the RFC 9728 protected-resource
metadata, which is served at ``/.well-known/oauth-protected-resource`` and at
the path-specific variant. Tokens are never logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

import orjson

__all__ = [
    "LOOPBACK_HOSTS",
    "AccessToken",
    "AuthFailure",
    "BearerAuth",
    "HostCheck",
    "TokenVerifier",
    "audience_matches",
]

LOOPBACK_HOSTS: Final = ("localhost", "127.0.0.1", "[::1]")
_MAX_KNOWN_HOSTS: Final = 256

_log = logging.getLogger("mcpcore.http.auth")


def split_host(value: str) -> tuple[str, str]:
    """``host[:port]`` → (lower-case host, port or ""); IPv6 literals keep their brackets."""
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return value, ""
        host, rest = value[: end + 1], value[end + 1 :]
        return host, rest[1:] if rest.startswith(":") else ""
    host, _, port = value.partition(":")
    return host, port


class HostCheck:
    """The DNS-rebinding guard: allowed hosts (``name`` = any port, ``name:port`` = that port) and origins."""

    __slots__ = ("_known", "allowed_origins", "any_port", "enabled", "exact")

    def __init__(
        self,
        allowed_hosts: Iterable[str] | None = LOOPBACK_HOSTS,
        allowed_origins: Iterable[str] = (),
    ) -> None:
        self.enabled = allowed_hosts is not None
        self.any_port: set[str] = set()
        self.exact: set[str] = set()
        for entry in allowed_hosts or ():
            host, port = split_host(entry)
            if port in ("", "*"):
                self.any_port.add(host)
            else:
                self.exact.add(f"{host}:{port}")
        self.allowed_origins = frozenset(origin.rstrip("/").lower() for origin in allowed_origins)
        #: Host values already judged (a client sends the same one every time); bounded.
        self._known: dict[str, bool] = {}

    def host_allowed(self, value: str) -> bool:
        known = self._known.get(value)
        if known is not None:
            return known
        host, port = split_host(value)
        allowed = host in self.any_port or f"{host}:{port}" in self.exact
        if len(self._known) < _MAX_KNOWN_HOSTS:
            self._known[value] = allowed
        return allowed

    def check(self, headers: Mapping[str, str]) -> tuple[int, str] | None:
        """``None`` when the request may proceed, else (status, message)."""
        host = headers.get("host")
        if self.enabled and (host is None or not self.host_allowed(host)):
            return 421, "Misdirected request: Host header not allowed"
        origin = headers.get("origin")
        if origin is None:
            return None
        normalized = origin.rstrip("/").lower()
        if normalized in self.allowed_origins:
            return None
        scheme, sep, rest = normalized.partition("://")
        if not sep or scheme not in ("http", "https") or not rest:
            return 403, "Forbidden: Origin not allowed"
        origin_host = rest.partition("/")[0]
        if self.enabled:
            if self.host_allowed(origin_host):
                return None
        elif host is not None and split_host(origin_host) == split_host(host):
            return None  # host check off: still insist on same-origin
        return 403, "Forbidden: Origin not allowed"


# ------------------------------------------------------------------ bearer auth


@dataclass(frozen=True, slots=True)
class AccessToken:
    """What a verifier learned from a valid token."""

    client_id: str
    scopes: frozenset[str] = frozenset()
    #: Seconds since the epoch; ``None``: does not expire.
    expires_at: float | None = None
    #: The token's audience(s) (``aud`` / RFC 8707 ``resource``).
    audience: tuple[str, ...] = ()
    claims: Mapping[str, Any] = field(default_factory=dict)

    @property
    def principal(self) -> str:
        """Who this token speaks for: its client and subject. Sessions and tasks are bound to it."""
        subject = self.claims.get("sub")
        return f"{self.client_id}\x00{subject if isinstance(subject, str) else ''}"


class TokenVerifier(Protocol):
    """Checks a bearer token; returns ``None`` for an invalid, expired or foreign one."""

    def __call__(self, token: str) -> Awaitable[AccessToken | None]: ...


def audience_matches(token: AccessToken, resource: str) -> bool:
    """RFC 8707: accept only tokens issued for this server (its canonical URI)."""
    canonical = resource.rstrip("/")
    return any(aud.rstrip("/") == canonical for aud in token.audience)


@dataclass(frozen=True, slots=True)
class AuthFailure:
    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes


class BearerAuth:
    """OAuth 2.1 resource-server settings for the HTTP endpoint."""

    def __init__(
        self,
        verifier: TokenVerifier | Callable[[str], Awaitable[AccessToken | None]],
        *,
        resource: str,
        authorization_servers: Sequence[str],
        required_scopes: Sequence[str] = (),
        scopes_supported: Sequence[str] | None = None,
        check_audience: bool = True,
        resource_name: str | None = None,
    ) -> None:
        if not authorization_servers:
            raise ValueError("RFC 9728 metadata needs at least one authorization server")
        self.verifier = verifier
        self.resource = resource
        self.required_scopes = frozenset(required_scopes)
        self.check_audience = check_audience
        metadata: dict[str, Any] = {
            "resource": resource,
            "authorization_servers": list(authorization_servers),
            "bearer_methods_supported": ["header"],
        }
        scopes = list(scopes_supported) if scopes_supported is not None else sorted(self.required_scopes)
        if scopes:
            metadata["scopes_supported"] = scopes
        if resource_name:
            metadata["resource_name"] = resource_name
        self.metadata_body = orjson.dumps(metadata)
        path = "/" + resource.split("://", 1)[-1].partition("/")[2]
        self.metadata_paths = frozenset(
            {
                "/.well-known/oauth-protected-resource",
                "/.well-known/oauth-protected-resource" + path.rstrip("/"),
            }
        )
        base = resource.split("://", 1)
        origin = base[0] + "://" + base[1].partition("/")[0] if len(base) == 2 else resource
        self.metadata_url = origin + "/.well-known/oauth-protected-resource" + path.rstrip("/")

    def _challenge(self, status: int, error: str | None, description: str) -> AuthFailure:
        parts = [f'resource_metadata="{self.metadata_url}"']
        if error is not None:
            parts.insert(0, f'error="{error}"')
            parts.append(f'error_description="{description}"')
        if self.required_scopes:
            parts.append(f'scope="{" ".join(sorted(self.required_scopes))}"')
        header = ("Bearer " + ", ".join(parts)).encode("latin-1")
        body = orjson.dumps({"error": error or "unauthorized", "error_description": description})
        return AuthFailure(
            status, ((b"www-authenticate", header), (b"content-type", b"application/json")), body
        )

    async def authenticate(self, headers: Mapping[str, str]) -> AccessToken | AuthFailure:
        """The request's token, or the 401/403 to answer."""
        value = headers.get("authorization")
        if value is None:
            return self._challenge(401, None, "authentication required")
        scheme, _, token = value.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return self._challenge(401, "invalid_request", "expected a Bearer token")
        try:
            access = await self.verifier(token)
        except Exception as exc:
            # Logged by type only: the message or traceback of a verifier error may quote the token.
            _log.warning("the token verifier failed (%s); answering 401", type(exc).__name__)
            access = None
        if access is None:
            return self._challenge(401, "invalid_token", "the token is invalid")
        if access.expires_at is not None and access.expires_at < time.time():
            return self._challenge(401, "invalid_token", "the token has expired")
        if self.check_audience and not audience_matches(access, self.resource):
            return self._challenge(401, "invalid_token", "the token was not issued for this resource")
        if not self.required_scopes <= access.scopes:
            return self._challenge(403, "insufficient_scope", "the token lacks a required scope")
        return access
