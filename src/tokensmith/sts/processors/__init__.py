"""Token processors: validate an incoming token and extract the identity it carries."""
