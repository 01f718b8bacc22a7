"""Add-on plugins shipped with Tokensmith, registered through Python entry points like any
third-party add-on would be (see ``pyproject.toml``)."""
