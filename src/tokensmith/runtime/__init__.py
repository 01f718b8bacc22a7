"""HTTP glue for the runtime listener (token, introspection, revocation, metadata)."""
