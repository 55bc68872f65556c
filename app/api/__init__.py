"""The JSON API under /api/v1/ (assembled in :mod:`app.api.blueprint`)."""
