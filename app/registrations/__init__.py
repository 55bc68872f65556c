"""Platform registrations: saving them (audited), the changes waiting for an admin and what
the console and ``flask lti`` change (``operations``), what they show (``queries``), dynamic
registration's storing side (``dynamic``), the registration endpoints and the tool's logo
(``views``), and ``flask lti`` (``cli``).

The LTI protocol side (the dynamic registration handshake, the Canvas developer key) is in
:mod:`lti`; this area calls it, never the other way round.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the registration endpoints and the ``flask lti`` commands."""
    from app.registrations.cli import lti_cli
    from app.registrations.views import bp

    app.register_blueprint(bp)
    app.cli.add_command(lti_cli)
