"""The PingFederate-compatible admin API: resource services (no HTTP) and the FastAPI glue."""
