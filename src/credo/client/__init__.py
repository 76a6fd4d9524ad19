"""Credo's client library: app-only tokens from Credo or Entra ID (RFC 6749 §4.4).

``ConfidentialClient`` behaves like MSAL's ``acquire_token_for_client`` (same discovery,
same request, same assertion, RFC 7523 §2.2) but raises typed ``credo.errors`` instead of
returning error dicts; ``credo.client.adal`` offers ADAL's v1 surface for older code.

A certificate credential, then a token (``http_client`` is any ``httpx.Client``; here a
``MockTransport`` stands in for the server, so nothing touches the network)::

    >>> import httpx
    >>> from credo.client import ClientSecret, ConfidentialClient
    >>> def server(request: httpx.Request) -> httpx.Response:
    ...     if request.method == "GET":  # {authority}/v2.0/.well-known/openid-configuration
    ...         return httpx.Response(200, json={
    ...             "token_endpoint": "https://login.example.com/contoso/oauth2/v2.0/token"})
    ...     return httpx.Response(200, json={
    ...         "token_type": "Bearer", "expires_in": 3599, "access_token": "opaque"})
    >>> client = ConfidentialClient(
    ...     "https://login.example.com/contoso", "my-app-id",
    ...     credential=ClientSecret("s3cret"), clock=lambda: 1000.0,
    ...     http_client=httpx.Client(transport=httpx.MockTransport(server)))
    >>> token = client.acquire_token_for_client(["api://mail/.default"])
    >>> token.token_type, token.expires_on, token.scopes
    ('Bearer', 4599.0, ('api://mail/.default',))
    >>> client.token_endpoint
    'https://login.example.com/contoso/oauth2/v2.0/token'

With a certificate: ``CertificateCredential.from_files("app.pem", "app.key.pem")`` (PS256 +
``x5t#S256``) or ``algorithm="RS256"`` (``x5t``, as older MSAL and ADAL sign).

Plain http is refused unless asked for explicitly::

    >>> ConfidentialClient("http://login.example.com/contoso", "id",  # doctest: +ELLIPSIS
    ...                    credential=ClientSecret("s"))
    Traceback (most recent call last):
    ValueError: the authority must be an https URL with a host name, ...
"""

from credo.client.cache import TokenCache
from credo.client.confidential import ConfidentialClient
from credo.client.credentials import (
    ASSERTION_TYPE,
    CertificateCredential,
    ClientSecret,
    Credential,
)
from credo.client.token import AccessToken

__all__ = [
    "ASSERTION_TYPE",
    "AccessToken",
    "CertificateCredential",
    "ClientSecret",
    "ConfidentialClient",
    "Credential",
    "TokenCache",
]
