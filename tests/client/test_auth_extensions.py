"""The OAuth client's auth extensions: assertion grants, private_key_jwt and DPoP.

The signatures are checked with ``cryptography`` (the ``[auth]`` extra, in
``[dev]``) against the public key, as an authorization server would; the
flows run against :class:`~tests.client.oauth_server.TinyAuthServer` on a real
loopback socket, entered through :meth:`OAuth.handle` as the transport does.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

from mcpcore.client import ClientCredentials, OAuth, OAuthError
from mcpcore.client.auth_grants import (
    ID_JAG_TOKEN_TYPE,
    ID_TOKEN_TYPE,
    TOKEN_EXCHANGE,
    IdJagGrant,
    JwtBearerGrant,
)
from mcpcore.client.jose import CLIENT_ASSERTION_TYPE, DpopKey, client_assertion
from tests.client.oauth_server import TinyAuthServer
from tests.client.peer import run


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verify_es256(token: str, public_key: ec.EllipticCurvePublicKey) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims of an ES256 JWS, after checking its signature (raises if it does not verify)."""
    head, body, signature = token.split(".")
    raw = _b64(signature)
    der = utils.encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public_key.verify(der, f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
    return orjson.loads(_b64(head)), orjson.loads(_b64(body))


def jwk_key(jwk: Mapping[str, str]) -> ec.EllipticCurvePublicKey:
    x, y = (int.from_bytes(_b64(jwk[k]), "big") for k in ("x", "y"))
    return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()


def new_pem() -> tuple[str, ec.EllipticCurvePublicKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return pem, key.public_key()


# ------------------------------------------------------------------------ JOSE


def test_client_assertion_is_a_signed_rfc_7523_jwt() -> None:
    pem, public = new_pem()
    header, claims = verify_es256(client_assertion(pem, "ES256", "cid", "https://as.example"), public)
    assert header["alg"] == "ES256"
    assert (claims["iss"], claims["sub"], claims["aud"]) == ("cid", "cid", "https://as.example")
    assert claims["exp"] > claims["iat"] and claims["jti"]


def test_a_bad_key_is_an_oauth_error_without_the_key() -> None:
    with pytest.raises(OAuthError, match="not a usable PEM") as caught:
        client_assertion("-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----", "ES256", "c", "a")
    assert "secret" not in str(caught.value)


def test_dpop_proofs_follow_rfc_9449() -> None:
    key = DpopKey()
    first = key.proof("post", "https://mcp.example/mcp?x=1#f", access_token="tok", nonce="n-1")
    header, claims = verify_es256(first, jwk_key(key.jwk))
    assert header["typ"] == "dpop+jwt" and header["alg"] == "ES256" and "d" not in header["jwk"]
    assert (claims["htm"], claims["htu"], claims["nonce"]) == ("POST", "https://mcp.example/mcp", "n-1")
    assert claims["ath"] == base64.urlsafe_b64encode(hashlib.sha256(b"tok").digest()).rstrip(b"=").decode()
    _, again = verify_es256(key.proof("POST", "https://mcp.example/mcp"), jwk_key(key.jwk))
    assert again["jti"] != claims["jti"] and "ath" not in again and "nonce" not in again


# ---------------------------------------------------------------- the grants


class RecordingPoster:
    def __init__(self, status: int, payload: Any) -> None:
        self.answer = (status, payload)
        self.calls: list[tuple[str, dict[str, str | None]]] = []

    async def __call__(self, url: str, fields: Mapping[str, str | None]) -> tuple[int, Any]:
        self.calls.append((url, dict(fields)))
        return self.answer


def test_id_jag_grant_exchanges_the_id_token_at_the_idp(loop_name: str) -> None:
    async def body() -> None:
        poster = RecordingPoster(200, {"access_token": "jag", "issued_token_type": ID_JAG_TOKEN_TYPE})
        grant = IdJagGrant("https://idp/token", "id-token", idp_client_id="idp-client")
        assert await grant.assertion(poster, "https://as", "https://mcp/mcp", ["s"]) == "jag"
        url, fields = poster.calls[0]
        assert url == "https://idp/token"
        assert fields["grant_type"] == TOKEN_EXCHANGE and fields["subject_token"] == "id-token"
        assert fields["subject_token_type"] == ID_TOKEN_TYPE
        assert fields["requested_token_type"] == ID_JAG_TOKEN_TYPE
        assert (fields["audience"], fields["resource"], fields["scope"]) == (
            "https://as",
            "https://mcp/mcp",
            "s",
        )
        wrong = RecordingPoster(200, {"access_token": "x", "issued_token_type": "urn:other"})
        with pytest.raises(OAuthError, match="not an ID-JAG"):
            await grant.assertion(wrong, "https://as", "https://mcp/mcp", [])
        refused = RecordingPoster(400, {"error": "invalid_grant"})
        with pytest.raises(OAuthError) as caught:
            await grant.assertion(refused, "https://as", "https://mcp/mcp", [])
        assert caught.value.error == "invalid_grant"

    run(body(), loop_name)


async def _bound_oauth(auth_server: TinyAuthServer, **options: Any) -> tuple[OAuth, str]:
    mcp = f"{auth_server.origin}/mcp"
    auth_server.documents["/.well-known/oauth-protected-resource/mcp"] = {
        "resource": mcp,
        "authorization_servers": [auth_server.issuer],
    }
    oauth = OAuth(**options)
    oauth.bind(mcp)
    return oauth, mcp


def test_workload_jwt_is_sent_as_a_jwt_bearer_assertion(loop_name: str) -> None:
    async def body() -> None:
        auth_server = await TinyAuthServer(
            grant_types=["urn:ietf:params:oauth:grant-type:jwt-bearer"]
        ).start()
        auth_server.assertions.add("workload-jwt")
        try:
            client = ClientCredentials("wl", token_endpoint_auth_method="none")
            oauth, _ = await _bound_oauth(
                auth_server, client=client, grant=JwtBearerGrant(lambda: "workload-jwt")
            )
            await oauth.handle(401, None, None)
            assert (oauth.authorization() or "").startswith("Bearer ")
            token = next(seen for seen in auth_server.requests if seen.path == "/token")
            assert token.form["assertion"] == "workload-jwt" and token.form["client_id"] == "wl"
            assert not auth_server.paths("/authorize")  # no user in the loop
            auth_server.assertions.clear()
            oauth.tokens = None
            with pytest.raises(OAuthError):  # refused: reported, not retried with another grant
                await oauth.handle(401, None, None)
            grants = [seen.form["grant_type"] for seen in auth_server.requests if seen.path == "/token"]
            assert set(grants) == {"urn:ietf:params:oauth:grant-type:jwt-bearer"}
            oauth.close()
        finally:
            await auth_server.close()

    run(body(), loop_name)


def test_client_credentials_with_a_private_key_jwt(loop_name: str) -> None:
    async def body() -> None:
        pem, public = new_pem()
        auth_server = await TinyAuthServer(grant_types=["client_credentials"]).start()

        def check(form: dict[str, str]) -> str | None:
            assert form["client_assertion_type"] == CLIENT_ASSERTION_TYPE
            _, claims = verify_es256(form["client_assertion"], public)
            assert claims["aud"] == auth_server.issuer
            return str(claims["sub"])

        auth_server.assertion_checker = check
        try:
            oauth, _ = await _bound_oauth(auth_server, client=ClientCredentials("m2m", private_key=pem))
            await oauth.handle(401, None, None)
            assert (
                oauth.tokens is not None and auth_server.issued[oauth.tokens.access_token].client_id == "m2m"
            )
            token = next(seen for seen in auth_server.requests if seen.path == "/token")
            assert token.form["grant_type"] == "client_credentials" and "client_secret" not in token.form
            oauth.close()
        finally:
            await auth_server.close()

    run(body(), loop_name)


def test_dpop_binds_the_token_and_honours_both_nonces(loop_name: str) -> None:
    async def body() -> None:
        auth_server = await TinyAuthServer(dpop=True, dpop_nonce="as-nonce").start()
        try:
            oauth, mcp = await _bound_oauth(auth_server)
            await oauth.handle(
                401, 'DPoP resource_metadata="/.well-known/oauth-protected-resource/mcp"', None
            )
            token_requests = [seen for seen in auth_server.requests if seen.path == "/token"]
            assert len(token_requests) == 2  # refused for the nonce, then granted with it
            _, claims = verify_es256(
                token_requests[1].headers["dpop"],
                jwk_key(orjson.loads(_b64(token_requests[1].headers["dpop"].split(".")[0]))["jwk"]),
            )
            assert claims["nonce"] == "as-nonce" and claims["htu"] == auth_server.issuer + "/token"
            assert oauth.tokens is not None and oauth.tokens.token_type == "DPoP"
            sent = oauth.authorization()
            assert sent is not None and sent.startswith("DPoP ")
            # the MCP server asks for its own nonce: no new authorization, the next proof carries it
            await oauth.handle(401, 'DPoP error="use_dpop_nonce"', sent, dpop_nonce="rs-nonce")
            assert oauth.authorization() == sent and oauth.authorizations == 1
            [(name, proof)] = oauth.proof_headers("POST", mcp)
            _header, claims = verify_es256(proof, jwk_key(orjson.loads(_b64(proof.split(".")[0]))["jwk"]))
            assert name == "dpop" and claims["nonce"] == "rs-nonce" and claims["htu"] == mcp
            assert (
                claims["ath"]
                == base64.urlsafe_b64encode(hashlib.sha256(oauth.tokens.access_token.encode()).digest())
                .rstrip(b"=")
                .decode()
            )
            oauth.close()
        finally:
            await auth_server.close()

    run(body(), loop_name)


def test_bearer_tokens_carry_no_proof(loop_name: str) -> None:
    async def body() -> None:
        auth_server = await TinyAuthServer().start()
        try:
            oauth, mcp = await _bound_oauth(auth_server)
            await oauth.handle(401, None, None)
            assert oauth.authorization() is not None and oauth.proof_headers("POST", mcp) == []
            assert "dpop" not in next(seen for seen in auth_server.requests if seen.path == "/token").headers
            oauth.close()
        finally:
            await auth_server.close()

    run(body(), loop_name)
