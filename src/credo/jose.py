"""JOSE: the only module that touches JWS/JWK encoding (RFC 7515, RFC 7517, RFC 7518).

PyJWT is the JOSE library behind it (JWK export, full token decoding for the resource SDK);
the hot path (one assertion verify and one access-token sign per token request) calls
``cryptography`` directly with a precomputed header segment, which ``bench/`` measures.

Security choices: algorithms come from explicit allowlists; ``none`` and every HMAC
algorithm are refused; the key is always chosen by the caller, never by the token header.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import jwt
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from credo import ijson
from credo.errors import JoseError

Alg = Literal["RS256", "PS256"]
RSA_ALGS: frozenset[str] = frozenset({"RS256", "PS256"})
"""Every algorithm Credo verifies or signs (RFC 7518 §3.3, §3.5); each use allows a subset."""
FEDERATED_ALGS: frozenset[str] = frozenset({"RS256", "ES256"})
"""What an external issuer's token may be signed with (RFC 7518 §3.3, §3.4): verify only."""
MIN_RSA_BITS = 2048

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey

_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
_PKCS1 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()
_TO_STANDARD = bytes.maketrans(b"-_", b"+/")


def b64url_encode(data: bytes) -> str:
    """RFC 7515 §2 base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str | bytes) -> bytes:
    """RFC 7515 §2 base64url; trailing ``=`` padding is tolerated (MSAL and azure-identity send it).

    Raises ``JoseError`` for any character outside the base64url alphabet.
    """
    raw = text.encode("ascii", "replace") if isinstance(text, str) else text
    raw = raw.rstrip(b"=")
    if not raw or len(raw) % 4 == 1 or b"+" in raw or b"/" in raw:
        raise JoseError("invalid base64url")
    try:
        return binascii.a2b_base64(raw.translate(_TO_STANDARD) + b"=" * (-len(raw) % 4),
                                   strict_mode=True)
    except binascii.Error as exc:
        raise JoseError("invalid base64url") from exc


@dataclass(frozen=True)
class CompactJWS:
    """A parsed, *unverified* compact JWS (RFC 7515 §7.1)."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes


def decode_segment(segment: str, what: str) -> dict[str, Any]:
    """A base64url segment holding a UTF-8 JSON object (RFC 7515 §5.2 steps 2-4).

    Anything else raises ``JoseError`` only: bad base64url, bytes that are not UTF-8 (a BOM
    included), a string that is not Unicode text (an escaped lone surrogate: RFC 7493 §2.1),
    a number too long for Python to read, nesting too deep. As Python's ``json``
    does, duplicate member names keep the last value and ``NaN``/``Infinity`` are read as
    floats: the claim checks refuse those.
    """
    try:
        value = ijson.loads(b64url_decode(segment).decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # JoseError, JSON, UTF-8, I-JSON, digit limits
        raise JoseError(f"the {what} is not base64url-encoded JSON") from exc
    if not isinstance(value, dict):
        raise JoseError(f"the {what} is not a JSON object")
    return value


def parse_compact(token: str) -> CompactJWS:
    """Split and decode a compact JWS without trusting it (RFC 7515 §5.2 steps 1-7).

    The signature is later checked over the segments exactly as received, so padded
    segments (azure-identity's async client) verify. Every malformed input raises
    ``JoseError``, nothing else.
    """
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        raise JoseError("a JWS in compact serialization has three parts")
    header = decode_segment(parts[0], "header")
    claims = decode_segment(parts[1], "payload")
    signature = b64url_decode(parts[2])
    return CompactJWS(header, claims, f"{parts[0]}.{parts[1]}".encode("ascii"), signature)


def verify_rsa(alg: str, key: rsa.RSAPublicKey, signing_input: bytes, signature: bytes,
               *, allowed: Iterable[str] = RSA_ALGS) -> None:
    """RFC 7518 §3.3 (RS256) and §3.5 (PS256): verify or raise ``JoseError``."""
    if not isinstance(alg, str) or alg not in RSA_ALGS or alg not in frozenset(allowed):
        raise JoseError(f"algorithm {alg!r} is not allowed")
    pad = _PKCS1 if alg == "RS256" else _PSS
    try:
        key.verify(signature, signing_input, pad, _SHA256)
    except InvalidSignature as exc:
        raise JoseError("the signature does not verify") from exc


def verify_external(alg: str, key: PublicKey, signing_input: bytes, signature: bytes) -> None:
    """RS256 with an RSA key of at least 2048 bits, or ES256 with a P-256 key (RFC 7518
    §3.3, §3.4: ``R || S``, 64 bytes); the key's type must match ``alg``. Else ``JoseError``."""
    if alg == "RS256" and isinstance(key, rsa.RSAPublicKey) and key.key_size >= MIN_RSA_BITS:
        verify_rsa(alg, key, signing_input, signature, allowed=("RS256",))
        return
    if alg != "ES256" or not isinstance(key, ec.EllipticCurvePublicKey) \
            or not isinstance(key.curve, ec.SECP256R1):
        raise JoseError(f"algorithm {alg!r} does not match the key")
    if len(signature) != 64:
        raise JoseError("an ES256 signature is 64 bytes")
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"),
                               int.from_bytes(signature[32:], "big"))
    try:
        key.verify(der, signing_input, ec.ECDSA(_SHA256))
    except InvalidSignature as exc:
        raise JoseError("the signature does not verify") from exc


