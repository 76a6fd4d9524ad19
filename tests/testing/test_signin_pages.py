"""Reading Credo's pages without a browser: forms, CSRF fields, buttons, error text."""

from __future__ import annotations

import ssl
from pathlib import Path

import jinja2
import pytest

from credo.testing.signin import SignIn, read_page

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "credo" / "web" / "templates"
BASE = "https://127.0.0.1:4443"


def render(name: str, **values: object) -> str:
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                                     autoescape=True)
    return environment.get_template(name).render(**values)


def test_the_sign_in_form_with_its_csrf_token_and_error() -> None:
    page = read_page(render("signin.html", title="Sign in", tenant_name="Contoso",
                            action=f"{BASE}/contoso/login", csrf="csrf-123",
                            return_to="/contoso/oauth2/v2.0/authorize?x=1", login="pat",
                            error="Your account or password is incorrect.", code=50126))
    assert page.action == f"{BASE}/contoso/login"
    assert page.fields == {"csrf": "csrf-123", "return_to": "/contoso/oauth2/v2.0/authorize?x=1",
                           "login": "pat", "passwd": ""}
    assert page.text == "Sign in: Your account or password is incorrect. (AADSTS50126)"


def test_the_consent_form_hidden_fields_buttons_and_checkbox() -> None:
    page = read_page(render(
        "user_consent.html", title="Permissions", user_name="Pat", user_upn="pat@contoso",
        app_name="Inbox", tenant_name="Contoso", permissions=[], for_org=True,
        action=f"{BASE}/contoso/oauth2/v2.0/authorize/consent", csrf="c",
        fields=[("client_id", "abc"), ("scope", "api://mail/Mail.Read")]))
    assert page.fields == {"csrf": "c", "client_id": "abc", "scope": "api://mail/Mail.Read"}
    assert page.buttons == {"action": ["cancel", "accept"]}
    assert page.checkboxes == {"for_org"}


def test_a_page_without_an_alert_is_reported_with_all_its_text() -> None:
    page = read_page(render("message.html", title="Error", heading="Something went wrong",
                            message="The redirect URI is not registered.", code=50011))
    assert page.action == ""
    assert "Something went wrong The redirect URI is not registered." in page.text
    assert "AADSTS50011" in page.text


def test_an_alert_is_reported_with_its_heading_and_error_code() -> None:
    page = read_page(render("message.html", title="Error", heading="Need admin approval",
                            alert=True, message="Only an administrator can grant them.",
                            code=90094, trace="t-1"))
    assert page.text == "Need admin approval: Only an administrator can grant them. (AADSTS90094)"


def test_a_form_post_response_is_read_as_the_authorization_response() -> None:
    page = read_page(render("form_post.html", title="Working…",
                            action="https://app.example/callback",
                            script="document.forms[0].submit()",
                            fields=[("code", "c0de"), ("state", "s1")]))
    assert (page.action, page.fields) == ("https://app.example/callback",
                                          {"code": "c0de", "state": "s1"})
    assert "submit()" not in page.text


def test_sign_in_never_starts_outside_the_test_authority() -> None:
    walk = SignIn(BASE, ssl.create_default_context(), "pat@contoso", "password")
    for url in ("https://login.microsoftonline.com/contoso/oauth2/v2.0/authorize",
                "https://127.0.0.1:4443.evil.example/x", "http://127.0.0.1:4443/contoso"):
        with pytest.raises(ValueError, match="is not on the test authority"):
            walk.run(url)
