"""Application manifest ⇄ model: Graph and AAD Graph documents, validation, round trips."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from credo import certs, manifest, model
from credo.cli.cert import app as cert_cli
from credo.errors import InvalidInput
from credo.model import Application, ObjectId

DATA = Path(__file__).parent / "data" / "manifests"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
VALID_FROM, VALID_TO = datetime(2025, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
TENANT = model.TenantId("0d4e7c1a-5b2f-4c3d-8e9f-1a2b3c4d5e6f")
SECRET = model.PasswordCredential(
    key_id="c9d682c4-f143-4df8-8ebe-a85ee3993f59", secret_hash=b"\x01" * 32, hint="Abc",
    start=datetime(2025, 6, 1, tzinfo=UTC), end=datetime(2026, 12, 1, tzinfo=UTC),
    display_name="ci")
CASES = json.loads((DATA / "invalid.json").read_text())


def _cert(start: datetime = VALID_FROM, end: datetime = VALID_TO) -> x509.Certificate:
    return certs.create_self_signed("CN=Contoso Mail API", start, end)[1]


def _weak_cert() -> x509.Certificate:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "weak")])
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(VALID_FROM).not_valid_after(VALID_TO)
            .sign(key, hashes.SHA256()))


def _b64(cert: x509.Certificate) -> str:
    return base64.b64encode(certs.certificate_der(cert)).decode()


@pytest.fixture(scope="module")
def placeholders() -> dict[str, str]:
    """Certificates made at test time, filled into the documents' ``$NAME`` strings."""
    cert = _cert()
    return {"$CERT": _b64(cert), "$THUMBPRINT": certs.thumbprints(cert).sha1_b64,
            "$CERT2": _b64(_cert()), "$CERT3": _b64(_cert()), "$CERT_1024": _b64(_weak_cert()),
            "$CERT_EXPIRED": _b64(_cert(VALID_FROM - timedelta(days=365), VALID_FROM))}


def _fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    return names.get(value, value) if isinstance(value, str) else value


def load(name: str, names: dict[str, str]) -> dict[str, Any]:
    return _fill(json.loads((DATA / name).read_text()), names)  # type: ignore[no-any-return]


def blank(doc: dict[str, Any]) -> Application:
    """The application as just registered: only the server-assigned members set."""
    return Application(id=doc["id"], app_id=doc["appId"], tenant_id=TENANT, display_name="",
                       created=datetime(2025, 6, 1, 8, 30, tzinfo=UTC))


def apply(doc: Any, current: Application) -> Application:
    ids = iter(f"00000000-0000-4000-8000-{n:012d}" for n in range(1, 100))
    return manifest.application_from_json(doc, current=current, now=NOW,
                                          new_id=lambda: next(ids))


@pytest.fixture(scope="module")
def mail_api(placeholders: dict[str, str]) -> Application:
    doc = load("graph_mail_api.json", placeholders)
    return replace(apply(doc, blank(doc)), password_credentials=(SECRET,))


def test_graph_manifest_fills_every_field(placeholders: dict[str, str]) -> None:
    doc = load("graph_mail_api.json", placeholders)
    app = apply(doc, blank(doc))
    assert (app.sign_in_audience, app.requested_access_token_version,
            app.oauth2_allow_implicit_flow, app.oauth2_allow_id_token_implicit_flow) == (
        "AzureADMultipleOrgs", 2, False, True)
    assert [(k.start, k.end, k.der) for k in app.key_credentials] == [
        (VALID_FROM, VALID_TO, base64.b64decode(placeholders["$CERT"]))]
    assert manifest.application_to_json(app, publisher_domain="contoso.onmicrosoft.com") == (
        load("graph_mail_api.expected.json", placeholders))


def test_aad_graph_manifest_reads_like_the_graph_one(placeholders: dict[str, str]) -> None:
    graph, aad = load("graph_mail_api.json", placeholders), load("aad_mail_api.json", placeholders)
    from_graph, from_aad = apply(graph, blank(graph)), apply(aad, blank(aad))
    unnamed = tuple(replace(k, display_name="") for k in from_graph.key_credentials)
    assert from_aad == replace(from_graph, key_credentials=unnamed)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_invalid_manifest_reports_every_bad_field(
        case: dict[str, Any], placeholders: dict[str, str], mail_api: Application) -> None:
    doc = case.get("document", load("graph_mail_api.json", placeholders))
    for path, value in _fill(case.get("set", {}), placeholders).items():
        *parents, last = path.split(".")
        target = doc
        for name in parents:
            target = target[name]
        target[last] = value
    for name in case.get("delete", []):
        del doc[name]
    with pytest.raises(InvalidInput) as caught:
        apply(doc, mail_api)
    assert caught.value.description == "The manifest is not valid."
    assert [[d.target, d.message] for d in caught.value.details] == case["errors"]


