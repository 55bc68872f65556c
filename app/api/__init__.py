"""The JSON API under /api/v1/ (assembled in :mod:`app.api.blueprint`)."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the ``flask api`` commands (the blueprint is registered with the web side)."""
    from app.api.cli import api_cli

    app.cli.add_command(api_cli)
