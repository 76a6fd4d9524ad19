"""Malformed requests and endpoints: parameters, bodies, paths and methods (RFC 6749 §3.1-3.2)."""

from __future__ import annotations

from credo.aadsts import Aadsts
from credo.errors import InvalidClient, InvalidRequest, UnsupportedResponseType

MISSING_BODY_PARAMETER = Aadsts(
    900144, InvalidRequest, "The request body must contain the following parameter: '{name}'.",
    when="A token or consent request lacks a required form parameter (grant_type, client_id, "
    "scope, resource, code, refresh_token …).",
    fix="Send the named parameter in the application/x-www-form-urlencoded body.")
NOT_A_FORM = Aadsts(
    900144, InvalidRequest, "The request body must contain the following parameter: "
    "'grant_type'. A token request is sent as application/x-www-form-urlencoded, not as "
    "'{content_type}'.",
    when="A token request's Content-Type is not application/x-www-form-urlencoded (JSON, "
    "XML, multipart, none): Entra does not read such a body either.",
    fix="Send the parameters as an application/x-www-form-urlencoded form (a charset "
    "parameter is fine).")
MISSING_PARAMETER = Aadsts(
    900144, InvalidRequest, "The request must contain the following parameter: '{name}'.",
    when="An authorize request lacks a required query parameter (client_id, response_type, "
    "redirect_uri, scope, nonce).",
    fix="Add the named parameter to the authorize URL.")
MALFORMED_FORM = Aadsts(
    90100, InvalidRequest,
    "The request body is not valid application/x-www-form-urlencoded content.",
    when="The body has raw non-ASCII bytes or a '%' not followed by two hex digits.",
    fix="Percent-encode the form as RFC 6749 Appendix B and the HTML form encoding say.")
BODY_NOT_UTF8 = Aadsts(
    90100, InvalidRequest, "The request body is not valid UTF-8.",
    when="A percent-decoded form value is not UTF-8.",
    fix="Encode text as UTF-8 before percent-encoding it.")
BODY_TOO_LARGE = Aadsts(
    90100, InvalidRequest, "The request body is larger than {limit} bytes.", status=413,
    when="A token request body exceeds 64 KiB.",
    fix="Send a smaller request; a client assertion is at most 16 KiB.")
BODY_TOO_LARGE_PLAIN = Aadsts(
    90100, InvalidRequest, "The request body is too large.", status=413,
    when="A token request announces or streams more than 64 KiB.",
    fix="Send a smaller request; a client assertion is at most 16 KiB.")
FORM_TOO_LARGE = Aadsts(
    90100, InvalidRequest, "The form is too large.", status=413,
    when="A sign-in or consent form exceeds 16 KiB.",
    fix="Submit the page's own form; nothing legitimate is that large.")
REPEATED_BODY_PARAMETER = Aadsts(
    90100, InvalidRequest, "The request body must contain a single value for parameter "
    "'{name}'.",
    when="A form parameter appears twice (RFC 6749 §3.2 forbids repeats).",
    fix="Send each parameter once.")
REPEATED_PARAMETER = Aadsts(
    90100, InvalidRequest, "The request must contain a single value for parameter '{name}'.",
    when="An authorize query parameter appears twice.",
    fix="Send each parameter once.")
REPEATED_CONSENT_PARAMETER = Aadsts(
    90100, InvalidRequest, "The parameter '{name}' is repeated.",
    when="An admin-consent query parameter appears twice.",
    fix="Send each parameter once.")
PARAMETER_TOO_LONG = Aadsts(
    90100, InvalidRequest, "The parameter '{name}' is too long.",
    when="An admin-consent query parameter exceeds 2,048 characters.",
    fix="Send the values the application registered; none is that long.")
CREDENTIAL_IN_QUERY = Aadsts(
    90100, InvalidRequest, "The parameter '{name}' must be sent in the request body, not in "
    "the query string.",
    when="A credential or grant parameter travels in the token URL's query (RFC 6749 §2.3.1).",
    fix="Move the parameter into the POST body.")
BAD_RESPONSE_MODE = Aadsts(
    90100, InvalidRequest, "The response_mode '{mode}' is not supported; use query, fragment or "
    "form_post.",
    when="An authorize request names an unknown response_mode.",
    fix="Use query, fragment or form_post.")
BAD_PROMPT = Aadsts(
    90100, InvalidRequest, "Invalid value for the 'prompt' parameter: '{prompt}'.",
    when="An authorize request's prompt is not login, none, consent or select_account.",
    fix="Send one of the supported prompt values.")
BAD_MAX_AGE = Aadsts(
    90100, InvalidRequest, "The 'max_age' parameter must be a non-negative number of seconds.",
    when="An authorize request's max_age is not a non-negative integer.",
    fix="Send max_age as whole seconds.")
CONSENT_ANSWER = Aadsts(
    90100, InvalidRequest, "The consent form must say 'accept' or 'cancel'.",
    when="A consent form was posted without a decision.",
    fix="Use the buttons of the consent page.")
ADMIN_CONSENT_ANSWER = Aadsts(
    90100, InvalidRequest, "The form must say 'accept' or 'cancel'.",
    when="An admin-consent form was posted without a decision.",
    fix="Use the buttons of the admin-consent page.")
PATH_NOT_FOUND = Aadsts(
    90100, InvalidRequest, "The requested path '{path}' does not exist.", status=404,
    when="No endpoint lives at the requested path.",
    fix="Check the authority URL and the endpoint path (discovery lists every endpoint).")
METHOD_NOT_ALLOWED = Aadsts(
    900561, InvalidRequest, "The endpoint does not accept {method} requests.", status=405,
    when="An endpoint was called with an HTTP method it does not serve.",
    fix="Use the method the endpoint documents.")
TOKEN_METHOD = Aadsts(
    900561, InvalidRequest, "The endpoint only accepts POST requests. Received a {method} "
    "request.", status=405,
    when="The token endpoint was called with another method than POST.",
    fix="POST the token request as a form.")
FORM_EXPIRED = Aadsts(
    90023, InvalidRequest, "The consent form has expired or was not sent by this page. Start "
    "again from the application.",
    when="A consent or sign-out form's anti-forgery token is missing, expired or not this "
    "session's.",
    fix="Reload the page from the application and submit it again.")
MALFORMED_BASIC = Aadsts(
    90023, InvalidClient, "The HTTP Basic authorization header is malformed.",
    when="The Authorization: Basic header is not base64 of 'client_id:secret' in UTF-8.",
    fix="Encode the form-encoded client id and secret as RFC 6749 §2.3.1 describes.")
TWO_METHODS = Aadsts(
    90023, InvalidClient, "Only one client authentication method may be used per request.",
    when="A request presents two client credentials, e.g. a client_assertion and a "
    "client_secret, or a body secret and HTTP Basic (RFC 6749 §2.3).",
    fix="Send exactly one credential.")
UNSUPPORTED_RESPONSE_TYPE = Aadsts(
    70018, UnsupportedResponseType, "The response_type '{response_type}' is not supported.",
    when="An authorize request asks for a response_type other than code, id_token, token or "
    "their combinations.",
    fix="Use response_type=code (with PKCE).")
