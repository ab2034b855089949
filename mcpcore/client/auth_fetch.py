"""One-shot HTTP exchanges for the OAuth client: metadata, registration and token requests.

Any origin (an authorization server is rarely the MCP server's), on
mcpcore's own HTTP client with a small pool per origin, a deadline per
exchange and a bound on every body read. Failures become
:class:`~mcpcore.client.auth_rules.OAuthError` with the URL's query removed
(an authorization URL's query holds the PKCE challenge and ``state``).
Also :func:`follow_redirects`, the headless user agent.
"""

from __future__ import annotations

import asyncio
import ssl as _ssl
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urljoin, urlsplit, urlunsplit

import orjson

from mcpcore.client.auth_rules import OAuthError, default_port
from mcpcore.client.http_pool import HttpPool
from mcpcore.wire.http11_client import InvalidResponse

__all__ = ["MAX_AUTH_RESPONSE_BYTES", "Fetched", "Fetcher", "follow_redirects", "redact"]

#: The largest metadata / token / registration response read (bytes).
MAX_AUTH_RESPONSE_BYTES: Final = 1 << 20


@dataclass
class Fetched:
    """An HTTP answer, read whole (up to :data:`MAX_AUTH_RESPONSE_BYTES`)."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError:
            return None


class Fetcher:
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
        host_header = host if parts.port in (None, default_port(parts.scheme)) else f"{host}:{parts.port}"
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return pool, host_header, target

    async def request(
        self,
        method: str,
        url: str,
        headers: Sequence[tuple[str, str]] = (),
        body: bytes | None = None,
    ) -> Fetched:
        pool, host, target = self._pool(url)
        all_headers = [("host", host), ("accept", "application/json"), *headers]

        async def exchange() -> Fetched:
            response = await pool.open(method, target, all_headers, body)
            data = await response.read(MAX_AUTH_RESPONSE_BYTES)
            return Fetched(response.status, response.headers, data)

        try:
            return await asyncio.wait_for(exchange(), self.timeout)
        except (OSError, InvalidResponse, asyncio.TimeoutError) as exc:
            raise OAuthError(f"{method} {redact(url)}: {exc or type(exc).__name__}") from None

    def close(self) -> None:
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()


def redact(url: str) -> str:
    """A URL for messages: without its query (an authorization URL's query holds the PKCE challenge)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


async def follow_redirects(authorization_url: str, redirect_uri: str, *, max_hops: int = 10) -> str:
    """A headless user agent: GET the authorization URL, follow redirects until one targets ``redirect_uri``.

    For authorization servers that approve without a login page (tests,
    conformance mocks, pre-consented clients). The redirect URI itself is
    never fetched: its URL, with ``code`` and ``state``, is returned.
    """
    fetcher = Fetcher(timeout=30.0)
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
