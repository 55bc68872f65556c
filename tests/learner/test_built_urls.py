"""URLs built once (stylesheets, scripts, plain pages) are the URLs url_for builds."""

from __future__ import annotations

from flask import g, url_for

from app.launch_session import built_url, launch_url


def test_a_built_url_follows_the_script_root(app):
    with app.test_request_context("/"):
        assert built_url("static", filename="badgebridge.css") == "/static/badgebridge.css"
    with app.test_request_context("/tool/", base_url="http://localhost/tool"):
        expected = url_for("static", filename="badgebridge.css")
        assert expected == "/tool/static/badgebridge.css"
        assert built_url("static", filename="badgebridge.css") == expected


def test_url_defaults_that_depend_on_the_request_are_applied_every_time(app):
    chosen = {"value": "a"}

    def per_request(endpoint, values):  # an app-wide default, as a blueprint may add
        if endpoint == "lti.jwks":
            values.setdefault("v", chosen["value"])

    # Added behind the setup check: the session's application has served requests already.
    app.url_default_functions.setdefault(None, []).append(per_request)
    try:
        with app.test_request_context("/"):
            assert built_url("lti.jwks") == "/lti/jwks.json?v=a"
            chosen["value"] = "b"
            assert built_url("lti.jwks") == "/lti/jwks.json?v=b"
    finally:
        app.url_default_functions[None].remove(per_request)


def test_a_launch_link_is_what_url_for_builds(app):
    with app.test_request_context("/"):
        g.launch_token = "abc.DEF-ghi_j"
        for endpoint in ("learner.all_badges", "profile.settings"):
            assert launch_url(endpoint) == url_for(endpoint, lt=g.launch_token)
        assert launch_url("learner.accept", public_id="x1") == url_for(
            "learner.accept", public_id="x1", lt=g.launch_token
        )
