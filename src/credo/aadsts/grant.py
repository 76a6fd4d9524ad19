"""What a token request asks for: grant, resource, scope, code, refresh token (RFC 6749 §4-6)."""

from __future__ import annotations

from credo.aadsts import Aadsts
from credo.errors import (
    InvalidClient,
    InvalidGrant,
    InvalidRequest,
    InvalidResource,
    InvalidScope,
    UnsupportedGrantType,
)

UNSUPPORTED_GRANT = Aadsts(
    70003, UnsupportedGrantType, "The app requested an unsupported grant type '{grant_type}'.",
    when="grant_type is none of those discovery lists in grant_types_supported.",
    fix="Use a grant_type that discovery lists in grant_types_supported.")
RESOURCE_NOT_FOUND = Aadsts(
    500011, InvalidResource, "The resource principal named {resource} was not found in the "
    "tenant named {tenant}. This can happen if the application has not been installed by the "
    "administrator of the tenant or consented to by any user in the tenant. You might have "
    "sent your authentication request to the wrong tenant.",
    when="No API in this tenant has that identifier URI or app id.",
    fix="Check the scope (<identifier URI>/.default) or resource parameter and the tenant.")
REQUIRED_RESOURCE_NOT_FOUND = Aadsts(
    500011, InvalidResource, "The resource principal named '{resource}' was not found in the "
    "tenant.",
    when="Admin consent: an API the application lists in requiredResourceAccess does not "
    "exist in this tenant.",
    fix="Register the API in the tenant first, or remove it from the manifest.")
RESOURCE_DISABLED = Aadsts(
    50001, InvalidResource, "The resource '{resource}' is disabled.",
    when="The API's service principal in this tenant is disabled.",
    fix="An administrator enables the API: `credo app enable`.")
RESOURCE_NOT_SUBSCRIBED = Aadsts(
    650052, InvalidResource, "The app needs access to a service ('{name}') that your "
    "organization '{tenant}' has not subscribed to or enabled.",
    when="Admin consent: the API has no enabled service principal in this tenant.",
    fix="Enable the API in the tenant, then consent again.")
NOT_ASSIGNED = Aadsts(
    501051, InvalidGrant, "Application '{client_id}'({client_name}) is not assigned to a role "
    "for the application '{resource}'({resource_name}).",
    when="The API requires an app-role assignment and this client holds none on it (also "
    "after the last role was revoked).",
    fix="A tenant administrator grants an application permission: `credo consent grant`.")
SCOPE_NOT_DEFAULT = Aadsts(
    1002012, InvalidScope, "The provided value for scope {scope} is not valid. Client "
    "credential flows must have a scope value with /.default suffixed to the resource "
    "identifier (application ID URI).",
    when="A client-credentials scope is not '<resource>/.default'.",
    fix="Ask for '<identifier URI>/.default'.")
MULTIPLE_RESOURCES = Aadsts(
    700022, InvalidScope, "The provided value for the input parameter scope is not valid "
    "because it contains more than one resource. Scope {scope} is not valid.",
    when="A client-credentials scope names two resources.",
    fix="Request one token per resource.")
MULTIPLE_DELEGATED_RESOURCES = Aadsts(
    28000, InvalidScope, "The provided value for the input parameter scope is not valid "
    "because it contains more than one resource. Scope {scope} is not valid.",
    when="A delegated scope names permissions of two resources.",
    fix="Request one resource's scopes per token; refresh tokens serve the others.")
RESOURCE_PARAMETER_V2 = Aadsts(
    901002, InvalidRequest, "The 'resource' request parameter is not supported.",
    when="The v2.0 token endpoint got a v1 'resource' parameter.",
    fix="Use scope=<resource>/.default on v2.0, or the v1 endpoint /oauth2/token.")
INVALID_SCOPE = Aadsts(
    70011, InvalidScope, "The provided value for the input parameter 'scope' is not valid. "
    "{reason} Scope {scope} is not valid.",
    when="A delegated scope is malformed (see the reason).",
    fix="Ask for '<identifier URI>/<scope>' values, '.default', and OpenID scopes.")
SCOPE_NEEDS_OPENID = Aadsts(
    70011, InvalidScope, "The provided value for the input parameter 'scope' is not valid: an "
    "id_token requires the 'openid' scope.",
    when="response_type includes id_token but scope lacks openid.",
    fix="Add openid to the scope.")
