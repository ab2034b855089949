"""Signed JWTs for the OAuth client: ``private_key_jwt`` client assertions and DPoP proofs.

Asymmetric signatures need a crypto library, which the core install does not
carry: install the ``auth`` extra (``pip install 'mcpcore[auth]'``, which
brings ``cryptography``). It is imported on first use, so a client that never
signs anything never needs it; without it, signing raises
:class:`~mcpcore.client.auth_rules.OAuthError` naming the extra.

Supported algorithms: ES256, ES384, ES512 (ECDSA, the JOSE raw ``r||s``
signature form), RS256 and PS256 (RSA keys).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from typing import Any, Final

import orjson

from mcpcore.client.auth_rules import OAuthError

__all__ = ["CLIENT_ASSERTION_TYPE", "DpopKey", "b64url", "client_assertion", "sign_jwt"]

CLIENT_ASSERTION_TYPE: Final = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_CURVES: Final = {
    "ES256": ("SECP256R1", "SHA256", 32),
    "ES384": ("SECP384R1", "SHA384", 48),
    "ES512": ("SECP521R1", "SHA512", 66),
}
#: How long a client assertion is valid (seconds): one token request.
ASSERTION_LIFETIME: Final = 60


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _crypto() -> Any:
    try:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
    except ImportError:
        raise OAuthError(
            "signing a JWT needs the 'cryptography' package: pip install 'mcpcore[auth]'"
        ) from None
    return hashes, serialization, ec, padding, rsa, utils


def _sign(key: Any, alg: str, data: bytes) -> bytes:
    hashes, _serialization, ec, padding, _rsa, utils = _crypto()
    if alg in _CURVES:
        _curve, hash_name, size = _CURVES[alg]
        der = key.sign(data, ec.ECDSA(getattr(hashes, hash_name)()))
        r, s = utils.decode_dss_signature(der)
        return bytes(r.to_bytes(size, "big") + s.to_bytes(size, "big"))
    if alg == "RS256":
        return bytes(key.sign(data, padding.PKCS1v15(), hashes.SHA256()))
    if alg == "PS256":
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        return bytes(key.sign(data, pss, hashes.SHA256()))
    raise OAuthError(f"unsupported signing algorithm {alg!r}")


def _load_private_key(pem: str) -> Any:
    _hashes, serialization, *_ = _crypto()
    try:
        return serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    except (ValueError, TypeError) as exc:
        raise OAuthError(f"the private key is not a usable PEM key: {type(exc).__name__}") from None


def sign_jwt(key: Any, alg: str, claims: dict[str, Any], header: dict[str, Any] | None = None) -> str:
    """A compact JWS of ``claims`` signed with ``key`` (a ``cryptography`` private key)."""
    head = {"alg": alg, "typ": "JWT", **(header or {})}
    signing_input = b64url(orjson.dumps(head)) + "." + b64url(orjson.dumps(claims))
    return signing_input + "." + b64url(_sign(key, alg, signing_input.encode("ascii")))


def client_assertion(private_key_pem: str, alg: str, client_id: str, audience: str) -> str:
    """RFC 7523 §3 client authentication JWT: ``iss`` = ``sub`` = the client, ``aud`` = the server."""
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": now,
        "exp": now + ASSERTION_LIFETIME,
        "jti": secrets.token_urlsafe(16),
    }
    return sign_jwt(_load_private_key(private_key_pem), alg, claims)


class DpopKey:
    """A DPoP key pair (RFC 9449), made once per OAuth client: P-256, ES256.

    :meth:`proof` makes a fresh proof JWT for one HTTP request; the public key
    rides in its header (``jwk``), never the private part.
    """

    alg: Final = "ES256"

    def __init__(self) -> None:
        _hashes, _serialization, ec, *_ = _crypto()
        self._key = ec.generate_private_key(ec.SECP256R1())
        numbers = self._key.public_key().public_numbers()
        self.jwk: dict[str, str] = {
            "kty": "EC",
            "crv": "P-256",
            "x": b64url(numbers.x.to_bytes(32, "big")),
            "y": b64url(numbers.y.to_bytes(32, "big")),
        }

    @property
    def thumbprint(self) -> str:
        """RFC 7638 SHA-256 thumbprint (what a DPoP-bound token's ``cnf.jkt`` names)."""
        canonical = orjson.dumps({k: self.jwk[k] for k in ("crv", "kty", "x", "y")})
        return b64url(hashlib.sha256(canonical).digest())

    def proof(
        self, method: str, url: str, *, access_token: str | None = None, nonce: str | None = None
    ) -> str:
        """A proof for ``method url`` (``htu`` without query or fragment), bound to ``access_token``."""
        htu = url.split("#", 1)[0].split("?", 1)[0]
        claims: dict[str, Any] = {
            "jti": secrets.token_urlsafe(16),
            "htm": method.upper(),
            "htu": htu,
            "iat": int(time.time()),
        }
        if access_token is not None:
            claims["ath"] = b64url(hashlib.sha256(access_token.encode("ascii")).digest())
        if nonce is not None:
            claims["nonce"] = nonce
        return sign_jwt(self._key, self.alg, claims, {"typ": "dpop+jwt", "jwk": self.jwk})
