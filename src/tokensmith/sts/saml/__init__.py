"""SAML 1.1 and 2.0 assertions: building, signing (signxml) and verifying incoming ones."""
