"""Users and their consent: authorize, sign-in and consent pages (RFC 6749 §4.1-4.2; OIDC Core)."""

from __future__ import annotations

from credo.aadsts import Aadsts
from credo.errors import (
    AccessDenied,
    ConsentRequired,
    InvalidGrant,
    InvalidRequest,
    InvalidResource,
    InvalidScope,
    LoginRequired,
    TemporarilyUnavailable,
    UnsupportedResponseType,
)

REDIRECT_NOT_REGISTERED = Aadsts(
    50011, InvalidRequest, "The redirect URI '{redirect_uri}' specified in the request does not "
    "match the redirect URIs configured for the application '{client_id}'. Make sure the "
    "redirect URI sent in the request matches one added to your application.",
    when="redirect_uri is not registered on the application, character for character.",
    fix="Add the URI to web.redirectUris, spa.redirectUris or publicClient.redirectUris.")
NO_REDIRECT = Aadsts(
    500113, InvalidRequest, "No reply address is registered for the application.",
    when="The application registers no redirect URI at all.",
    fix="Register a redirect URI in the manifest.")
TOKEN_NOT_ENABLED = Aadsts(
    700051, UnsupportedResponseType, "The provided value for the input parameter "
    "'response_type' is not allowed for this client. Expected value is 'code'. response_type "
    "'token' is not enabled for the application.",
    when="response_type includes token but the manifest does not set oauth2AllowImplicitFlow.",
    fix="Use the authorization code flow with PKCE, or enable the implicit flow.")
ID_TOKEN_NOT_ENABLED = Aadsts(
    700054, UnsupportedResponseType, "response_type 'id_token' is not enabled for the "
    "application.",
    when="response_type includes id_token but oauth2AllowIdTokenImplicitFlow is not set.",
    fix="Use the authorization code flow, or enable ID tokens from the authorize endpoint.")
QUERY_WITH_TOKENS = Aadsts(
    700052, InvalidRequest, "response_mode 'query' is not allowed when an id_token or a token "
    "is requested; use fragment or form_post.",
    when="Tokens were asked for with response_mode=query.",
    fix="Use response_mode=fragment or form_post.")
NOT_CONFIGURED = Aadsts(
    650057, InvalidScope, "Invalid resource. The client has requested access to a resource "
    "which is not listed in the requested permissions in the client's application "
    "registration. Client app ID: {client_id}. Resource app ID: {resource_id}.",
    when="'.default' names an API the application lists no delegated permission of.",
    fix="Add the API's scopes to requiredResourceAccess, or ask for named scopes.")
RESOURCE_NOT_LISTED = Aadsts(
    650057, InvalidResource, "Invalid resource. The client has requested access to a resource "
    "which is not listed in the requested permissions in the client's application "
    "registration. Resource: '{resource}'.",
    when="Admin consent asks for an API the application does not list in "
    "requiredResourceAccess.",
    fix="Add the API to requiredResourceAccess first.")
UNKNOWN_PERMISSION = Aadsts(
    650053, InvalidScope, "The application '{client}' asked for {kind} '{value}' that doesn't "
    "exist on the resource '{resource_id}'.",
    when="A requested scope or application permission is not defined (or disabled) on the API.",
    fix="Ask only for permissions the API exposes (appRoles, oauth2PermissionScopes).")
NOT_CONSENTED = Aadsts(
    65001, ConsentRequired, "The user or administrator has not consented to use the "
    "application with ID '{client_id}' named '{client_name}'. Send an interactive "
    "authorization request for this user and resource.",
    when="prompt=none, or a silent request, needs a consent that was never given.",
    fix="Send an interactive authorization request.")
NOT_CONSENTED_GRANT = Aadsts(
    65001, InvalidGrant, "The user or administrator has not consented to use the application "
    "with ID '{client_id}' named '{client_name}'. Send an interactive authorization request "
    "for this user and resource.",
    when="A refresh asks for scopes whose consent was revoked or never given.",
    fix="Send an interactive authorization request; MSAL does this on its own.")
ADMIN_APPROVAL = Aadsts(
    90094, ConsentRequired, "'{client_name}' needs permission to access resources in your "
    "organization that only an admin can grant. Please ask an admin to grant permission to "
    "this app before you can use it.",
    when="A user who is not an administrator would have to consent to an Admin scope.",
    fix="A tenant administrator grants consent (admin consent), then the user signs in.")
ADMIN_CONSENT_REQUIRED = Aadsts(
    90094, AccessDenied, "Admin consent is required for the permissions requested by this "
    "application. Only an administrator of this organization can grant them.",
    when="Someone without an administrator directory role opened admin consent.",
    fix="Sign in as a Global, Application or Cloud Application Administrator.")
GLOBAL_ADMIN_ONLY = Aadsts(
    90094, AccessDenied, "Only a Global Administrator can grant application permissions of "
    "{resources}.",
    when="An Application Administrator tried to grant the management API's roles.",
    fix="Ask a Global Administrator.")
OPERATOR_ONLY = Aadsts(
    90094, AccessDenied, "{role} of the management API is granted by the operator only, never "
    "by consent.",
    when="Admin consent would grant Tenant.ReadWrite.All.",
    fix="Remove that permission from the application's manifest.")
USER_DECLINED = Aadsts(
    65004, AccessDenied, "The user has declined to consent to access the app.",
    when="The user chose Cancel on the consent page.",
    fix="Nothing to fix; ask the user again if the app needs the permission.")
LOGIN_REQUIRED = Aadsts(
    50058, LoginRequired, "There is no signed-in user, and the request asked for no user "
    "interaction (prompt=none).",
    when="prompt=none without a signed-in session.",
    fix="Send an interactive authorization request.")
BAD_CREDENTIALS = Aadsts(
    50126, InvalidGrant, "Your account or password is incorrect.",
    when="Unknown user, wrong password or a user of another tenant (the answer never tells "
    "which).",
    fix="Check the user name and password.")
LOCKED = Aadsts(
    50053, TemporarilyUnavailable, "You've tried to sign in too many times with an incorrect "
    "account or password. Try again later.", status=429,
    when="Too many failed sign-ins for this user or from this address (smart lockout).",
    fix="Wait for the Retry-After seconds; an administrator can reset the password.")
USER_DISABLED = Aadsts(
    50057, InvalidGrant, "The user account is disabled.",
    when="The user is disabled (checked after a correct password, and on every refresh).",
    fix="An administrator enables the user: `credo user enable`.")
USER_GONE = Aadsts(
    50034, InvalidGrant, "The user account does not exist in the directory. A fresh sign-in is "
    "needed.",
    when="A refresh token's user was deleted.",
    fix="Sign in with an existing user.")
