"""Token generators: the bundled SAML 2.0 / 1.1 generators and add-ons from the
``tokensmith.token_generators`` entry-point group."""
