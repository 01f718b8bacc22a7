"""The generic plugin-instance model shared by access token managers, credential validators,
token generators and token processors: descriptors, configuration normalisation, registries."""
