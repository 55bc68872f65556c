"""Badgebridge: the Flask application factory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the tool's Flask application."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder="static",
    )
    from app.settings import load_settings

    app.config.from_mapping(load_settings(Path(app.instance_path)))
    if test_config:
        app.config.from_mapping(test_config)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    from app import jobs
    from app.extensions import cache, db, limiter, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    cache.init_app(app)
    limiter.init_app(app)
    jobs.init_app(app)

    from app import (
        health,
        models,  # noqa: F401  (register every model on the metadata)
    )
    from app.web import init_app as init_web

    app.register_blueprint(health.bp)
    from app.api.cli import api_cli
    from app.openbadges.cli import badges_cli

    app.cli.add_command(badges_cli)
    app.cli.add_command(api_cli)
    from app.grades.cli import grades_cli

    app.cli.add_command(grades_cli)
    init_web(app)

    import lti

    lti.init_app(app)
    return app
