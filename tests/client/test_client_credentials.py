"""Client assertions (RFC 7523 §2.2, §3) as MSAL builds them, and client secrets."""

from __future__ import annotations

import base64
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from credo import certs
from credo.client import ASSERTION_TYPE, CertificateCredential, ClientSecret
from credo.client.credentials import AssertionCredential
from credo.errors import CertificateError
from credo.jose import Signer

AUD = "https://login.example.test/tenant/oauth2/v2.0/token"
CLIENT = "client-id"
NOW = 1_800_000_000.0


def test_ps256_header_names_the_certificate_by_sha256(pair, entra):
    credential = CertificateCredential(pair.key, pair.cert)
    token = credential.assertion(CLIENT, AUD, NOW)
    header = jwt.get_unverified_header(token)
    assert header == {"typ": "JWT", "x5t#S256": certs.thumbprints(pair.cert).x5t_s256,
                      "alg": "PS256"}
    entra.verify(token, audience=AUD, client_id=CLIENT)


def test_rs256_header_names_the_certificate_by_sha1(pair, entra):
    credential = CertificateCredential(pair.key, pair.cert, algorithm="RS256")
    token = credential.assertion(CLIENT, AUD, NOW)
    header = jwt.get_unverified_header(token)
    assert header == {"typ": "JWT", "x5t": certs.thumbprints(pair.cert).x5t, "alg": "RS256"}
    entra.verify(token, audience=AUD, client_id=CLIENT)


def test_claims_are_msal_shaped(pair):
    token = CertificateCredential(pair.key, pair.cert).assertion(CLIENT, AUD, NOW + 0.7)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert set(claims) == {"aud", "iss", "sub", "jti", "iat", "nbf", "exp"}
    assert (claims["aud"], claims["iss"], claims["sub"]) == (AUD, CLIENT, CLIENT)
    assert claims["iat"] == claims["nbf"] == int(NOW)
    assert claims["exp"] == int(NOW) + 600
    assert uuid.UUID(claims["jti"]).version == 4


def test_x5c_is_the_der_certificate_when_asked(pair):
    token = CertificateCredential(pair.key, pair.cert, send_x5c=True).assertion(CLIENT, AUD, NOW)
    x5c = jwt.get_unverified_header(token)["x5c"]
    assert [base64.b64decode(x5c[0])] == [certs.certificate_der(pair.cert)]


def _jti(token: str) -> str:
    return str(jwt.decode(token, options={"verify_signature": False})["jti"])


def test_assertion_is_reused_until_60_seconds_before_expiry(pair):
    credential = CertificateCredential(pair.key, pair.cert)
    first = credential.assertion(CLIENT, AUD, NOW)
    assert credential.assertion(CLIENT, AUD, NOW + 539) == first
    assert credential.assertion(CLIENT, AUD, NOW + 540) != first


def test_assertion_is_per_audience_and_client(pair):
    credential = CertificateCredential(pair.key, pair.cert)
    first = credential.assertion(CLIENT, AUD, NOW)
    assert credential.assertion(CLIENT, AUD + "x", NOW) != first
    assert credential.assertion("other", AUD, NOW) != first


def test_reuse_can_be_turned_off_for_strict_tenants(pair):
    credential = CertificateCredential(pair.key, pair.cert, reuse_assertions=False)
    assert _jti(credential.assertion(CLIENT, AUD, NOW)) != _jti(
        credential.assertion(CLIENT, AUD, NOW))


def test_assertion_lifetime_is_configurable(pair):
    credential = CertificateCredential(pair.key, pair.cert, assertion_lifetime=300)
    token = credential.assertion(CLIENT, AUD, NOW)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 300
    assert credential.assertion(CLIENT, AUD, NOW + 239) == token
    assert credential.assertion(CLIENT, AUD, NOW + 240) != token


@pytest.mark.parametrize("lifetime", [0, 60])
def test_too_short_assertion_lifetime_is_refused(pair, lifetime):
    with pytest.raises(ValueError, match="assertion_lifetime"):
        CertificateCredential(pair.key, pair.cert, assertion_lifetime=lifetime)


def test_form_fields_carry_the_assertion(pair):
    fields = CertificateCredential(pair.key, pair.cert).form_fields(CLIENT, AUD, NOW)
    assert set(fields) == {"client_assertion_type", "client_assertion"}
    assert fields["client_assertion_type"] == ASSERTION_TYPE


def test_key_must_match_certificate(pair, server_key):
    with pytest.raises(CertificateError, match="does not match"):
        CertificateCredential(server_key, pair.cert)


def test_small_keys_are_refused(pair):
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(CertificateError, match="1024"):
        CertificateCredential(small, pair.cert)


def test_unknown_algorithm_is_refused(pair):
    with pytest.raises(ValueError, match="PS256"):
        CertificateCredential(pair.key, pair.cert, algorithm="HS256")  # type: ignore[arg-type]


def test_from_files_two_pem_files(pair, tmp_path):
    (tmp_path / "app.pem").write_bytes(certs.certificate_pem(pair.cert))
    (tmp_path / "app.key.pem").write_bytes(certs.private_key_pem(pair.key, b"pw"))
    credential = CertificateCredential.from_files(
        tmp_path / "app.pem", str(tmp_path / "app.key.pem"), password="pw", algorithm="RS256")
    assert credential.algorithm == "RS256"
    assert credential.thumbprint == certs.thumbprints(pair.cert).sha1_hex


def test_from_pfx(pair, tmp_path):
    pfx = tmp_path / "app.bin"  # any name: from_pfx does not look at the suffix
    pfx.write_bytes(certs.pkcs12_bytes(pair.key, pair.cert, b"pw", "app"))
    credential = CertificateCredential.from_pfx(pfx, "pw", send_x5c=True)
    assert credential.certificate == pair.cert
    with pytest.raises(CertificateError, match="wrong password"):
        CertificateCredential.from_pfx(pfx, "nope")
    with pytest.raises(CertificateError, match="cannot read"):
        CertificateCredential.from_pfx(tmp_path / "missing.pfx", "pw")


def test_repr_shows_no_key_material(pair):
    credential = CertificateCredential(pair.key, pair.cert)
    assert repr(credential) == (f"CertificateCredential(thumbprint="
                                f"'{certs.thumbprints(pair.cert).sha1_hex}', algorithm='PS256')")
    assert repr(ClientSecret("hunter2")) == "ClientSecret(***)"


def test_client_secret_goes_in_the_body():
    assert ClientSecret("s3cret").form_fields(CLIENT, AUD, NOW) == {"client_secret": "s3cret"}
    with pytest.raises(ValueError):
        ClientSecret("")


def test_assertion_credential_takes_an_id_factory(pair):
    ids = iter(["a", "b"])
    credential = AssertionCredential(Signer("RS256", pair.key, {"typ": "JWT"}),
                                     reuse_assertions=False, new_id=lambda: next(ids))
    assert [_jti(credential.assertion(CLIENT, AUD, NOW)) for _ in range(2)] == ["a", "b"]