@pytest.mark.parametrize("include_keys", [False, True], ids=["key-null", "key-included"])
def test_round_trip_is_identity(mail_api: Application, include_keys: bool) -> None:
    doc = json.loads(json.dumps(manifest.application_to_json(mail_api,
                                                             include_keys=include_keys)))
    assert apply(doc, mail_api) == mail_api


def test_to_json_shows_keys_only_when_asked(mail_api: Application) -> None:
    [hidden] = manifest.application_to_json(mail_api)["keyCredentials"]
    [shown] = manifest.application_to_json(mail_api, include_keys=True)["keyCredentials"]
    kc = mail_api.key_credentials[0]
    assert hidden == {"customKeyIdentifier": base64.b64encode(kc.sha1).decode(),
                      "displayName": "CN=Contoso Mail API",
                      "endDateTime": "2027-01-01T00:00:00Z", "key": None,
                      "keyId": kc.key_id, "startDateTime": "2025-01-01T00:00:00Z",
                      "type": "AsymmetricX509Cert", "usage": "Verify"}
    assert shown == hidden | {"key": base64.b64encode(kc.der).decode()}
    assert manifest.application_to_json(mail_api)["passwordCredentials"] == [{
        "customKeyIdentifier": None, "displayName": "ci", "endDateTime": "2026-12-01T00:00:00Z",
        "hint": "Abc", "keyId": SECRET.key_id, "secretText": None,
        "startDateTime": "2025-06-01T00:00:00Z"}]


def test_cli_keycredential_entry_is_accepted_as_is(tmp_path: Path,
                                                   mail_api: Application) -> None:
    (tmp_path / "app.pem").write_bytes(certs.certificate_pem(_cert()))
    result = CliRunner().invoke(cert_cli, ["keycredential", str(tmp_path / "app.pem"),
                                           "--display-name", "x" * 100])
    entry = json.loads(result.stdout)
    kc = manifest.key_credential_from_json(entry)
    assert (kc.key_id, kc.display_name, kc.start, kc.end) == (
        entry["keyId"], "x" * 90, VALID_FROM, VALID_TO)
    doc = manifest.application_to_json(mail_api)
    doc["keyCredentials"].append(entry)
    assert apply(doc, mail_api).key_credentials == (*mail_api.key_credentials, kc)


@pytest.mark.parametrize("form", ["pem", "pem-body"])
def test_key_may_be_pem(form: str) -> None:
    pem = certs.certificate_pem(cert := _cert()).decode()
    key = pem if form == "pem" else "".join(pem.splitlines(keepends=True)[1:-1])
    kc = manifest.key_credential_from_json({"key": key}, new_id=lambda: "new-id")
    assert (kc.key_id, kc.der, kc.custom_key_identifier) == (
        "new-id", certs.certificate_der(cert), certs.thumbprints(cert).sha1)


def test_disabled_role_secret_and_certificate_may_be_removed(mail_api: Application) -> None:
    doc = manifest.application_to_json(mail_api)
    doc.update(appRoles=doc["appRoles"][:2], passwordCredentials=[], keyCredentials=[])
    assert apply(doc, mail_api) == replace(mail_api, app_roles=mail_api.app_roles[:2],
                                           password_credentials=(), key_credentials=())


def test_echoed_certificate_keeps_its_key_and_takes_a_new_name(mail_api: Application) -> None:
    doc = manifest.application_to_json(mail_api)
    doc["keyCredentials"][0]["displayName"] = "rotated"
    [kc] = apply(doc, mail_api).key_credentials
    assert kc == replace(mail_api.key_credentials[0], display_name="rotated")


def test_more_than_1200_entries_refused(mail_api: Application) -> None:
    doc = {"identifierUris": [f"api://contoso-mail/{n}" for n in range(1200)]}
    with pytest.raises(InvalidInput) as caught:
        apply(doc, mail_api)
    assert [(d.target, d.message) for d in caught.value.details] == [
        ("$", "The manifest may hold at most 1200 entries across all collections combined.")]


def test_single_entry_readers() -> None:
    role = {"allowedMemberTypes": ["Application"], "displayName": "Read",
            "id": "A748AC60-2FCC-48B6-919A-D9E587743517", "value": "Mail.Read"}
    assert manifest.app_role_from_json(role) == model.AppRole(
        id="a748ac60-2fcc-48b6-919a-d9e587743517", value="Mail.Read", display_name="Read")
    assert manifest.app_role_to_json(manifest.app_role_from_json(role))["isEnabled"] is True
    with pytest.raises(InvalidInput) as caught:
        manifest.app_role_from_json("Mail.Read", target="body")
    assert [(d.target, d.message) for d in caught.value.details] == [
        ("body", "Expected an object.")]
    with pytest.raises(InvalidInput) as caught:
        manifest.key_credential_from_json({"key": _b64(_weak_cert())})
    assert [(d.target, d.message) for d in caught.value.details] == [
        ("keyCredential.keyId", "Expected a GUID such as 00000000-0000-0000-0000-000000000000."),
        ("keyCredential.key", "RSA key size 1024 is less than the minimum required 2048 bits")]


