"""Configuration export and import in PingFederate's bulk format (``/bulk/export``, ``/bulk/import``)."""
