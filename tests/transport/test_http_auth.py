"""Bearer-token auth (OAuth 2.1 resource server) over real loopback sockets, on uvloop and asyncio.

401 with a ``WWW-Authenticate`` challenge naming the RFC 9728 metadata, 403
``insufficient_scope``, the RFC 8707 audience check, expiry, the metadata
document at both well-known paths, and no token in any log record.
"""

from __future__ import annotations

import logging
import time

import orjson
import pytest

from mcpcore.examples.calculator import server as calculator
from mcpcore.transport.security import AccessToken, BearerAuth, audience_matches
from mcpcore.transport.streamable import HttpOptions
from tests.transport.http_peer import Peer, initialize_body, legacy_headers, serve_and_run

RESOURCE = "http://127.0.0.1/mcp"
AS = "https://auth.example.com"
GOOD = "good-token-3f9a1c"
NO_SCOPE = "scopeless-token-77b2"
FOREIGN = "foreign-audience-token-19c4"
EXPIRED = "expired-token-0d5e"
EXPLODES = "verifier-explodes-token-a8f1"
SECRETS = (GOOD, NO_SCOPE, FOREIGN, EXPIRED, EXPLODES, "not-a-known-token-5e6f")


async def _verify(token: str) -> AccessToken | None:
    if token == EXPLODES:
        raise RuntimeError(f"backend refused token {token}")  # a careless verifier quoting the token
    tokens = {
        GOOD: AccessToken("c1", frozenset({"mcp:tools", "extra"}), time.time() + 600, (RESOURCE,)),
        NO_SCOPE: AccessToken("c2", frozenset(), None, (RESOURCE + "/",)),
        FOREIGN: AccessToken("c3", frozenset({"mcp:tools"}), None, ("https://other.example.com/mcp",)),
        EXPIRED: AccessToken("c4", frozenset({"mcp:tools"}), time.time() - 1, (RESOURCE,)),
    }
    return tokens.get(token)


def _options() -> HttpOptions:
    auth = BearerAuth(_verify, resource=RESOURCE, authorization_servers=[AS], required_scopes=["mcp:tools"])
    return HttpOptions(auth=auth)


def _challenge(header: str) -> dict[str, str]:
    scheme, _, rest = header.partition(" ")
    assert scheme == "Bearer"
    fields = {}
    for part in rest.split(", "):
        key, _, value = part.partition("=")
        fields[key] = value.strip('"')
    return fields


def test_bearer_auth_challenges_and_scopes(loop_name: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    async def body(port: int) -> None:
        peer = await Peer.connect(port)

        async def post(token: str | None, scheme: str = "Bearer") -> tuple[int, dict[str, str], bytes]:
            headers = legacy_headers()
            if token is not None:
                headers["Authorization"] = f"{scheme} {token}"
            response = await peer.request("POST", initialize_body(), headers)
            return response.status, response.headers, response.body

        status, headers, payload = await post(None)
        assert status == 401
        challenge = _challenge(headers["www-authenticate"])
        assert challenge == {
            "resource_metadata": "http://127.0.0.1/.well-known/oauth-protected-resource/mcp",
            "scope": "mcp:tools",
        }
        assert orjson.loads(payload)["error"] == "unauthorized"

        for token, description in (
            ("not-a-known-token-5e6f", "the token is invalid"),
            (EXPIRED, "the token has expired"),
            (FOREIGN, "the token was not issued for this resource"),
            (EXPLODES, "the token is invalid"),
        ):
            status, headers, _ = await post(token)
            assert status == 401, token
            challenge = _challenge(headers["www-authenticate"])
            assert (challenge["error"], challenge["error_description"]) == ("invalid_token", description)
            assert challenge["resource_metadata"].endswith("/.well-known/oauth-protected-resource/mcp")

        status, headers, _ = await post(GOOD, scheme="Basic")
        assert status == 401 and _challenge(headers["www-authenticate"])["error"] == "invalid_request"

        status, headers, payload = await post(NO_SCOPE)
        assert status == 403
        challenge = _challenge(headers["www-authenticate"])
        assert (challenge["error"], challenge["scope"]) == ("insufficient_scope", "mcp:tools")
        assert orjson.loads(payload)["error"] == "insufficient_scope"

        status, headers, payload = await post(GOOD)
        assert status == 200 and "mcp-session-id" in headers
        assert b'"protocolVersion"' in payload

        # The session is no bypass: a later request without a token is refused too.
        session_headers = legacy_headers(headers["mcp-session-id"])
        ping = {"jsonrpc": "2.0", "id": 2, "method": "ping"}
        assert (await peer.request("POST", ping, session_headers)).status == 401
        peer.close()

    serve_and_run(loop_name, calculator, body, options=_options())
    logged = "\n".join(
        f"{record.getMessage()} {record.exc_text or ''} {record.args!r}" for record in caplog.records
    )
    assert "RuntimeError" in logged  # the verifier failure was logged...
    for secret in SECRETS:
        assert secret not in logged  # ...and no token ever was


def test_protected_resource_metadata_at_both_well_known_paths(loop_name: str) -> None:
    async def body(port: int) -> None:
        peer = await Peer.connect(port)
        for path in ("/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"):
            response = await peer.request("GET", None, {}, path=path)
            assert response.status == 200, path
            assert response.headers["content-type"] == "application/json"
            assert response.headers["access-control-allow-origin"] == "*"
            assert response.json() == {
                "resource": RESOURCE,
                "authorization_servers": [AS],
                "bearer_methods_supported": ["header"],
                "scopes_supported": ["mcp:tools"],
            }
        assert (await peer.request("GET", None, {}, path="/.well-known/other")).status == 404
        assert (
            await peer.request("POST", None, {}, path="/.well-known/oauth-protected-resource")
        ).status == 404
        peer.close()

    serve_and_run(loop_name, calculator, body, options=_options())


def test_metadata_is_not_served_without_auth(loop_name: str) -> None:
    async def body(port: int) -> None:
        peer = await Peer.connect(port)
        response = await peer.request("GET", None, {}, path="/.well-known/oauth-protected-resource")
        assert response.status == 404
        peer.close()

    serve_and_run(loop_name, calculator, body)


def test_audience_matching_ignores_a_trailing_slash_only() -> None:
    token = AccessToken("c", audience=("https://a.example/mcp/",))
    assert audience_matches(token, "https://a.example/mcp")
    assert not audience_matches(token, "https://a.example/mcp2")
    assert not audience_matches(AccessToken("c"), "https://a.example/mcp")


def test_bearer_auth_needs_an_authorization_server() -> None:
    with pytest.raises(ValueError, match="authorization server"):
        BearerAuth(_verify, resource=RESOURCE, authorization_servers=[])


def test_audience_check_can_be_turned_off(loop_name: str) -> None:
    auth = BearerAuth(
        _verify,
        resource=RESOURCE,
        authorization_servers=[AS],
        required_scopes=["mcp:tools"],
        check_audience=False,
    )

    async def body(port: int) -> None:
        peer = await Peer.connect(port)
        headers = {**legacy_headers(), "Authorization": f"Bearer {FOREIGN}"}
        assert (await peer.request("POST", initialize_body(), headers)).status == 200
        peer.close()

    serve_and_run(loop_name, calculator, body, options=HttpOptions(auth=auth))
