"""Who the client is and whether it proved it (RFC 6749 §2.3, §5.2; RFC 7523 §3)."""

from __future__ import annotations

from credo.aadsts import Aadsts
from credo.errors import InvalidClient, InvalidRequest, TemporarilyUnavailable, UnauthorizedClient

CLIENT_NOT_FOUND = Aadsts(
    700016, UnauthorizedClient, "Application with identifier '{client_id}' was not found in the "
    "directory '{tenant}'. This can happen if the application has not been installed by the "
    "administrator of the tenant or consented to by any user in the tenant. You may have sent "
    "your authentication request to the wrong tenant.",
    when="The client id names no application with a service principal in the path's tenant.",
    fix="Check the client id and the tenant in the authority URL; a multi-tenant app needs "
    "admin consent in that tenant first.")
CLIENT_DISABLED = Aadsts(
    7000112, UnauthorizedClient, "Application '{client_id}'({name}) is disabled.",
    when="The client's service principal in this tenant is disabled (accountEnabled false).",
    fix="An administrator enables it: `credo app enable`.")
CLIENT_ID_NOT_GUID = Aadsts(
    700038, InvalidRequest, "Invalid client identifier '{client_id}': the client_id must be a "
    "GUID.",
    when="An authorize request's client_id is not an application id.",
    fix="Use the application (client) id shown by `credo app show`.")
INVALID_JWT = Aadsts(
    50027, InvalidClient, "Invalid JWT token. {reason}",
    when="The client assertion is not a well-formed compact JWS, names an algorithm other "
    "than RS256/PS256, has 'crit', a foreign 'typ', malformed claims or no thumbprint.",
    fix="Build the assertion as RFC 7523 §3 says: RS256 or PS256, x5t or x5t#S256 of the "
    "uploaded certificate, iss = sub = client id, aud, exp, jti.")
SUBJECT_MISMATCH = Aadsts(
    50048, InvalidClient, "Subject mismatches Issuer claim in the client assertion.",
    when="The assertion's 'iss' and 'sub' differ.",
    fix="Set both to the client id.")
CLIENT_ID_MISMATCH = Aadsts(
    700021, InvalidClient, "The {source} does not match the 'client_id' parameter.",
    when="The form's client_id names another client than the assertion's 'iss' or HTTP Basic.",
    fix="Send the same client id everywhere, or omit the client_id parameter.")
WRONG_CLIENT = Aadsts(
    700021, InvalidClient, "The {credential} does not identify this application.",
    when="A credential was verified against another application than the one it names.",
    fix="Send the credential of the application named by client_id.")
ASSERTION_TYPE = Aadsts(
    90011, InvalidClient, "Unexpected client assertion type.",
    when="client_assertion_type is not urn:ietf:params:oauth:client-assertion-type:jwt-bearer.",
    fix="Send the RFC 7523 §2.2 assertion type.")
NO_CREDENTIAL = Aadsts(
    7000218, InvalidClient, "The request body must contain the following parameter: "
    "'client_assertion' or 'client_secret'.",
    when="A confidential client sent no credential.",
    fix="Authenticate with a client assertion (certificate) or a client secret.")
KEY_NOT_FOUND = Aadsts(
    700027, InvalidClient, "Client assertion contains an invalid signature. [Reason - The key "
    "was not found., Thumbprint of key used by client: '{thumbprint}' ({kind}), Please "
    "use the management API to see the configured keys for app Id '{client_id}'.]",
    when="No certificate of this application has the thumbprint in the assertion's header "
    "(x5t is SHA-1, x5t#S256 SHA-256).",
    fix="Upload the certificate (`credo app cert add`) or sign with one that is uploaded; "
    "`credo app cert list` shows both thumbprints.")
THUMBPRINTS_DIFFER = Aadsts(
    700027, InvalidClient, "Client assertion contains an invalid signature. [Reason - The "
    "'x5t' and 'x5t#S256' header parameters name different certificates.]",
    when="x5t and x5t#S256 name two different certificates.",
    fix="Send the thumbprints of one certificate, or only one of them.")
