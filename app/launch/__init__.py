"""The launch, the application's part: the LTI endpoints (``views``: login, launch, deep
linking, the tool's key set), what a validated launch records (``operations``) and the
pruning of expired launch data (``tasks``).

Validating LTI messages is :mod:`lti`'s; this area calls it, never the other way round.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the LTI endpoints."""
    from app.launch.views import bp

    app.register_blueprint(bp)
