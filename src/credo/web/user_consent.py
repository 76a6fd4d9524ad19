"""The user-consent page of the authorize endpoints (OIDC Core §3.1.2.4).

It lists the delegated scopes the user has not consented to yet, with the texts the API
registered for users (``userConsentDisplayName``/``…Description``; the admin texts when
those are empty, and for ``Admin`` scopes), plus the OIDC scopes asked for. An
administrator also gets "Consent on behalf of your organization", which records an
``AllPrincipals`` grant instead of one for themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.responses import Response

from credo.model import PermissionScope
from credo.service.authorize.outcomes import ConsentPrompt
from credo.service.runtime import Services
from credo.web import pages
from credo.web.session import SignedInUser

OIDC_TEXTS = {
    "openid": ("Sign you in", "Lets the app sign you in with your account."),
    "profile": ("View your basic profile", "Your name and user name."),
    "email": ("View your email address", "Your primary email address."),
    "offline_access": ("Maintain access to data you have given it access to",
                       "Lets the app keep getting tokens without asking you again."),
}


@dataclass(frozen=True)
class PermissionView:
    display_name: str
    description: str
    value: str
    resource_name: str
    admin: bool


def _view(scope: PermissionScope, resource_name: str) -> PermissionView:
    admin = scope.type == "Admin"
    name = ("" if admin else scope.user_consent_display_name) or \
        scope.admin_consent_display_name or scope.value
    text = ("" if admin else scope.user_consent_description) or scope.admin_consent_description
    return PermissionView(name, text, scope.value, resource_name, admin)


def permissions(prompt: ConsentPrompt) -> list[PermissionView]:
    resource = prompt.resource
    found = [_view(s, resource.display_name) for s in prompt.state.missing] \
        if prompt.state is not None and resource is not None else []
    found += [PermissionView(*OIDC_TEXTS[s], s, "OpenID Connect", False)
              for s in prompt.request.scopes.oidc]
    return found


def consent_page(services: Services, prompt: ConsentPrompt, signed: SignedInUser,
                 csrf: str) -> Response:
    prepared = prompt.prepared
    listed = permissions(prompt)
    return pages.render(
        "user_consent.html", title="Permissions requested",
        user_name=signed.user.display_name, user_upn=signed.user.user_principal_name,
        app_name=prepared.client.display_name, tenant_name=prepared.tenant.display_name,
        permissions=listed, for_org=prompt.is_admin,
        admin_only=any(p.admin for p in listed),
        action=services.settings.base_url + prepared.path("authorize/consent"),
        fields=sorted(prepared.params.items()), csrf=csrf)