WEAK_KEY = Aadsts(
    700027, InvalidClient, "Client assertion contains an invalid signature. [Reason - The key "
    "is not an RSA key of at least 2048 bits.]",
    when="The uploaded certificate's key is not RSA of at least 2,048 bits.",
    fix="Make a new certificate: `credo cert create --key-size 2048`.")
BAD_SIGNATURE = Aadsts(
    700027, InvalidClient, "Client assertion contains an invalid signature. [Reason - Key was "
    "found, but use of the key to verify the signature failed., Thumbprint of key used by "
    "client: '{thumbprint}' (SHA-1)]",
    when="The signature does not verify with the certificate the header names.",
    fix="Sign with the private key of that certificate, with the algorithm in 'alg'.")
AUDIENCE_MISMATCH = Aadsts(
    700023, InvalidClient, "Client assertion audience claim does not match Realm issuer.",
    when="The assertion's 'aud' is not this tenant's token endpoint or issuer (strict: the "
    "issuer only).",
    fix="Set 'aud' to the token endpoint URL you post to (or the issuer from discovery).")
TIME_RANGE = Aadsts(
    700024, InvalidClient, "Client assertion is not within its valid time range. Current time: "
    "{now}, assertion valid from {nbf}, expiry time of assertion {exp}.",
    when="The assertion has expired, is not yet valid, or its times are inverted.",
    fix="Make a fresh assertion and check the client's clock (skew: entra 300 s, strict 60 s).")
LIFETIME_TOO_LONG = Aadsts(
    700024, InvalidClient, "Client assertion is not within its valid time range. Its lifetime "
    "of {lifetime} seconds exceeds the maximum of {limit} seconds.",
    when="exp lies further after iat (or nbf, or now) than the profile allows (entra 3,600 s, "
    "strict 600 s).",
    fix="Issue assertions with a shorter lifetime.")
REPLAYED = Aadsts(
    700024, InvalidClient, "Client assertion has already been used. A new assertion with a "
    "unique 'jti' is required.",
    when="Strict profile: an assertion's jti was seen before.",
    fix="Sign a new assertion for every token request.")
CERT_OUT_OF_RANGE = Aadsts(
    1000502, InvalidClient, "The client certificate is not within its valid time range for "
    "app Id '{client_id}'.",
    when="The certificate the assertion names is expired or not yet valid.",
    fix="Upload a current certificate and sign with it.")
INVALID_SECRET = Aadsts(
    7000215, InvalidClient, "Invalid client secret provided. Ensure the secret being sent in "
    "the request is the client secret value, not the client secret ID, for a secret added to "
    "app '{client_id}'.",
    when="No client secret of this application matches.",
    fix="Send the secret's value (shown once by `credo app secret add`), not its key id.")
EXPIRED_SECRET = Aadsts(
    7000222, InvalidClient, "The provided client secret keys for app '{client_id}' are expired.",
    when="The secret matches, but it is outside its validity.",
    fix="Add a new secret and use it.")
CLIENT_THROTTLED = Aadsts(
    50196, TemporarilyUnavailable, "The server terminated an operation because it encountered "
    "too many failed authentications of this client. Retry after the time in the Retry-After "
    "header.", status=429,
    when="The client failed to authenticate `token_client_failures` times in this tenant within "
    "`token_failure_window` seconds: every request of it is refused until the window ends, the "
    "right credential included.",
    fix="Fix the credential, then retry after the Retry-After seconds (MSAL and azure-identity "
    "wait for it).")
TENANT_THROTTLED = Aadsts(
    90055, TemporarilyUnavailable, "There are too many incoming requests. Retry after the time "
    "in the Retry-After header.", status=429,
    when="The tenant saw `token_tenant_failures` failed client authentications within "
    "`token_failure_window` seconds: its clients that failed too are refused until the window "
    "ends (a client without failures is not).",
    fix="Retry after the Retry-After seconds; find the failing clients in the audit log.")

