"""One person's data: export and erasure (see :mod:`app.privacy.operations`)."""
