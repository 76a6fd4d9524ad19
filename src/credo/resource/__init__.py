"""Credo's resource-server SDK: validate Credo and Entra ID access tokens in your API.

``TokenValidator`` reads the authority's discovery documents and JWKS (cached, refetched
once on an unknown ``kid``), verifies a token and returns a ``Principal``; failures raise
``TokenValidationError`` (RFC 6750 §3.1 ``invalid_token``, 401) and permission checks raise
``InsufficientScope`` (403). Framework helpers live in ``credo.resource.fastapi``
(dependencies) and ``credo.resource.asgi`` (a Starlette authentication backend).

A token from a (here simulated) authority; ``MockTransport`` stands in for it, so nothing
touches the network::

    >>> import asyncio, httpx
    >>> from cryptography.hazmat.primitives.asymmetric import rsa
    >>> from jwt.algorithms import RSAAlgorithm
    >>> from credo import jose
    >>> from credo.resource import TokenValidator
    >>> key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    >>> jwk = {**RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": "k1", "use": "sig"}
    >>> tid = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    >>> def authority(request: httpx.Request) -> httpx.Response:
    ...     if request.url.path.endswith("/keys"):
    ...         return httpx.Response(200, json={"keys": [jwk]})
    ...     return httpx.Response(200, json={
    ...         "issuer": f"https://login.example.com/{tid}/v2.0",
    ...         "jwks_uri": f"https://login.example.com/{tid}/discovery/v2.0/keys"})
    >>> validator = TokenValidator(
    ...     "https://login.example.com/contoso.example", "api://mail", clock=lambda: 1000.0,
    ...     http_client=httpx.AsyncClient(transport=httpx.MockTransport(authority)))
    >>> token = jose.sign("RS256", key, {"typ": "JWT", "kid": "k1"}, {
    ...     "aud": "api://mail", "iss": f"https://login.example.com/{tid}/v2.0", "tid": tid,
    ...     "iat": 700, "nbf": 700, "exp": 4300, "azp": "daemon-app-id", "idtyp": "app",
    ...     "oid": "sp-object-id", "sub": "sp-object-id", "roles": ["Mail.Read"], "ver": "2.0"})
    >>> caller = asyncio.run(validator.validate(token))
    >>> caller.app_id, caller.is_app_only, sorted(caller.roles)
    ('daemon-app-id', True, ['Mail.Read'])
    >>> caller.require_roles("Mail.Send")
    Traceback (most recent call last):
    credo.errors.InsufficientScope: The token lacks the application permission 'Mail.Send'.
"""

from credo.errors import InsufficientScope, TokenValidationError
from credo.resource.principal import Principal
from credo.resource.transport import MetadataUnavailable
from credo.resource.validator import TokenValidator

__all__ = [
    "InsufficientScope",
    "MetadataUnavailable",
    "Principal",
    "TokenValidationError",
    "TokenValidator",
]
