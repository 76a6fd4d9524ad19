"""The grants' pure rules (RFC 6749 §4, §6): what a token request may have, decided or refused.

``client_credentials`` decides an app-only token; ``authorization_code`` and
``refresh_token`` check a stored code or refresh token before a delegated (user) token is
issued. The registry of grants, keyed by the wire ``grant_type``, is
``credo.service.grants.GRANTS``: each entry's pipeline loads what these rules need.
"""
