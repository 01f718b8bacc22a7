"""WS-Trust security token service: token generators (SAML 1.1 / 2.0, add-ons), token processors,
token-to-token mappings, IdP connections, the ``sts.wst`` endpoints and RFC 8693 token exchange."""