ADMIN_CONSENT_SCOPE = Aadsts(
    70011, InvalidScope, "The provided value for the input parameter 'scope' is not valid. "
    "Admin consent asks for '<resource>/.default' only.",
    when="A v2.0 admin-consent request's scope is not a list of '<resource>/.default'.",
    fix="Ask for '<identifier URI>/.default' of each API.")
SCOPE_NOT_GRANTED = Aadsts(
    70011, InvalidScope, "The provided value for the input parameter 'scope' is not valid: "
    "'{scopes}' was not granted with this refresh token.",
    when="A refresh asks for OpenID scopes the original sign-in did not grant (RFC 6749 §6).",
    fix="Sign the user in again with those scopes.")
INVALID_CODE = Aadsts(
    70000, InvalidGrant, "The provided value for the '{name}' parameter is not valid.",
    when="The authorization code is unknown, another client's or tenant's, or too long.",
    fix="Redeem the code you received, once, with the same client.")
EXPIRED_GRANT = Aadsts(
    70008, InvalidGrant, "The provided authorization code or refresh token has expired due to "
    "inactivity. Send a new interactive authorization request for this user and resource.",
    when="The code is older than 10 minutes, or the refresh token older than 90 days.",
    fix="Start a new interactive sign-in.")
CODE_REDEEMED = Aadsts(
    54005, InvalidGrant, "OAuth2 Authorization code was already redeemed, please retry with a "
    "new valid code or use an existing refresh token.",
    when="The code was redeemed before; its refresh tokens are revoked too (RFC 6749 §4.1.2).",
    fix="Use the refresh token you got, or sign in again.")
REDIRECT_MISMATCH = Aadsts(
    500117, InvalidGrant, "The provided value for the input parameter 'redirect_uri' is not "
    "valid. The expected value is a URI which matches the redirect URI used to obtain the "
    "authorization code.",
    when="redirect_uri differs from the authorize request's (RFC 6749 §4.1.3).",
    fix="Send the same redirect_uri as in the authorize request.")
PUBLIC_WITH_CREDENTIAL = Aadsts(
    700025, InvalidClient, "Client is public so neither 'client_assertion' nor "
    "'client_secret' should be presented.",
    when="A credential was sent for a code issued to a public (spa or mobile) redirect URI.",
    fix="Redeem public-client codes with PKCE only.")
PKCE_REQUIRED_GRANT = Aadsts(
    9002325, InvalidGrant, "Proof Key for Code Exchange is required for a public client's "
    "authorization code.",
    when="A public client redeems a code issued without a code_challenge.",
    fix="Send code_challenge (S256) in the authorize request and code_verifier here.")
PKCE_REQUIRED = Aadsts(
    9002325, InvalidRequest, "Proof Key for Code Exchange is required for public clients: send "
    "code_challenge with code_challenge_method=S256.",
    when="A public client's authorize request has no code_challenge.",
    fix="Add code_challenge and code_challenge_method=S256.")
CHALLENGE_WITHOUT_VALUE = Aadsts(
    501491, InvalidRequest, "The code_challenge_method parameter was sent without a "
    "code_challenge.",
    when="code_challenge_method without code_challenge.",
    fix="Send both, or neither (confidential clients only).")
CHALLENGE_PLAIN = Aadsts(
    501491, InvalidRequest, "The code_challenge_method must be 'S256'; 'plain' (the default "
    "when it is omitted) is not supported.",
    when="code_challenge_method is plain or absent.",
    fix="Use code_challenge_method=S256.")
CHALLENGE_SIZE = Aadsts(
    501491, InvalidRequest, "Invalid size of Code_Challenge parameter: an S256 code_challenge "
    "is 43 base64url characters.",
    when="The code_challenge is not 43 base64url characters.",
    fix="Send BASE64URL(SHA256(code_verifier)) without padding.")
VERIFIER_UNEXPECTED = Aadsts(
    501481, InvalidGrant, "A code_verifier was sent, but the authorization request had no "
    "code_challenge.",
    when="code_verifier for a code issued without a challenge.",
    fix="Send code_verifier only when the authorize request had a code_challenge.")
