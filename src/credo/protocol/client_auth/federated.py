"""``federated_identity_credential``: an external issuer's token as the client assertion.

Workload identity federation (RFC 7523 §2.2 carrier, RFC 7521 §4.2): a CI system, a
Kubernetes cluster or another Credo or Entra tenant issues a JWT about a workload, and the
application trusts that issuer for that subject through a federated identity credential.
Such an assertion is told apart from a certificate's (``private_key_jwt``, whose ``iss`` is
the client id) by its ``iss``, an https URL; the client is named by ``client_id``. Order:
issuer, subject, audience (matched exactly against the app's credentials), then the issuer's
key chosen by ``kid`` (fetched by the service, never by this module), the signature (RS256
or ES256) and the times. No thumbprint, no ``jti``: the same token is presented until it
expires, as the workloads' libraries do. RFC 7521 §4.2.1: a failure is ``invalid_client``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from credo.aadsts import client, request
from credo.errors import JoseError
from credo.jose import (
    FEDERATED_ALGS,
    b64url_decode,
    decode_segment,
    parse_compact,
    verify_external,
)
from credo.model import Application, FederatedIdentityCredential
from credo.numericdate import TimeRules
from credo.protocol.client_auth.assertion import invalid_jwt
from credo.protocol.client_auth.private_key_jwt import check_times
from credo.protocol.client_auth.types import (
    JWT_BEARER,
    AuthContext,
    AuthenticatedClient,
    Presented,
    UnverifiedAssertion,
)
from credo.protocol.forms import MAX_ASSERTION, TokenRequest

NAME = "federated_identity_credential"
_HTTPS_ISS = re.compile(rb'"iss"[ \t\r\n]*:[ \t\r\n]*"https:')
_SHOWN = 200


def external_issuer(raw: str) -> str | None:
    """The assertion's ``iss`` when it is an https URL, read without trust; else ``None``.

    Every assertion passes here first, so the payload is parsed only when it can name an
    https issuer: without a ``\\u`` escape (RFC 8259 §7), a member ``"iss"`` whose value
    starts with ``https:`` is those bytes literally, whitespace aside."""
    parts = raw.split(".")
    if len(parts) != 3 or len(raw) > MAX_ASSERTION:
        return None
    try:
        payload = b64url_decode(parts[1])
        if b"\\u" not in payload and _HTTPS_ISS.search(payload) is None:
            return None
        iss = decode_segment(parts[1], "payload").get("iss")
    except JoseError:
        return None
    return iss if isinstance(iss, str) and iss.startswith("https://") else None


def audiences(aud: Any) -> tuple[str, ...]:
    """``aud`` as a tuple of strings (RFC 7519 §4.1.3: a string or an array of strings)."""
    if isinstance(aud, str):
        return (aud,)
    if isinstance(aud, list) and all(isinstance(a, str) for a in aud):
        return tuple(aud)
    return ()


def _check(header: Mapping[str, Any], claims: Mapping[str, Any]) -> None:
    """Header and claims usable at all (RFC 7515 §4.1; RFC 7519 §4.1)."""
    if header.get("alg") not in FEDERATED_ALGS:
        raise invalid_jwt("The 'alg' header parameter of an external issuer's token must be "
                          "RS256 or ES256.", f"alg={str(header.get('alg'))[:32]!r}")
    if "crit" in header:
        raise invalid_jwt("The 'crit' header parameter is not supported.")
    if not isinstance(header.get("kid"), str) or not header["kid"]:
        raise invalid_jwt("The 'kid' header parameter must name the issuer's signing key.")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise invalid_jwt("The 'sub' claim must be a non-empty string.")
    if not audiences(claims.get("aud")):
        raise invalid_jwt("The 'aud' claim must be a string or an array of strings.")


def match_credential(app: Application, claims: Mapping[str, Any]) -> FederatedIdentityCredential:
    """The credential whose issuer, subject and one audience equal the assertion's, compared
    case-sensitively; else the first of them that differs (AADSTS700211, 700213, 700212)."""
    iss, sub = str(claims.get("iss"))[:_SHOWN], str(claims.get("sub"))[:_SHOWN]
    auds = audiences(claims.get("aud"))
    shown_aud = " ".join(auds)[:_SHOWN]
    if not app.federated_credentials:
        raise client.FEDERATED_NONE(issuer=iss, subject=sub, audience=shown_aud)
    by_issuer = [c for c in app.federated_credentials if c.issuer == claims.get("iss")]
    if not by_issuer:
        raise client.FEDERATED_ISSUER(issuer=iss)
    by_subject = [c for c in by_issuer if c.subject == claims.get("sub")]
    if not by_subject:
        folded = str(claims.get("sub")).casefold()
        if any(c.subject.casefold() == folded for c in by_issuer):
            raise client.FEDERATED_SUBJECT_CASE(subject=sub)
        raise client.FEDERATED_SUBJECT(subject=sub)
    found = next((c for c in by_subject if set(c.audiences) & set(auds)), None)
    if found is None:
        raise client.FEDERATED_AUDIENCE(audience=shown_aud)
    return found


class FederatedCredential:
    """``METHODS["federated_identity_credential"]``, listed before ``private_key_jwt``."""

    name = NAME
    carrier = "client_assertion"

    def presents(self, req: TokenRequest) -> bool:
        raw = req.client_assertion
        return raw is not None and external_issuer(raw) is not None

    def present(self, req: TokenRequest) -> Presented:
        """The RFC 7523 type, ``client_id`` (the token names a workload, not the client), the
        token parsed without trust."""
        assert req.client_assertion is not None
        if req.client_assertion_type is None:
            raise request.MISSING_BODY_PARAMETER(name="client_assertion_type")
        if req.client_assertion_type != JWT_BEARER:
            raise client.ASSERTION_TYPE(detail=f"type={req.client_assertion_type[:100]!r}")
        if req.client_id is None:
            raise request.MISSING_BODY_PARAMETER(name="client_id")
        try:
            jws = parse_compact(req.client_assertion)
        except (JoseError, ValueError, RecursionError) as exc:
            raise invalid_jwt("The client assertion is not a well-formed JWS in compact "
                              "serialization.", str(exc)) from None
        _check(jws.header, jws.claims)
        return Presented(self.name, req.client_id, UnverifiedAssertion(
            header=MappingProxyType(jws.header), claims=MappingProxyType(jws.claims),
            signing_input=jws.signing_input, signature=jws.signature), None)

    def verify(self, presented: Presented, ctx: AuthContext) -> AuthenticatedClient:
        """Credential, key, signature, times in that order, or ``InvalidClient``."""
        assertion = presented.assertion
        if assertion is None or presented.client_id != ctx.application.app_id:
            raise client.WRONG_CLIENT(credential="client assertion",
                                      detail="presented/context mismatch")
        match_credential(ctx.application, assertion.claims)
        external, kid = ctx.external_key, str(assertion.header["kid"])
        if external is None or external.key is None or external.kid != kid \
                or external.issuer != assertion.claims["iss"]:
            raise client.FEDERATED_KEY_NOT_FOUND(kid=kid[:_SHOWN],
                                                 issuer=str(assertion.claims["iss"])[:_SHOWN])
        try:
            verify_external(assertion.alg, external.key, assertion.signing_input,
                            assertion.signature)
        except JoseError as exc:
            raise client.FEDERATED_BAD_SIGNATURE(kid=kid[:_SHOWN], detail=str(exc)) from None
        leeway = ctx.profile.time_rules
        check_times(assertion.claims, ctx.profile, ctx.now,
                    TimeRules(leeway.past_leeway, leeway.future_leeway))
        return AuthenticatedClient(application=ctx.application, method=self.name, acr="2")
