"""The JSON API under /api/v1/ (assembled in :mod:`app.api.blueprint`)."""

# The model registry first (it loads every area's models, which import one another), so this
# package's modules import cold in any order.
from flask import Flask

import app.models  # noqa: F401


def init_app(app: Flask) -> None:
    """Register the ``flask api`` commands (the blueprint is registered with the web side)."""
    from app.api.cli import api_cli

    app.cli.add_command(api_cli)
