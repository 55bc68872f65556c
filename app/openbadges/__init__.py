"""Open Badges 2.0 and 3.0: issuers, badges, assertions, signatures, baking, verification."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the ``flask badges`` commands."""
    from app.openbadges.cli import badges_cli

    app.cli.add_command(badges_cli)