def test_service_principal_in_graph_shape(mail_api: Application) -> None:
    sp = model.ServicePrincipal(id=ObjectId("91f162d8-e1b0-4658-8162-d5a378f6db7f"),
                          app_id=mail_api.app_id, tenant_id=TENANT, display_name="Mail (SP)")
    assert manifest.service_principal_to_json(sp, mail_api) == {
        "id": sp.id, "accountEnabled": True, "appDisplayName": "Contoso Mail API",
        "appId": mail_api.app_id, "appOwnerOrganizationId": TENANT,
        "appRoleAssignmentRequired": True,
        "appRoles": [manifest.app_role_to_json(r) for r in mail_api.app_roles],
        "displayName": "Mail (SP)",
        "oauth2PermissionScopes": [manifest.permission_scope_to_json(s)
                                   for s in mail_api.oauth2_permission_scopes],
        "servicePrincipalNames": [mail_api.app_id, "api://contoso-mail",
                                  "https://mail.contoso.com/api"],
        "servicePrincipalType": "Application", "signInAudience": "AzureADMultipleOrgs",
        "tags": ["mail", "WindowsAzureActiveDirectoryIntegratedApp"]}


def test_assignment_and_tenant_in_graph_shape() -> None:
    grant = model.AppRoleAssignment(id="a1", tenant_id=TENANT, principal_id=ObjectId("p1"),
                              resource_id=ObjectId("r1"), app_role_id="role", created=NOW)
    assert manifest.assignment_to_json(grant, principal_display_name="Daemon",
                                       resource_display_name="Mail (SP)") == {
        "id": "a1", "deletedDateTime": None, "appRoleId": "role",
        "createdDateTime": "2026-01-01T00:00:00Z", "principalDisplayName": "Daemon",
        "principalId": "p1", "principalType": "ServicePrincipal",
        "resourceDisplayName": "Mail (SP)", "resourceId": "r1"}
    tenant = model.Tenant(id=TENANT, domains=("contoso.test", "mail.contoso.test"),
                    display_name="Contoso", profile="strict")
    assert manifest.tenant_to_json(tenant) == {
        "id": TENANT, "tenantId": TENANT, "displayName": "Contoso", "createdDateTime": None,
        "verifiedDomains": [{"name": "contoso.test", "isDefault": True},
                            {"name": "mail.contoso.test", "isDefault": False}],
        "profile": "strict"}


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                max_size=4),
    max_leaves=12)
MEMBERS = st.sampled_from(sorted(
    {"displayName", "name", "signInAudience", "identifierUris", "api", "appRoles",
     "oauth2Permissions", "requiredResourceAccess", "web", "spa", "publicClient",
     "replyUrlsWithType", "keyCredentials", "passwordCredentials", "tags", "id", "appId",
     "createdDateTime", "availableToOtherTenants", "accessTokenAcceptedVersion",
     "optionalClaims", "isFallbackPublicClient", "oauth2AllowImplicitFlow"}))
ENTRY_KEYS = st.sampled_from(["id", "value", "allowedMemberTypes", "isEnabled", "type", "key",
                              "keyId", "startDateTime", "endDateTime", "customKeyIdentifier",
                              "hint", "url", "resourceAppId", "resourceAccess", "redirectUris"])
ENTRIES = st.lists(st.dictionaries(ENTRY_KEYS, JSON, max_size=5), max_size=3)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=JSON | st.dictionaries(MEMBERS, JSON | ENTRIES, max_size=6))
def test_arbitrary_json_raises_only_bad_request(doc: Any, mail_api: Application) -> None:
    try:
        apply(doc, mail_api)
    except InvalidInput as exc:
        assert exc.details


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_valid_manifest_with_one_value_replaced_raises_only_bad_request(
        data: st.DataObject, mail_api: Application) -> None:
    doc = manifest.application_to_json(mail_api, include_keys=data.draw(st.booleans()))
    node: Any = doc
    while True:  # walk down to a random member, then replace it with arbitrary JSON
        key = data.draw(st.sampled_from(list(node) if isinstance(node, dict)
                                        else range(len(node))))
        if isinstance(node[key], dict | list) and node[key] and data.draw(st.booleans()):
            node = node[key]
            continue
        node[key] = data.draw(JSON)
        break
    try:
        assert apply(doc, mail_api) is not None
    except InvalidInput as exc:
        assert exc.details
