"""OAuth 2.0 protocol cores (no HTTP framework): token, introspection, revocation, metadata."""
