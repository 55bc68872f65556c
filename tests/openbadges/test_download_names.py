"""Downloads of badges named in any script, over real HTTP: named by RFC 6266, never a hang.

A badge name outside Latin-1 used to leave PNG and JSON downloads hanging (the header could
not be encoded), and a line break in a name gave a 500.
"""

from __future__ import annotations

from urllib.parse import unquote

import pytest
import requests

from app.downloads import content_disposition
from app.openbadges import urls
from tests.factories import AwardFactory, BadgeFactory, CourseFactory, PersonFactory

NAMES = {
    "数据 🏅": ('filename="badge.{ext}"', "数据 🏅.{ext}"),
    "Line\r\nSet-Cookie: owned=1": ('filename="Line Set-Cookie owned=1.{ext}"', None),
    'Café "quoted"; x': ('filename="Cafe quoted x.{ext}"', "Café quoted x.{ext}"),
}


def _downloads(base: str, public_id: str) -> dict[str, str]:
    return {
        "png": base
        + urls.BAKED_OB3.replace("<public_id>", public_id).replace("<ext>", "png")
        + "?download=1",
        "svg": base
        + urls.BAKED_OB2.replace("<public_id>", public_id).replace("<ext>", "svg")
        + "?download=1",
        "json": f"{base}/share/{public_id}/download_json",
    }


@pytest.mark.parametrize("name", sorted(NAMES))
def test_every_download_names_its_file_in_any_script(app, registered, name: str) -> None:
    course = CourseFactory(title="Biology 101")
    learner = PersonFactory(course=course, name="Ana Lima", email="ana@example.org")
    assertion = AwardFactory(
        badge=BadgeFactory(context=course, name=name),
        user=learner,
    )
    ascii_part, full_name = NAMES[name]
    for ext, url in _downloads(registered.tool_url, assertion.public_id).items():
        response = requests.get(url, timeout=10)
        assert response.status_code == 200, (ext, response.text[:200])
        header = response.headers["Content-Disposition"]
        assert header.startswith("attachment; ") and "\r" not in header and "\n" not in header
        assert ascii_part.format(ext=ext) in header
        if full_name is None:
            assert "filename*" not in header
        else:
            encoded = header.split("filename*=UTF-8''", 1)[1]
            assert unquote(encoded) == full_name.format(ext=ext)
        assert "Set-Cookie" not in response.headers


def test_content_disposition_is_latin_1_for_any_name() -> None:
    for name in ["数据 🏅", "\u202e\u200bevil", "a/b\\c", "", "x" * 500]:
        value = content_disposition(name, "png")
        value.encode("latin-1")
        assert value.startswith('attachment; filename="') and ".png" in value