def _dumps(value: Mapping[str, Any]) -> bytes:
    """A JOSE header or a claim set as compact UTF-8 JSON (RFC 7515 §2; RFC 7519 §7.1)."""
    return ijson.dumps(value)


def sign(alg: Alg, key: rsa.RSAPrivateKey, header: Mapping[str, Any],
         claims: Mapping[str, Any]) -> str:
    """Produce a compact JWS (RFC 7515 §7.1) with RS256 or PS256."""
    return Signer(alg, key, header).sign(claims)


class Signer:
    """Signs many JWTs with one key and one header: the header segment is encoded once."""

    def __init__(self, alg: Alg, key: rsa.RSAPrivateKey, header: Mapping[str, Any]) -> None:
        if alg not in RSA_ALGS:
            raise JoseError(f"algorithm {alg!r} is not allowed")
        self._key = key
        self._pad = _PKCS1 if alg == "RS256" else _PSS
        self._prefix = b64url_encode(_dumps({**header, "alg": alg})) + "."

    def sign(self, claims: Mapping[str, Any]) -> str:
        signing_input = self._prefix + b64url_encode(_dumps(claims))
        signature = self._key.sign(signing_input.encode("ascii"), self._pad, _SHA256)
        return signing_input + "." + b64url_encode(signature)


def jwk_from_certificate(cert: x509.Certificate, kid: str, *,
                         extra: Mapping[str, str] | None = None) -> dict[str, Any]:
    """RFC 7517 §4 public JWK with ``x5t`` and ``x5c`` (RFC 7517 §4.7-4.8); no private members."""
    from cryptography.hazmat.primitives.serialization import Encoding

    public = cert.public_key()
    if not isinstance(public, rsa.RSAPublicKey):
        raise JoseError("only RSA signing keys are published")
    jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(public))
    der = cert.public_bytes(Encoding.DER)
    return {
        "kty": "RSA",
        "use": "sig",
        "kid": kid,
        "x5t": kid,
        "n": jwk["n"],
        "e": jwk["e"],
        "x5c": [base64.b64encode(der).decode("ascii")],
        **(extra or {}),
    }


def public_key_from_jwk(jwk: Mapping[str, Any]) -> rsa.RSAPublicKey:
    """Import an RSA public JWK (RFC 7518 §6.3.1); private members are ignored."""
    try:
        key = RSAAlgorithm.from_jwk({"kty": jwk.get("kty"), "n": jwk.get("n"),
                                     "e": jwk.get("e")})
    except (jwt.InvalidKeyError, KeyError, ValueError, TypeError) as exc:
        raise JoseError("not an RSA public JWK") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise JoseError("not an RSA public JWK")
    return key


def external_key_from_jwk(jwk: Mapping[str, Any]) -> PublicKey:
    """An RSA (RFC 7518 §6.3.1, at least 2048 bits) or P-256 EC (§6.2.1) public JWK."""
    if jwk.get("kty") == "RSA":
        key = public_key_from_jwk(jwk)
        if key.key_size < MIN_RSA_BITS:
            raise JoseError("RSA keys under 2048 bits are not used")
        return key
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise JoseError("not an RSA or P-256 public JWK")
    try:
        ec_key = ECAlgorithm.from_jwk({"kty": "EC", "crv": "P-256", "x": jwk.get("x"),
                                       "y": jwk.get("y")})
    except (jwt.InvalidKeyError, KeyError, ValueError, TypeError) as exc:
        raise JoseError("not a P-256 public JWK") from exc
    if not isinstance(ec_key, ec.EllipticCurvePublicKey):
        raise JoseError("not a P-256 public JWK")
    return ec_key
