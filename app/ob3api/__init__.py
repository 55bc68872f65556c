"""The 1EdTech Open Badges 3.0 API: this tool as Service Provider (discovery, dynamic client
registration, authorization code + PKCE, getCredentials, getProfile) and as Service Consumer
(a learner pushes a badge to a host with upsertCredential)."""

# The model registry first (it loads every area's models, which import one another), so this
# package's modules import cold in any order.
from flask import Flask

import app.models  # noqa: F401


def init_app(app: Flask) -> None:
    """Build the authorization server and register the provider's and consumer's routes."""
    from app.ob3api import server
    from app.ob3api.consumer_views import bp as consumer_bp
    from app.ob3api.views import bp
    from app.security.limits import rate_limit

    server.init_app(app)
    app.register_blueprint(bp)
    rate_limit("RATE_LIMIT_PUBLIC_PAGES")(bp)
    app.register_blueprint(consumer_bp)
