"""The tool's root URL and /favicon.ico answer (they were 404s)."""

from __future__ import annotations


def test_the_root_url_says_what_the_tool_is_and_where_admins_go(client):
    page = client.get("/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "issues Open Badges" in html and 'href="/admin/"' in html
    assert "/lti/register" in html and 'href="/api/v1/openapi.json"' in html


def test_the_favicon_is_an_icon(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/vnd.microsoft.icon"
    assert icon.data[:4] == b"\x00\x00\x01\x00"  # the ICO header
    assert "max-age=86400" in icon.headers["Cache-Control"]
