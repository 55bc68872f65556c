"""The launch benchmark's baseline: a bare LTI 1.3 tool on pylti1p3's documented Flask adapter.

Login + launch + one rendered page, no database, as the library's Flask example does it:
``FlaskOIDCLogin`` and ``FlaskMessageLaunch`` over a ``ToolConfDict``, launch data and the
platform's key set in a Flask-Caching cache (the same backend as Badgebridge in the same run:
files, or Redis when ``REDIS_URL`` is set). ``bench/launch.py`` serves it with gunicorn:
``gunicorn 'bench.bare_pylti1p3_tool:create_app()'`` with ``BARE_TOOL_CONFIG`` naming a JSON
file ``{"registrations": {issuer: [pylti1p3 registration dicts]}, "private_key": PEM}``.
"""

from __future__ import annotations

import json
import os
import tempfile

from flask import Flask, redirect, render_template, url_for
from flask_caching import Cache
from pylti1p3.contrib.flask import (
    FlaskCacheDataStorage,
    FlaskMessageLaunch,
    FlaskOIDCLogin,
    FlaskRequest,
)
from pylti1p3.tool_config import ToolConfDict

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Badges</title></head>
<body><h1>Hello {{ name }}</h1><p>Course: {{ course }}</p><ul>{% for role in roles %}
<li>{{ role.rsplit('#', 1)[-1] }}</li>{% endfor %}</ul></body></html>"""


def create_app() -> Flask:
    """The bare tool: registrations and the tool key from ``BARE_TOOL_CONFIG``."""
    with open(os.environ["BARE_TOOL_CONFIG"]) as fh:
        settings = json.load(fh)
    tool_conf = ToolConfDict(settings["registrations"])
    for issuer, entries in settings["registrations"].items():
        for entry in entries:
            tool_conf.set_private_key(issuer, settings["private_key"], entry["client_id"])
    app = Flask(__name__)
    app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "bare-tool")
    if os.environ.get("REDIS_URL"):
        app.config.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=os.environ["REDIS_URL"])
    else:
        cache_dir = os.environ.get("CACHE_DIR") or tempfile.mkdtemp(prefix="bare-tool-")
        app.config.update(CACHE_TYPE="FileSystemCache", CACHE_DIR=cache_dir, CACHE_THRESHOLD=0)
    cache = Cache(app)
    # Compiled once, as a template file is by ``render_template``: ``render_template_string``
    # compiles its source on every call (8 % of this tool's CPU), which flattered the ratio.
    page_template = app.jinja_env.from_string(PAGE)

    def storage() -> FlaskCacheDataStorage:
        return FlaskCacheDataStorage(cache)

    @app.route("/lti/login", methods=["GET", "POST"])
    def login():
        oidc = FlaskOIDCLogin(FlaskRequest(), tool_conf, launch_data_storage=storage())
        return oidc.redirect(FlaskRequest().get_param("target_link_uri"))

    @app.post("/lti/launch")
    def launch():
        data_storage = storage()
        message = FlaskMessageLaunch(FlaskRequest(), tool_conf, launch_data_storage=data_storage)
        message.set_public_key_caching(data_storage, cache_lifetime=7200)
        message.get_launch_data()  # validates: state, JWT, nonce, registration, deployment
        return redirect(url_for("page", launch_id=message.get_launch_id()))

    @app.get("/page/<launch_id>")
    def page(launch_id: str):
        message = FlaskMessageLaunch.from_cache(
            launch_id, FlaskRequest(), tool_conf, launch_data_storage=storage()
        )
        body = message.get_launch_data()
        claim = "https://purl.imsglobal.org/spec/lti/claim/"
        return render_template(
            page_template,
            name=body.get("name", ""),
            course=(body.get(claim + "context") or {}).get("title", ""),
            roles=body.get(claim + "roles") or [],
        )

    return app
