"""mcpcore's OAuth 2.1 client end to end: a tiny authorization server, mcpcore's HTTP server with BearerAuth.

Everything runs on loopback sockets in one process, on uvloop and asyncio:
the calculator behind ``BearerAuth`` (which trusts exactly the tokens the
tiny authorization server issued, for its own resource URI), and a
``Client.http(..., auth=OAuth(...))`` that starts with no credentials. The
tests assert what went over the wire: discovery, registration, PKCE, the
``resource`` parameter, refresh, step-up, the RFC 9207 ``iss`` check, and
that no token ever reaches a log record.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from mcpcore.client import Client, ClientCredentials, OAuth, OAuthError
from mcpcore.client.auth import follow_redirects, s256
from mcpcore.examples.calculator import server as calculator
from mcpcore.transport.http import start_http
from mcpcore.transport.security import BearerAuth
from mcpcore.transport.streamable import HttpOptions
from tests.client.oauth_server import TinyAuthServer
from tests.client.peer import run

pytestmark = pytest.mark.timeout(90)

REDIRECT = "http://127.0.0.1:1/callback"


@dataclass
class Setup:
    auth_server: TinyAuthServer
    url: str
    agent_calls: list[str]

    def oauth(self, **options: object) -> OAuth:
        async def agent(url: str, redirect_uri: str) -> str:
            self.agent_calls.append(url)
            return await follow_redirects(url, redirect_uri)

        return OAuth(agent, redirect_uri=REDIRECT, **options)  # type: ignore[arg-type]


def with_servers(
    loop_name: str,
    body: Callable[[Setup], Awaitable[None]],
    *,
    required_scopes: tuple[str, ...] = ("mcp:tools",),
    **as_options: object,
) -> None:
    async def main() -> None:
        auth_server = await TinyAuthServer(**as_options).start()  # type: ignore[arg-type]
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        resource = f"http://127.0.0.1:{port}/mcp"
        bearer = BearerAuth(
            auth_server.verify,
            resource=resource,
            authorization_servers=[auth_server.issuer],
            required_scopes=required_scopes,
        )
        http = await start_http(calculator, options=HttpOptions(auth=bearer), sock=sock)
        try:
            await body(Setup(auth_server, resource, []))
        finally:
            await http.close()
            await auth_server.close()

    run(main(), loop_name)


@pytest.mark.parametrize("mode", ["legacy", "modern"])
def test_authorization_code_flow_from_a_401(
    loop_name: str, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    async def body(setup: Setup) -> None:
        oauth = setup.oauth()
        async with Client.http(setup.url, auth=oauth, mode=mode, timeout=20) as client:  # type: ignore[arg-type]
            result = await client.call_tool("add", {"a": 2, "b": 3})
            assert result["structuredContent"] == {"result": 5}
            assert [t["name"] for t in await client.list_tools()][:1] == ["add"]
        seen = setup.auth_server.requests
        assert [s.path for s in seen] == [
            "/.well-known/oauth-authorization-server",
            "/register",
            "/authorize",
            "/token",
        ]
        registration, authorize, token = seen[1].form, seen[2].query, seen[3].form
        assert registration["redirect_uris"] == [REDIRECT]
        assert "refresh_token" in registration["grant_types"]
        assert authorize["code_challenge_method"] == "S256"
        assert authorize["resource"] == token["resource"] == setup.url
        assert authorize["scope"] == "mcp:tools"
        assert s256(token["code_verifier"]) == authorize["code_challenge"]
        assert token["redirect_uri"] == REDIRECT and "client_secret" not in token
        assert len(setup.agent_calls) == 1 and oauth.authorizations == 1
        assert oauth.tokens is not None and oauth.tokens.scopes == ("mcp:tools",)
        secrets = [
            oauth.tokens.access_token,
            oauth.tokens.refresh_token,
            token["code"],
            token["code_verifier"],
        ]
        for record in caplog.records:
            text = record.getMessage() + str(record.args) + str(record.exc_info)
            assert not any(secret and secret in text for secret in secrets), record.getMessage()

    with_servers(loop_name, body)


def test_expired_and_revoked_tokens_are_refreshed(loop_name: str) -> None:
    async def body(setup: Setup) -> None:
        oauth = setup.oauth()
        async with Client.http(setup.url, auth=oauth, mode="legacy", timeout=20) as client:
            await client.list_tools()
            assert oauth.tokens is not None
            first = oauth.tokens.access_token
            oauth.tokens.expires_at = time.time() - 1  # expired: refreshed before the next request
            await client.call_tool("add", {"a": 1, "b": 1})
            second = oauth.tokens.access_token
            assert second != first
            setup.auth_server.revoke_all()  # the server answers 401: refresh, then send again
            result = await client.call_tool("add", {"a": 4, "b": 4})
            assert result["structuredContent"] == {"result": 8}
            assert oauth.tokens.access_token not in (first, second)
        grants = [s.form.get("grant_type") for s in setup.auth_server.requests if s.path == "/token"]
        assert grants == ["authorization_code", "refresh_token", "refresh_token"]
        assert oauth.authorizations == 1

    with_servers(loop_name, body)


def test_insufficient_scope_steps_up(loop_name: str) -> None:
    async def body(setup: Setup) -> None:
        oauth = setup.oauth()
        async with Client.http(setup.url, auth=oauth, mode="legacy", timeout=20) as client:
            await client.list_tools()
        scopes = [s.query.get("scope") for s in setup.auth_server.requests if s.path == "/authorize"]
        assert scopes == ["mcp:tools", "mcp:tools"]  # the first grant came back without it: 403, step-up
        assert oauth.authorizations == 2
        assert [s.path for s in setup.auth_server.requests].count("/register") == 1

    with_servers(loop_name, body, downscope=1)


def test_step_up_is_bounded(loop_name: str) -> None:
    async def body(setup: Setup) -> None:
        oauth = setup.oauth()
        with pytest.raises(OAuthError, match="gave up after 2 scope step-ups"):
            async with Client.http(setup.url, auth=oauth, mode="legacy", timeout=20):
                pass
        assert oauth.authorizations == 3  # the first authorization, then two step-ups

    with_servers(loop_name, body, downscope=100)


def test_step_up_stops_when_the_token_already_holds_the_scope(loop_name: str) -> None:
    async def body(setup: Setup) -> None:
        oauth = setup.oauth()
        with pytest.raises(OAuthError, match="already holds"):
            async with Client.http(setup.url, auth=oauth, mode="legacy", timeout=20):
                pass
        assert oauth.authorizations == 1

    # The token response says "mcp:tools", but the resource server never sees it in the token.
    with_servers(loop_name, body, hidden_scopes=frozenset({"mcp:tools"}))


def test_a_mixed_up_issuer_is_refused_before_the_code_is_redeemed(loop_name: str) -> None:
    async def body(setup: Setup) -> None:
        oauth = setup.oauth()
        with pytest.raises(OAuthError, match="RFC 9207"):
            async with Client.http(setup.url, auth=oauth, mode="legacy", timeout=20):
                pass
        assert "/token" not in [s.path for s in setup.auth_server.requests]

    with_servers(loop_name, body, wrong_iss="https://attacker.example")


def test_pre_registered_client_and_registrations_keyed_by_issuer(loop_name: str) -> None:
    async def body(setup: Setup) -> None:
        other = ClientCredentials("elsewhere-client", "s3cret", issuer="https://other-as.example")
        oauth = setup.oauth(client=other)  # for another issuer: not used here, so DCR runs
        async with Client.http(setup.url, auth=oauth, mode="legacy", timeout=20) as client:
            await client.list_tools()
        assert list(oauth.registrations) == [setup.auth_server.issuer]
        authorize = next(s for s in setup.auth_server.requests if s.path == "/authorize")
        assert authorize.query["client_id"] != "elsewhere-client"

        mine = ClientCredentials("known-client", "s3cret", issuer=setup.auth_server.issuer)
        setup.auth_server.requests.clear()
        oauth = setup.oauth(client=mine)
        async with Client.http(setup.url, auth=oauth, mode="legacy", timeout=20) as client:
            await client.list_tools()
        paths = [s.path for s in setup.auth_server.requests]
        assert "/register" not in paths
        token = next(s for s in setup.auth_server.requests if s.path == "/token")
        assert token.headers["authorization"].startswith("Basic ")
        assert "client_secret" not in token.form

    with_servers(loop_name, body)


def test_concurrent_401s_authorize_once(loop_name: str) -> None:
    async def body(setup: Setup) -> None:
        oauth = setup.oauth()
        async with Client.http(setup.url, auth=oauth, mode="legacy", timeout=20) as client:
            setup.auth_server.revoke_all()
            oauth.tokens.refresh_token = None  # type: ignore[union-attr]  # no refresh: a full flow
            results = await asyncio.gather(*(client.call_tool("add", {"a": i, "b": 1}) for i in range(8)))
            assert [r["structuredContent"]["result"] for r in results] == [i + 1 for i in range(8)]
        assert oauth.authorizations == 2

    with_servers(loop_name, body)