# -- federated identity credentials (a token of an external issuer as client_assertion) -----
_CHECK = ("Check your federated identity credential Subject, Audience and Issuer against the "
          "presented assertion.")
_LIST = "`credo app federated list APP` shows the app's federated credentials."
FEDERATED_NONE = Aadsts(
    70021, InvalidRequest, "No matching federated identity record found for presented "
    "assertion. Assertion Issuer: '{issuer}'. Assertion Subject: '{subject}'. Assertion "
    "Audience: '{audience}'.",
    when="A client assertion from an external issuer names an application that has no "
    "federated identity credential at all.",
    fix="Add one: `credo app federated add APP NAME --issuer … --subject …`.")
FEDERATED_ISSUER = Aadsts(
    700211, InvalidClient, "No matching federated identity record found for presented "
    "assertion issuer '{issuer}'. " + _CHECK,
    when="No federated identity credential of the application has exactly the assertion's "
    "'iss' (compared case-sensitively; a trailing '/' counts).",
    fix="Register the issuer exactly as its tokens write it. " + _LIST)
FEDERATED_SUBJECT = Aadsts(
    700213, InvalidClient, "No matching federated identity record found for presented "
    "assertion subject '{subject}'. " + _CHECK,
    when="The issuer matches, but no credential with it has exactly the assertion's 'sub'.",
    fix="Register the subject the workload's tokens carry (GitHub: repo:OWNER/REPO:ref:… or "
    ":environment:…; Kubernetes: system:serviceaccount:NAMESPACE:NAME).")
FEDERATED_SUBJECT_CASE = Aadsts(
    7002138, InvalidClient, "No matching federated identity record found for presented "
    "assertion subject '{subject}'. The subject matches with case-insensitive comparison, but "
    "not with case-sensitive comparison. " + _CHECK,
    when="The assertion's 'sub' differs from a registered subject only in letter case.",
    fix="Register the subject with the exact case the tokens carry.")
FEDERATED_AUDIENCE = Aadsts(
    700212, InvalidClient, "No matching federated identity record found for presented "
    "assertion audience '{audience}'. " + _CHECK,
    when="Issuer and subject match, but the assertion's 'aud' is not the credential's "
    "audience.",
    fix="Ask the issuer for a token with the registered audience (api://AzureADTokenExchange "
    "by default).")
FEDERATED_KEY_NOT_FOUND = Aadsts(
    7000272, InvalidClient, "The certificate with identifier {kid} used to sign the federated "
    "credential could not be found in the metadata of identity provider {issuer}. Please "
    "validate that your Identity Provider's metadata exposes the key used to sign the incoming "
    "token.",
    when="The issuer's key set (jwks_uri of its discovery document) has no RS256 or P-256 key "
    "with the assertion's 'kid', even after one refetch (at most one a minute per issuer).",
    fix="Publish the signing key in the issuer's JWKS; a key just rotated in is seen within a "
    "minute.")
FEDERATED_BAD_SIGNATURE = Aadsts(
    700027, InvalidClient, "Client assertion contains an invalid signature. [Reason - The key "
    "was found, but use of the key to verify the signature failed., Key id of the external "
    "issuer: '{kid}']",
    when="The signature of the external token does not verify with the issuer's key its 'kid' "
    "names (or 'alg' does not match the key: RS256 needs RSA, ES256 P-256).",
    fix="Present the token exactly as the issuer made it.")
FEDERATED_ISSUER_UNREACHABLE = Aadsts(
    90061, InvalidRequest, "Request to External OIDC endpoint failed. The discovery document or "
    "keys of issuer '{issuer}' could not be fetched: {reason}.",
    when="The issuer's /.well-known/openid-configuration or its jwks_uri did not answer within "
    "`federation_timeout` seconds, answered an error, is not https, names another issuer, or "
    "its TLS certificate is not trusted (`federation_ca_file`).",
    fix="Make the issuer's discovery document and keys reachable from Credo over https; retry.")
