"""The JSON API under /api/v1/ (see :mod:`app.api.registry`)."""
