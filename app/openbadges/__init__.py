"""Open Badges 2.0 and 3.0: issuers, badges, assertions, signatures, baking, verification."""

# The model registry first (it loads every area's models, which import one another), so this
# package's modules import cold in any order.
from flask import Flask

import app.models  # noqa: F401


def init_app(app: Flask) -> None:
    """Register the ``flask badges`` commands."""
    from app.openbadges.cli import badges_cli

    app.cli.add_command(badges_cli)