VERIFIER_MISSING = Aadsts(
    501481, InvalidGrant, "The code_verifier is missing: the authorization request carried a "
    "code_challenge.",
    when="No code_verifier for a code issued with a challenge.",
    fix="Send the code_verifier the challenge was made from.")
VERIFIER_MISMATCH = Aadsts(
    501481, InvalidGrant, "The code_verifier does not match the code_challenge supplied in the "
    "authorization request.",
    when="SHA-256 of the code_verifier is not the code_challenge (RFC 7636 §4.6).",
    fix="Send the verifier the challenge was made from.")
INVALID_REFRESH_TOKEN = Aadsts(
    9002313, InvalidGrant, "Invalid request. Request is malformed or invalid: the refresh token "
    "is not valid.",
    when="The refresh token is unknown, or another client's or tenant's.",
    fix="Use the refresh token from the last response, or sign in again.")
GRANT_REVOKED = Aadsts(
    50173, InvalidGrant, "The provided grant has expired due to it being revoked, a fresh auth "
    "token is needed.{reason}",
    when="The refresh-token family was revoked: a retired token was reused, a code replayed, "
    "or the user's password changed.",
    fix="Sign the user in again.")

# -- on-behalf-of: grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer --------------------
_OBO_FIX = ("Pass the access token the user's client sent to this API, unchanged, as "
            "'assertion'.")
OBO_TOKEN_USE = Aadsts(
    70003, UnsupportedGrantType, "The app requested an unsupported grant type "
    "'urn:ietf:params:oauth:grant-type:jwt-bearer' with requested_token_use '{value}'; only "
    "'on_behalf_of' is supported.",
    when="A jwt-bearer grant asks for anything but on-behalf-of (RFC 7523 §2.1 user "
    "assertions of other issuers are not accepted).",
    fix="Send requested_token_use=on_behalf_of with the user's access token as 'assertion'.")
OBO_MALFORMED = Aadsts(
    50027, InvalidGrant, "JWT token is invalid or malformed. {reason}",
    when="The on-behalf-of 'assertion' is not a compact JWS, is over 16 KiB, or is not RS256 "
    "with a 'kid'.",
    fix=_OBO_FIX)
OBO_SIGNATURE = Aadsts(
    50013, InvalidGrant, "Assertion failed signature validation. [Reason - {reason}]",
    when="The assertion was not signed by a key this deployment publishes (or was altered).",
    fix=_OBO_FIX)
OBO_ISSUER = Aadsts(
    50013, InvalidGrant, "Assertion is invalid: its issuer '{issuer}' is not this tenant's. An "
    "on-behalf-of assertion must be an access token issued by the tenant the request is "
    "sent to.",
    when="The assertion's 'iss' or 'tid' names another tenant (or another authority).",
    fix="Send the on-behalf-of request to the tenant that issued the user's token.")
OBO_AUDIENCE = Aadsts(
    50013, InvalidGrant, "Assertion audience does not match the Client app presenting the "
    "assertion. The audience in the assertion was '{audience}' and the expected audience is "
    "'{client_id}' or one of the Application Uris of this application with App ID "
    "'{client_id}'({name}). The downstream client must request a token for the expected "
    "audience (the application that made the OBO request) and this application should use "
    "that token as the assertion.",
    when="The assertion is a token for another API than the client making the request.",
    fix="The user's client asks for a token to the middle-tier API (its identifier URI or app "
    "id); the middle tier passes that token on.")
OBO_NOT_USER = Aadsts(
    50013, InvalidGrant, "Assertion is not a user's access token (its 'idtyp' is '{idtyp}'): "
    "on-behalf-of exchanges the access token a signed-in user's client got for this API.",
    when="The assertion is an application's own token (client credentials), or an ID token.",
    fix="Use the client-credentials grant to act as the application; use on-behalf-of only "
    "with a user's access token.")
OBO_EXPIRED = Aadsts(
    500133, InvalidGrant, "Assertion is not within its valid time range. Ensure that the "
    "access token is not expired before using it for user assertion, or request a new token. "
    "Current time: {now}, expiry time of assertion {exp}.",
    when="The user's access token has expired (300 s of leeway) or is not yet valid.",
    fix="The user's client gets a fresh access token (MSAL does so silently) and sends it.")
