"""``TokenValidator`` configuration: unsafe settings are refused, owned clients are closed."""

from __future__ import annotations

from typing import Any

import pytest
from resource_fakes import (
    DOMAIN,
    HOST,
    MAIL_API_URI,
    TENANT_ID,
    Clock,
    FakeAuthority,
    app_claims,
    issuer,
    sign,
)

from credo.resource import TokenValidator


@pytest.mark.parametrize(("options", "message"), [
    ({"algorithms": ["HS256"]}, "algorithms must be a non-empty subset"),
    ({"algorithms": ["none"]}, "algorithms must be a non-empty subset"),
    ({"algorithms": []}, "algorithms must be a non-empty subset"),
    ({"versions": ["3.0"]}, "versions must be a non-empty subset"),
    ({"leeway": 600}, "leeway must be between 0 and 300 seconds"),
    ({"leeway": -1}, "leeway must be between 0 and 300 seconds"),
    ({"audiences": []}, "audiences must name at least one non-empty audience"),
    ({"audiences": ""}, "audiences must name at least one non-empty audience"),
    ({"tenants": ["*"]}, "unsafe_allow_any_tenant=True instead of '*'"),
    ({"tenants": [TENANT_ID], "unsafe_allow_any_tenant": True}, "not both"),
    ({"metadata_ttl": 0}, "metadata_ttl must be positive"),
], ids=lambda v: repr(v) if isinstance(v, dict) else "")
def test_unsafe_configuration_is_refused(options: dict[str, Any], message: str) -> None:
    options = {"audiences": MAIL_API_URI, **options}
    with pytest.raises(ValueError, match=message.replace("*", r"\*")):
        TokenValidator(f"{HOST}/{DOMAIN}", options.pop("audiences"), **options)


@pytest.mark.parametrize(("authority", "message"), [
    (f"http://login.credo.test/{DOMAIN}", "must be an https URL"),
    ("https://login.credo.test", "names no tenant"),
    (f"{HOST}/{DOMAIN}?x=1", "must not carry a query"),
    (f"{HOST}/common", r"a multi-tenant authority \(common\) needs tenants"),
    (f"{HOST}/organizations/v2.0", r"a multi-tenant authority \(organizations\) needs"),
])
def test_bad_authority(authority: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TokenValidator(authority, MAIL_API_URI)


def test_http_authority_only_when_asked(authority: FakeAuthority, keys: Any) -> None:
    fake = FakeAuthority([keys.primary.jwk()], host="http://127.0.0.1:8080")
    validator = fake.validator(f"{fake.host}/{DOMAIN}", allow_insecure_http=True)
    claims = {**app_claims(), "iss": issuer("2.0", host=fake.host)}
    assert validator.validate_sync(sign(keys.primary, claims)).tenant_id == TENANT_ID


async def test_owned_clients_are_closed(authority: FakeAuthority) -> None:
    validator = TokenValidator(f"{HOST}/{DOMAIN}", MAIL_API_URI, clock=Clock())
    assert validator._async_client() is validator._async_client()
    client = validator._async_client()
    sync_client = validator._sync_client()
    await validator.aclose()
    assert client.is_closed and sync_client.is_closed
    assert validator._async_client() is not client
    await validator.aclose()
