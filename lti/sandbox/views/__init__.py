"""HTTP views of the sandbox platform."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Register the sandbox's blueprints on ``app``."""
    # Importing the modules attaches their routes to the shared platform blueprint.
    from lti.sandbox.views import (  # noqa: F401
        canvas_api,
        deep_linking,
        oauth,
        oidc,
        registration,
        services,
        webservices,
    )
    from lti.sandbox.views.common import bp
    from lti.sandbox.views.pages import root

    app.register_blueprint(root)
    app.register_blueprint(bp)
