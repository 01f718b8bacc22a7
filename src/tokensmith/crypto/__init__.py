"""Secrets at rest: the master key, encrypted values, and hashes for client secrets and passwords."""
