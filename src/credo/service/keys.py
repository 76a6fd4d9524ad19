"""Token-signing keys: the per-process key ring, JWKS, and rotation (RFC 7517).

Keys live in the database so every node publishes the same JWKS and rotates together.
Three states: ``next`` (published, not yet used: validators learn it before the switch),
``active`` (signs every token), ``retired`` (published for ``key_retention_days`` so that
tokens it signed keep validating until they expire). ``kid`` = ``x5t`` (RFC 7515 §4.1.7).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from credo import certs, jose, metrics
from credo.aadsts.service import TRANSIENT
from credo.model import SigningKey
from credo.store.api import KeyRing

log = logging.getLogger("credo.keys")

SIGNING_SUBJECT = "CN=Credo token signing"


def new_signing_key(now: datetime, state: Literal["next", "active"]) -> SigningKey:
    """A fresh RSA-2048 key with a self-signed certificate (what Entra publishes in ``x5c``)."""
    key, cert = certs.create_self_signed(SIGNING_SUBJECT, now - timedelta(minutes=5),
                                         now + timedelta(days=5 * 365), 2048)
    return SigningKey(
        kid=certs.thumbprints(cert).x5t,
        state=state,
        cert_der=certs.certificate_der(cert),
        private_pem=certs.private_key_pem(key),
        created=now,
        activated=now if state == "active" else None,
    )


class KeyService:
    """Signs access tokens with the active key and serves the JWKS document."""

    def __init__(self, ring: KeyRing, *, rotation_days: float, retention_days: float) -> None:
        self._ring = ring
        self._rotation = timedelta(days=rotation_days)
        self._retention = timedelta(days=retention_days)
        self._kids: tuple[str, ...] = ()
        self._active: SigningKey | None = None
        self._signers: dict[int, jose.Signer] = {}
        self._jwks: bytes = b'{"keys":[]}'
        self._public: dict[str, rsa.RSAPublicKey] = {}

    async def ensure(self, now: datetime) -> None:
        """Create the first active and next keys when the ring is empty (``credo init``)."""
        keys = await self._ring.signing_keys()
        if not any(k.state == "active" for k in keys):
            await self._ring.add_signing_key(new_signing_key(now, "active"))
        if not any(k.state == "next" for k in keys):
            await self._ring.add_signing_key(new_signing_key(now, "next"))

    async def load(self) -> None:
        """(Re)build signers and JWKS when the set of keys changed; cheap otherwise."""
        keys = await self._ring.signing_keys()
        kids = tuple(sorted(f"{k.kid}:{k.state}" for k in keys))
        if kids == self._kids:
            return
        active = next((k for k in keys if k.state == "active"), None)
        if active is not None:
            private = certs.load_private_key(active.private_pem)
            self._signers = {
                1: jose.Signer("RS256", private, {"typ": "JWT", "x5t": active.kid,
                                                  "kid": active.kid}),
                2: jose.Signer("RS256", private, {"typ": "JWT", "kid": active.kid}),
            }
        self._active = active
        order = {"active": 0, "next": 1, "retired": 2}
        published = sorted(keys, key=lambda k: (order[k.state], k.kid))
        self._jwks = json.dumps({"keys": [_jwk(k) for k in published]}).encode()
        self._public = {k.kid: _public_key(k) for k in published}
        self._kids = kids
        log.info("signing keys loaded: %s", ", ".join(kids))

    def public_key(self, kid: str) -> rsa.RSAPublicKey | None:
        """A published key by ``kid`` (for validating Credo's own tokens in-process)."""
        return self._public.get(kid)

    @property
    def active_kid(self) -> str | None:
        return self._active.kid if self._active else None

    @property
    def jwks(self) -> bytes:
        return self._jwks

    def sign(self, claims: dict[str, Any], version: int) -> str:
        signer = self._signers.get(version)
        if signer is None:
            raise TRANSIENT(detail="no active signing key is loaded")
        metrics.SIGNATURES.inc()
        return signer.sign(claims)

    async def published(self) -> list[SigningKey]:
        """Every key not yet purged (``next``, ``active``, ``retired``)."""
        return await self._ring.signing_keys()

    async def rotate(self, now: datetime) -> str | None:
        """next → active, active → retired, a new next; returns the new active kid."""
        await self.load()
        ok = await self._ring.rotate(expected_active=self.active_kid,
                                     new_next=new_signing_key(now, "next"), now=now)
        await self.load()
        return self.active_kid if ok else None

    async def maintain(self, now: datetime) -> bool:
        """The automatic schedule: rotate when the active key is old, purge long-retired keys.
        True when this call rotated (another node may have won the race instead)."""
        await self.load()
        active = self._active
        started = active.activated or active.created if active else None
        rotated = False
        if started is not None and now - started >= self._rotation:
            log.info("rotating signing keys (active since %s)", started.isoformat())
            rotated = await self.rotate(now) is not None
        purged = await self._ring.purge_retired(now - self._retention)
        if purged:
            await self.load()
        return rotated


def _public_key(key: SigningKey) -> rsa.RSAPublicKey:
    public = x509.load_der_x509_certificate(key.cert_der).public_key()
    assert isinstance(public, rsa.RSAPublicKey)  # new_signing_key makes RSA keys only
    return public


def _jwk(key: SigningKey) -> dict[str, Any]:
    return jose.jwk_from_certificate(x509.load_der_x509_certificate(key.cert_der), key.kid)
