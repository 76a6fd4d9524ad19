"""client_secret_post / client_secret_basic verification (RFC 6749 §2.3.1)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from credo.errors import InvalidClient
from credo.model import PasswordCredential
from credo.protocol.client_auth import METHODS, Presented

from ..factory import APP_ID, NOW_DT, SECRET, context, hasher, secret_app

WRONG = ("Invalid client secret provided. Ensure the secret being sent in the request is the "
         f"client secret value, not the client secret ID, for a secret added to app '{APP_ID}'.")
EXPIRED = f"The provided client secret keys for app '{APP_ID}' are expired."


def cred(secret: str, *, days_left: int = 30, key_id: str = "s") -> PasswordCredential:
    end = NOW_DT + timedelta(days=days_left)
    return PasswordCredential(key_id=key_id, secret_hash=hasher(secret), hint=secret[:3],
                              start=end - timedelta(days=365), end=end)


def verify(secret: str, *creds: PasswordCredential, method: str = "client_secret_post") -> str:
    presented = Presented(method, APP_ID, None, secret)  # type: ignore[arg-type]
    result = METHODS[method].verify(presented, context(secret_app(*creds)))
    assert (result.method, result.jti, result.replay_key) == (method, None, None)
    return result.acr


@pytest.mark.parametrize("method", ["client_secret_post", "client_secret_basic"])
def test_valid_secret(method: str) -> None:
    assert verify(SECRET, cred("other", key_id="o"), cred(SECRET), method=method) == "1"


CASES = [
    ("wrong-secret", "nope", (cred(SECRET),), 7000215, WRONG),
    ("no-credentials", SECRET, (), 7000215, WRONG),
    ("only-expired-match", SECRET, (cred(SECRET, days_left=-1),), 7000222, EXPIRED),
    ("expired-match-and-other-valid", SECRET,
     (cred(SECRET, days_left=-1), cred("other", key_id="o")), 7000222, EXPIRED),
    ("secret-id-instead-of-value", "s", (cred(SECRET),), 7000215, WRONG),
]


@pytest.mark.parametrize(("secret", "creds", "code", "description"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_refused(secret: str, creds: tuple[PasswordCredential, ...], code: int,
                 description: str) -> None:
    with pytest.raises(InvalidClient) as info:
        verify(secret, *creds)
    assert (info.value.http_status, info.value.code, info.value.description) == (
        401, code, description)


def test_presented_for_another_app_is_refused() -> None:
    presented = Presented("client_secret_post", "other-app", None, SECRET)
    with pytest.raises(InvalidClient) as info:
        METHODS["client_secret_post"].verify(presented, context(secret_app(cred(SECRET))))
    assert info.value.code == 700021


def test_rotation_old_and_new_both_work() -> None:
    old, new = cred("old-secret", days_left=5, key_id="a"), cred("new-secret", key_id="b")
    assert verify("old-secret", old, new) == verify("new-secret", old, new) == "1"
