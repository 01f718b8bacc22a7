"""Admin API route modules, one per resource; see :mod:`tokensmith.web.routing`."""
