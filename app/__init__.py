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


def create_app(test_config: dict[str, Any] | None = None, *, serve_web: bool = True) -> Flask:
    """Create and configure the tool's Flask application. ``serve_web=False`` builds a queue
    consumer's app (``flask worker``): the jobs, their templates and the CLI, without the web
    areas (pages, APIs, LTI endpoints, health) or rate limiting, which a consumer never serves
    and which cost it about 10 MiB."""
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
    app.config["SERVE_WEB"] = serve_web
    trust_proxies(app, int(app.config.get("TRUSTED_PROXY_HOPS") or 0))
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    from app.extensions import cache, db, init_migrations, limiter

    db.init_app(app)
    init_migrations(app, str(ROOT / "migrations"))
    cache.init_app(app)
    if serve_web:
        limiter.init_app(app)

    from app import (
        api,
        awards,
        background,
        grades,
        i18n,
        models,  # noqa: F401  (register every model on the metadata)
        openbadges,
        registration_cache,
        secret_box,
    )

    # Each area wires itself (queue, blueprints, CLI groups); the queue first, as the other
    # areas declare their tasks on it.
    areas = [i18n, background, registration_cache, openbadges, awards, api, grades, secret_box]
    if serve_web:
        from app import health, launch, ob3api, registrations, web

        areas += [health, web, ob3api, launch, registrations]
    for area in areas:
        area.init_app(app)
    if not app.testing:
        # What the factory built lives as long as the process: keep it out of the cyclic
        # collector's full passes, which otherwise walk its ~250,000 objects again and again
        # while a cohort's credentials are built (about a fifth of issuing's CPU).
        gc.collect()
        gc.freeze()
    return app
