"""Badgebridge: the Flask application factory."""

from __future__ import annotations

import gc
import logging
from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def trust_proxies(app: Flask, hops: int) -> None:
    """Read the client's address, scheme and host from ``hops`` reverse proxies in front of
    the tool (X-Forwarded-*). Rate limits and the console's sign-in throttle count per client
    address: behind a proxy without this, every client would share the proxy's one address.
    Never more hops than there are proxies: a client could then name any address it likes."""
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the tool's Flask application."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder="static",
    )
    from app.background.huey_import import import_huey
    from app.settings import load_settings

    import_huey()  # first, before any module imports huey with clients it does not need

    app.config.from_mapping(load_settings(Path(app.instance_path)))
    if test_config:
        app.config.from_mapping(test_config)
    trust_proxies(app, int(app.config.get("TRUSTED_PROXY_HOPS") or 0))
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    from app.extensions import cache, db, init_migrations, limiter

    db.init_app(app)
    init_migrations(app, str(ROOT / "migrations"))
    cache.init_app(app)
    limiter.init_app(app)

    from app import (
        api,
        awards,
        background,
        grades,
        health,
        i18n,
        launch,
        models,  # noqa: F401  (register every model on the metadata)
        ob3api,
        openbadges,
        registration_cache,
        registrations,
        secret_box,
        web,
    )

    # Each area wires itself (queue, blueprints, CLI groups); the queue first, as the other
    # areas declare their tasks on it.
    for area in (
        i18n,
        background,
        registration_cache,
        health,
        openbadges,
        awards,
        api,
        grades,
        secret_box,
        web,
        ob3api,
        launch,
        registrations,
    ):
        area.init_app(app)
    if not app.testing:
        # What the factory built lives as long as the process: keep it out of the cyclic
        # collector's full passes, which otherwise walk its ~250,000 objects again and again
        # while a cohort's credentials are built (about a fifth of issuing's CPU).
        gc.collect()
        gc.freeze()
    return app
