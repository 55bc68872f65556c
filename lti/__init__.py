"""Everything LTI 1.3, on top of pylti1p3: registrations, login/launch, deep linking, keys."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the LTI blueprints and the ``flask lti`` commands."""
    from lti.cli import lti_cli
    from lti.registration_views import bp as registration_bp
    from lti.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(registration_bp)
    app.cli.add_command(lti_cli)
