"""Verifying an external issuer's token: RS256 with RSA ≥ 2048, ES256 with P-256, the key's
type matching ``alg`` (RFC 7518 §3.3, §3.4, §6.2.1, §6.3.1)."""

from __future__ import annotations

import json

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from credo import jose
from credo.errors import JoseError

EC = ec.generate_private_key(ec.SECP256R1())
RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def parts(token: str) -> tuple[bytes, bytes]:
    jws = jose.parse_compact(token)
    return jws.signing_input, jws.signature


def test_es256_and_rs256_verify() -> None:
    jose.verify_external("ES256", EC.public_key(), *parts(jwt.encode({"a": 1}, EC, "ES256")))
    jose.verify_external("RS256", RSA.public_key(), *parts(jwt.encode({"a": 1}, RSA, "RS256")))


@pytest.mark.parametrize(("alg", "key", "message"), [
    ("RS256", EC.public_key(), "algorithm 'RS256' does not match the key"),
    ("ES256", RSA.public_key(), "algorithm 'ES256' does not match the key"),
    ("PS256", RSA.public_key(), "algorithm 'PS256' does not match the key"),
    ("ES256", ec.generate_private_key(ec.SECP384R1()).public_key(),
     "algorithm 'ES256' does not match the key"),
    ("RS256", rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key(),
     "algorithm 'RS256' does not match the key"),
])
def test_a_key_of_another_type_or_size_is_refused(alg: str, key: jose.PublicKey,
                                                   message: str) -> None:
    signing_input, signature = parts(jwt.encode({"a": 1}, EC, "ES256"))
    with pytest.raises(JoseError, match=f"^{message}$"):
        jose.verify_external(alg, key, signing_input, signature)


def test_es256_signatures_are_64_bytes_and_must_verify() -> None:
    signing_input, signature = parts(jwt.encode({"a": 1}, EC, "ES256"))
    with pytest.raises(JoseError, match="64 bytes"):
        jose.verify_external("ES256", EC.public_key(), signing_input, signature + b"\0")
    with pytest.raises(JoseError, match="does not verify"):
        jose.verify_external("ES256", EC.public_key(), signing_input + b"x", signature)


def test_jwks_keys_are_rsa_2048_or_p256_only() -> None:
    ec_jwk = json.loads(ECAlgorithm.to_jwk(EC.public_key()))
    assert jose.external_key_from_jwk(ec_jwk).public_numbers() == EC.public_key().public_numbers()
    assert isinstance(jose.external_key_from_jwk(json.loads(RSAAlgorithm.to_jwk(RSA.public_key()))),
                      rsa.RSAPublicKey)
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    for jwk in (json.loads(RSAAlgorithm.to_jwk(small)),
                json.loads(ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP384R1())
                                              .public_key())),
                {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"},
                {"kty": "oct", "k": "c2VjcmV0"}):
        with pytest.raises(JoseError):
            jose.external_key_from_jwk(jwk)
