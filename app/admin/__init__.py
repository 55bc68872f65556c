"""The admin console: LMS registrations, deployments and the tool's keys, for tool admins.

It lives at ``/admin`` with its own accounts (``flask admin create-user``) and its own
first-party session cookie: the console opens top-level, never inside an LMS, and an LTI
launch token grants nothing here.
"""

from __future__ import annotations

from flask import Flask

# app.models re-exports this package's models: importing it first makes either import order
# (``app.models`` or ``app.admin.models`` first) finish without a circular-import error.
import app.models  # noqa: F401


def init_app(app: Flask) -> None:
    """Register the console's blueprint and the ``flask admin`` commands."""
    from app.admin import dead_items
    from app.admin.cli import admin_cli
    from app.admin.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(dead_items.bp)
    app.cli.add_command(admin_cli)
