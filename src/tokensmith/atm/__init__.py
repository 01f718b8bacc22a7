"""Access token managers: descriptors, validation and runtime behaviour per plugin type."""
