"""HTTP glue: the admin API routes (FastAPI) and the administrative console (Starlette + Jinja2)
over the admin services in :mod:`tokensmith.admin` and :mod:`tokensmith.bulk`."""
