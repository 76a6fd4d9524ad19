"""Real clients (MSAL, azure-identity, Authlib, requests-oauthlib, ADAL) against ``credo serve``."""
