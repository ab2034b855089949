"""The OAuth client's pieces: PKCE, WWW-Authenticate parsing, discovery order, iss checks, scope selection.

Pure functions are table-driven; discovery runs against the tiny
authorization server (tests/client/oauth_server.py) on a real loopback
socket, on both loops, and asserts the exact order of the URLs fetched.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from mcpcore.client.auth import (
    AuthorizationServer,
    BearerChallenge,
    OAuth,
    OAuthError,
    Tokens,
    authorization_server_metadata_urls,
    canonical_resource,
    check_authorization_response,
    parse_challenges,
    parse_www_authenticate,
    pkce_pair,
    protected_resource_metadata_urls,
    resource_matches,
    s256,
    select_scopes,
)
from tests.client.oauth_server import TinyAuthServer
from tests.client.peer import run

# ------------------------------------------------------------------- PKCE


def test_s256_matches_the_rfc_7636_vector() -> None:
    assert (
        s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_pkce_pairs_are_well_formed_and_fresh() -> None:
    pairs = {pkce_pair() for _ in range(50)}
    assert len(pairs) == 50
    for verifier, challenge in pairs:
        assert 43 <= len(verifier) <= 128
        assert re.fullmatch(r"[A-Za-z0-9\-._~]+", verifier)
        assert challenge == s256(verifier)
        assert len(challenge) == 43 and "=" not in challenge


# ------------------------------------------------------- WWW-Authenticate

CHALLENGES: list[tuple[str | None, BearerChallenge | None]] = [
    (None, None),
    ("", None),
    ('Basic realm="x"', None),
    ("Bearer", BearerChallenge()),
    (
        'Bearer resource_metadata="https://mcp.example/.well-known/oauth-protected-resource/mcp"',
        BearerChallenge(resource_metadata="https://mcp.example/.well-known/oauth-protected-resource/mcp"),
    ),
    (
        'Bearer error="insufficient_scope", scope="files:read files:write", resource_metadata="https://m/x"',
        BearerChallenge(
            error="insufficient_scope", scope="files:read files:write", resource_metadata="https://m/x"
        ),
    ),
    ('bearer SCOPE="a"', BearerChallenge(scope="a")),
    (
        "Bearer scope=token-value,error=invalid_token",
        BearerChallenge(error="invalid_token", scope="token-value"),
    ),
    ('Bearer realm="a, b=c", scope="s"', BearerChallenge(scope="s")),
    (
        r'Bearer error_description="say \"no\"", scope="s"',
        BearerChallenge(error_description='say "no"', scope="s"),
    ),
    ('Basic realm="x", Bearer scope="s"', BearerChallenge(scope="s")),
    ('Basic dXNlcjpwYXNz==, Bearer scope="s"', BearerChallenge(scope="s")),
    ('Bearer scope="first", scope="second"', BearerChallenge(scope="first")),
    ('  ,Bearer   scope = "spaced" ', BearerChallenge(scope="spaced")),
]


@pytest.mark.parametrize(("header", "expected"), CHALLENGES)
def test_parse_www_authenticate(header: str | None, expected: BearerChallenge | None) -> None:
    assert parse_www_authenticate(header) == expected


def test_parse_challenges_keeps_every_scheme() -> None:
    assert parse_challenges('Basic realm="r", Bearer error="e", DPoP algs="ES256"') == [
        ("basic", {"realm": "r"}),
        ("bearer", {"error": "e"}),
        ("dpop", {"algs": "ES256"}),
    ]


def test_challenge_scopes() -> None:
    assert BearerChallenge(scope="a  b").scopes == ["a", "b"]
    assert BearerChallenge().scopes == []


# ----------------------------------------------------------- discovery URLs

PRM_URLS = [
    (
        "https://mcp.example/mcp",
        None,
        [
            "https://mcp.example/.well-known/oauth-protected-resource/mcp",
            "https://mcp.example/.well-known/oauth-protected-resource",
        ],
    ),
    (
        "https://mcp.example/a/b/",
        "https://meta.example/custom.json",
        [
            "https://meta.example/custom.json",
            "https://mcp.example/.well-known/oauth-protected-resource/a/b",
            "https://mcp.example/.well-known/oauth-protected-resource",
        ],
    ),
    ("http://127.0.0.1:8000", None, ["http://127.0.0.1:8000/.well-known/oauth-protected-resource"]),
    ("http://h:1/", "/custom", ["http://h:1/custom", "http://h:1/.well-known/oauth-protected-resource"]),
    (
        "https://m/mcp",
        "https://m/.well-known/oauth-protected-resource/mcp",
        [
            "https://m/.well-known/oauth-protected-resource/mcp",
            "https://m/.well-known/oauth-protected-resource",
        ],
    ),
]


@pytest.mark.parametrize(("server", "header", "expected"), PRM_URLS)
def test_protected_resource_metadata_order(server: str, header: str | None, expected: list[str]) -> None:
    assert protected_resource_metadata_urls(server, header) == expected


AS_URLS = [
    (
        "https://as.example",
        [
            "https://as.example/.well-known/oauth-authorization-server",
            "https://as.example/.well-known/openid-configuration",
        ],
    ),
    (
        "https://as.example/",
        [
            "https://as.example/.well-known/oauth-authorization-server",
            "https://as.example/.well-known/openid-configuration",
        ],
    ),
    (
        "https://as.example/tenant1",
        [
            "https://as.example/.well-known/oauth-authorization-server/tenant1",
            "https://as.example/.well-known/openid-configuration/tenant1",
            "https://as.example/tenant1/.well-known/openid-configuration",
        ],
    ),
    (
        "http://127.0.0.1:9/a/b",
        [
            "http://127.0.0.1:9/.well-known/oauth-authorization-server/a/b",
            "http://127.0.0.1:9/.well-known/openid-configuration/a/b",
            "http://127.0.0.1:9/a/b/.well-known/openid-configuration",
        ],
    ),
]


@pytest.mark.parametrize(("issuer", "expected"), AS_URLS)
def test_authorization_server_metadata_order(issuer: str, expected: list[str]) -> None:
    assert authorization_server_metadata_urls(issuer) == expected


# --------------------------------------------------------- resource identity


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTPS://MCP.Example.com/mcp", "https://mcp.example.com/mcp"),
        ("https://mcp.example.com:443/mcp#frag", "https://mcp.example.com/mcp"),
        ("http://mcp.example.com:8080/", "http://mcp.example.com:8080"),
        ("http://[::1]:9/mcp", "http://[::1]:9/mcp"),
    ],
)
def test_canonical_resource(url: str, canonical: str) -> None:
    assert canonical_resource(url) == canonical


@pytest.mark.parametrize(
    ("resource", "server", "matches"),
    [
        ("https://m.example/mcp", "https://m.example/mcp", True),
        ("https://m.example", "https://m.example/mcp", True),
        ("https://m.example/", "https://m.example/mcp", True),
        ("https://M.example:443/mcp", "https://m.example/mcp", True),
        ("https://m.example/mcp", "https://m.example/mcp/sub", True),
        ("https://m.example/mc", "https://m.example/mcp", False),
        ("https://m.example/other", "https://m.example/mcp", False),
        ("https://evil.example.com/mcp", "https://m.example/mcp", False),
        ("http://m.example/mcp", "https://m.example/mcp", False),
        ("https://m.example:8443/mcp", "https://m.example/mcp", False),
    ],
)
def test_resource_matches(resource: str, server: str, matches: bool) -> None:
    assert resource_matches(resource, server) is matches


# ---------------------------------------------------- authorization response

ISSUER = "https://as.example"


@pytest.mark.parametrize(
    ("url", "iss_required", "outcome"),
    [
        ("http://cb/?code=c1&state=s", False, "c1"),
        (f"http://cb/?code=c1&state=s&iss={ISSUER}", True, "c1"),
        ("http://cb/?code=c1&state=s", True, "lacks the iss"),
        ("http://cb/?code=c1&state=s&iss=https://evil.example", False, "RFC 9207"),
        ("http://cb/?code=c1&state=other", False, "state does not match"),
        ("http://cb/?code=c1", False, "state does not match"),
        ("http://cb/?error=access_denied&error_description=no&state=s", False, "access_denied"),
        ("http://cb/?state=s", False, "no code"),
    ],
)
def test_check_authorization_response(url: str, iss_required: bool, outcome: str) -> None:
    if outcome == "c1":
        assert check_authorization_response(url, state="s", issuer=ISSUER, iss_required=iss_required) == "c1"
        return
    with pytest.raises(OAuthError, match=outcome):
        check_authorization_response(url, state="s", issuer=ISSUER, iss_required=iss_required)


# ------------------------------------------------------------ scope selection


def _as(scopes: list[str] | None) -> AuthorizationServer:
    metadata: dict[str, Any] = {} if scopes is None else {"scopes_supported": scopes}
    return AuthorizationServer("https://as", "https://as/a", "https://as/t", metadata=metadata)


@pytest.mark.parametrize(
    ("challenge", "prm", "server", "offline", "expected"),
    [
        (BearerChallenge(scope="a b"), {"scopes_supported": ["x"]}, None, True, ["a", "b"]),
        (BearerChallenge(), {"scopes_supported": ["x", "y"]}, None, True, ["x", "y"]),
        (None, {"scopes_supported": ["x"]}, None, True, ["x"]),
        (None, {}, None, True, []),
        (None, None, None, True, []),
        (None, {"scopes_supported": ["x"]}, _as(["x", "offline_access"]), True, ["x", "offline_access"]),
        (None, {"scopes_supported": ["x"]}, _as(["x", "offline_access"]), False, ["x"]),
        (BearerChallenge(scope="x offline_access"), None, _as(["x"]), True, ["x"]),
        (BearerChallenge(scope="x offline_access"), None, _as(None), True, ["x", "offline_access"]),
    ],
)
def test_select_scopes(
    challenge: BearerChallenge | None,
    prm: dict[str, Any] | None,
    server: AuthorizationServer | None,
    offline: bool,
    expected: list[str],
) -> None:
    assert select_scopes(challenge, prm, server, offline_access=offline) == expected


def test_tokens_hide_secrets_and_expire() -> None:
    tokens = Tokens("secret-access-1", refresh_token="secret-refresh-1", expires_at=0.0)
    assert "secret" not in repr(tokens)
    assert tokens.expired()
    assert not Tokens("t").expired()


# ------------------------------------------------- discovery over a socket


def test_discovery_with_an_issuer_path_follows_the_insertion_order(loop_name: str) -> None:
    async def body() -> None:
        auth_server = await TinyAuthServer(issuer_path="/tenant1").start()
        try:
            auth_server.metadata_paths = ("/tenant1/.well-known/openid-configuration",)
            mcp = f"{auth_server.origin}/mcp"
            auth_server.documents["/.well-known/oauth-protected-resource"] = {
                "resource": auth_server.origin,
                "authorization_servers": [auth_server.issuer],
            }
            oauth = OAuth()
            oauth.bind(mcp)
            metadata = await oauth.discover_resource(None)
            assert metadata is not None
            server = await oauth.discover_server(metadata["authorization_servers"][0])
            assert server.issuer == auth_server.issuer
            assert server.token_endpoint == auth_server.issuer + "/token"
            assert [seen.path for seen in auth_server.requests] == [
                "/.well-known/oauth-protected-resource/mcp",
                "/.well-known/oauth-protected-resource",
                "/.well-known/oauth-authorization-server/tenant1",
                "/.well-known/openid-configuration/tenant1",
                "/tenant1/.well-known/openid-configuration",
            ]
            oauth.close()
        finally:
            await auth_server.close()

    run(body(), loop_name)


def test_discovery_rejects_a_foreign_issuer_and_resource(loop_name: str) -> None:
    async def body() -> None:
        auth_server = await TinyAuthServer().start()
        try:
            oauth = OAuth()
            oauth.bind(f"{auth_server.origin}/mcp")
            auth_server.metadata_issuer = "https://elsewhere.example"
            with pytest.raises(OAuthError, match="is for issuer"):
                await oauth.discover_server(auth_server.issuer)
            auth_server.documents["/custom.json"] = {
                "resource": "https://evil.example.com/mcp",
                "authorization_servers": [auth_server.issuer],
            }
            with pytest.raises(OAuthError, match="RFC 9728"):
                await oauth.discover_resource(BearerChallenge(resource_metadata="/custom.json"))
            # Only the challenge's URL was asked: a bad document stops discovery.
            assert auth_server.paths("custom.json") == ["/custom.json"]
            assert auth_server.paths("/.well-known/oauth-protected-resource/mcp") == []
            oauth.close()
        finally:
            await auth_server.close()

    run(body(), loop_name)
