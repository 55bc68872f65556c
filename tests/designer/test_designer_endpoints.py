"""The designer's endpoints: who may use them, preview, validation, saving, uploads."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask import current_app
from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.launch_session import read_token
from app.openbadges import operations as ob
from app.openbadges.badges import update_badge
from app.openbadges.models import Assertion, Badge, BadgeImage, BadgeStatus
from badge_design.baking import unbake_png
from badge_design.icons import icon_names
from badge_design.upload_errors import UploadError
from badge_design.uploads import process_upload
from tests.designer.conftest import bearer

HOSTILE = Path(__file__).resolve().parents[1] / "badge_design" / "hostile"
DESIGN = {
    "template": "hexagon",
    "fill": {"type": "gradient", "color": "#7c2d12", "color2": "#ea580c", "direction": "diagonal"},
    "border": {"color": "#431407", "width": 8},
    "icon": {"name": "microscope", "color": "#ffffff"},
    "title": "Lab Safety",
    "subtitle": "Level 1",
    "tier": "bronze",
    "text_color": "#ffffff",
}


def _base() -> str:
    # The live-server tests move PUBLIC_BASE_URL for the session; follow it.
    return current_app.config["PUBLIC_BASE_URL"]


def _png_size(data: bytes) -> tuple[str, tuple[int, int]]:
    with Image.open(io.BytesIO(data)) as image:
        return image.format, image.size


def _save(client, token, design=DESIGN, **target):
    new_badge = {"name": "Lab Safety", "description": "Works safely in the lab."}
    body = {"design": design, **(target or new_badge)}
    return client.post("/course/designer/save", json=body, headers=bearer(token))


# --- who may use the designer -----------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/course/designer/"),
        ("post", "/course/designer/preview"),
        ("post", "/course/designer/save"),
        ("post", "/course/designer/upload"),
    ],
)
def test_every_route_needs_a_launch_token(client, course, method, path):
    response = getattr(client, method)(path, json={"design": DESIGN})
    assert response.status_code == 401
    assert b"Launch it there" in response.data


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/course/designer/"),
        ("post", "/course/designer/preview"),
        ("post", "/course/designer/save"),
        ("post", "/course/designer/upload"),
    ],
)
def test_learners_are_refused(client, course, method, path):
    response = getattr(client, method)(
        path, json={"design": DESIGN}, headers=bearer(course.learner_token)
    )
    assert response.status_code == 403
    assert db.session.scalar(select(Badge)) is None


def test_forged_token_is_refused(client, course):
    response = client.post(
        "/course/designer/preview",
        json={"design": DESIGN},
        headers=bearer(course.staff_token[:-4] + "AAAA"),
    )
    assert response.status_code == 401


def test_staff_page_links_to_the_designer_with_the_token(client, course):
    page = client.get("/course/staff", query_string={"lt": course.staff_token})
    assert b"Design a badge" in page.data
    assert b"/course/designer/?lt=" in page.data


def test_designer_page_renders_every_control_with_a_label(client, course):
    response = client.get("/course/designer/", query_string={"lt": course.staff_token})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    for control in (
        "badge-select",
        "badge-name",
        "title",
        "subtitle",
        "alt-text",
        "tier",
        "fill-color",
        "border-width",
        "icon-search",
        "upload-file",
    ):
        assert f'id="{control}"' in html
    # No external resources: only the tool's own static files.
    assert "http://" not in html.replace("http://www.w3.org", "")
    assert 'src="/static/designer.js' in html and 'href="/static/designer.css' in html
    # The token rides along for the script (no cookies in the LMS iframe): the launch's
    # session, renewed (its timestamp may be a second later than the one sent).
    [token] = re.findall(r'data-token="([^"]+)"', html)
    assert read_token(token) == read_token(course.staff_token)
    # Every bundled icon is offered, with its preview.
    assert html.count('class="icon-choice"') == 1 + len(icon_names())


# --- preview --------------------------------------------------------------------------------


def test_preview_returns_svg(client, course):
    response = client.post(
        "/course/designer/preview", json={"design": DESIGN}, headers=bearer(course.staff_token)
    )
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.data.startswith(b"<svg") and b"Lab Safety" in response.data


def test_preview_as_json_carries_contrast_warnings(client, course):
    low_contrast = {
        **DESIGN,
        "fill": {"type": "solid", "color": "#ffff00"},
        "text_color": "#ffffff",
    }
    response = client.post(
        "/course/designer/preview",
        json={"design": low_contrast},
        headers={**bearer(course.staff_token), "Accept": "application/json"},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["svg"].startswith("<svg")
    assert any("WCAG AA" in warning for warning in body["warnings"])
    assert body["accessible_name"] == "Lab Safety — Level 1"


def test_bad_design_is_422_with_an_error_per_field(client, course):
    bad = {
        **DESIGN,
        "template": "trapezoid",
        "fill": {"type": "solid", "color": "red"},
        "border": {"color": "#000", "width": 99},
        "title": "x" * 80,
    }
    response = client.post(
        "/course/designer/preview", json={"design": bad}, headers=bearer(course.staff_token)
    )
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert set(errors) == {"template", "fill.color", "border.width", "title"}
    assert "at most 40" in errors["title"]


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]"])
def test_preview_refuses_what_is_not_a_json_object(client, course, body):
    response = client.post(
        "/course/designer/preview",
        data=body,
        headers={**bearer(course.staff_token), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "design" in response.get_json()["errors"]


def test_preview_refuses_oversized_bodies(client, course):
    response = client.post(
        "/course/designer/preview",
        json={"design": DESIGN, "pad": "x" * 70_000},
        headers=bearer(course.staff_token),
    )
    assert response.status_code == 413


# --- saving ----------------------------------------------------------------------------------


def test_save_creates_a_draft_badge_with_rendered_artwork(client, course):
    response = _save(client, course.staff_token)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    badge = db.session.scalar(select(Badge).where(Badge.public_id == body["badge"]))
    assert badge.context_id == course.context_id
    assert badge.status == BadgeStatus.DRAFT
    assert badge.issuer.registration_id == course.registration_id
    assert (badge.image_version, badge.design_version, body["version"]) == (1, 1, 1)
    # Alt text defaults to the badge's name and description.
    assert badge.design["alt_text"] == "Lab Safety: Works safely in the lab."
    # The PNG is served by the Open Badges core's public image URL, already rendered.
    assert body["png_url"] == f"{_base()}/ob/badges/{badge.public_id}/image/1.png"
    png = client.get(body["png_url"].removeprefix(_base()))
    assert png.status_code == 200 and _png_size(png.data) == ("PNG", (512, 512))
    image = db.session.scalar(select(BadgeImage).where(BadgeImage.badge_id == badge.id))
    assert _png_size(image.png_128) == ("PNG", (128, 128))
    svg = client.get(body["svg_url"].removeprefix(_base()))
    assert svg.mimetype == "image/svg+xml" and b"Works safely in the lab." in svg.data


def test_saving_again_makes_a_new_version_of_the_same_badge(client, course):
    first = _save(client, course.staff_token).get_json()
    second = _save(
        client, course.staff_token, {**DESIGN, "template": "shield"}, badge=first["badge"]
    ).get_json()
    assert (second["badge"], second["version"]) == (first["badge"], 2)
    badge = db.session.scalar(select(Badge).where(Badge.public_id == first["badge"]))
    assert badge.design["template"] == "shield"
    assert len(db.session.scalars(select(BadgeImage)).all()) == 2
    # Both versions stay served: earlier awards point at version 1.
    for version in (1, 2):
        assert client.get(f"/ob/badges/{badge.public_id}/image/{version}.png").status_code == 200


def test_one_issuer_per_institution_is_created_and_reused(client, course):
    a = _save(client, course.staff_token).get_json()
    b = _save(client, course.staff_token, name="Second", description="Another one.").get_json()
    badges = db.session.scalars(select(Badge)).all()
    assert {x.public_id for x in badges} == {a["badge"], b["badge"]}
    assert len({x.issuer_id for x in badges}) == 1
    assert badges[0].issuer.name == "Example LMS"


def test_save_names_the_missing_badge_fields(client, course):
    response = _save(client, course.staff_token, name=" ", description="")
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"name", "description"}
    assert db.session.scalar(select(Badge)) is None


def test_save_with_a_bad_design_keeps_field_errors_and_saves_nothing(client, course):
    response = _save(
        client, course.staff_token, {**DESIGN, "icon": {"name": "skull", "color": "#fff"}}
    )
    assert response.status_code == 422
    assert "icon.name" in response.get_json()["errors"]
    assert db.session.scalar(select(Badge)) is None


def test_another_course_cannot_redesign_this_courses_badge(client, course):
    saved = _save(client, course.staff_token).get_json()
    response = _save(client, course.other_course_token, badge=saved["badge"])
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"badge": "No such badge in this course."}
    assert db.session.scalar(select(Badge)).image_version == 1


def test_the_page_offers_the_courses_badges_only(client, course):
    saved = _save(client, course.staff_token).get_json()
    mine = client.get("/course/designer/", query_string={"lt": course.staff_token})
    theirs = client.get("/course/designer/", query_string={"lt": course.other_course_token})
    assert saved["badge"] in mine.get_data(as_text=True)
    assert saved["badge"] not in theirs.get_data(as_text=True)


def test_issued_assertions_keep_the_image_version_they_were_issued_with(client, course):
    saved = _save(client, course.staff_token).get_json()
    badge = db.session.scalar(select(Badge).where(Badge.public_id == saved["badge"]))
    update_badge(badge, status=BadgeStatus.ACTIVE)
    first = ob.issue(badge, ob.Recipient(email="ada@example.edu", name="Ada")).assertion
    v1 = client.get(f"/ob/badges/{badge.public_id}/image/1.png").data

    redesigned = _save(
        client,
        course.staff_token,
        {**DESIGN, "template": "star", "title": "Lab Hero"},
        badge=badge.public_id,
    ).get_json()
    assert redesigned["version"] == 2
    second = ob.issue(badge, ob.Recipient(email="bob@example.edu", name="Bob")).assertion
    db.session.expire_all()
    assert db.session.get(Assertion, first.id).image_version == 1
    assert db.session.get(Assertion, second.id).image_version == 2

    v2 = client.get(f"/ob/badges/{badge.public_id}/image/2.png").data
    assert v1 != v2
    for assertion, expected in ((first, v1), (second, v2)):
        baked = client.get(f"/ob/v3/credentials/{assertion.public_id}/badge.png").data
        assert unbake_png(baked) is not None
        # Baking adds one iTXt chunk: the pixels are those of the issued version.
        with Image.open(io.BytesIO(baked)) as got, Image.open(io.BytesIO(expected)) as want:
            assert got.tobytes() == want.tobytes()


# --- uploads ----------------------------------------------------------------------------------


def _upload(client, token, filename: str, data: bytes, **fields):
    form = {
        "name": "Uploaded",
        "description": "From a file.",
        **fields,
        "file": (io.BytesIO(data), filename),
    }
    return client.post(
        "/course/designer/upload",
        data=form,
        headers=bearer(token),
        content_type="multipart/form-data",
    )


def _png(size=(300, 200), colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def test_upload_png_becomes_a_square_512_artwork(client, course):
    response = _upload(client, course.staff_token, "logo.png", _png())
    assert response.status_code == 200, response.get_json()
    png = client.get(response.get_json()["png_url"].removeprefix(_base()))
    assert _png_size(png.data) == ("PNG", (512, 512))


def test_upload_to_an_existing_badge_is_its_next_version(client, course):
    saved = _save(client, course.staff_token).get_json()
    response = _upload(client, course.staff_token, "logo.png", _png(), badge=saved["badge"])
    assert response.get_json()["version"] == 2
    assert len(db.session.scalars(select(Badge)).all()) == 1


def test_upload_without_a_file_is_explained(client, course):
    response = client.post(
        "/course/designer/upload", data={"name": "x"}, headers=bearer(course.staff_token)
    )
    assert response.status_code == 422
    assert response.get_json()["errors"]["file"].startswith("Choose a PNG")


REFUSED = [
    "billion_laughs.svg",
    "xxe_file.svg",
    "xxe_parameter_entity.svg",
    "use_bomb.svg",
    "use_cycle.svg",
    "garbage.png",
    "html_not_svg.svg",
    "xml_not_svg.svg",
    "huge_dimensions.svg",
    "gif_polyglot.png",
]


@pytest.mark.parametrize(
    "name", sorted(p.name for p in HOSTILE.iterdir() if p.suffix in (".svg", ".png"))
)
def test_hostile_uploads_are_refused_readably_or_neutralized(client, course, name):
    response = _upload(client, course.staff_token, name, (HOSTILE / name).read_bytes())
    if response.status_code == 422:
        message = response.get_json()["errors"]["file"]
        # The upload checker's own sentence for the instructor, shown as it is written.
        with pytest.raises(UploadError) as refused:
            process_upload(name, (HOSTILE / name).read_bytes())
        assert message == str(refused.value)
        assert "Traceback" not in message and "Error" not in message
        assert db.session.scalar(select(Badge)) is None
        return
    assert response.status_code == 200, response.get_json()
    # Neutralized, and the instructor is told what was removed.
    assert response.get_json()["warnings"] or name == "huge_dimensions.svg"
    svg_url = response.get_json()["svg_url"]
    if svg_url:
        svg = client.get(svg_url.removeprefix(_base())).data.lower()
        for bad in (
            b"<script",
            b"onload",
            b"foreignobject",
            b"javascript:",
            b"file:",
            b"http://evil",
            b"<!entity",
        ):
            assert bad not in svg


@pytest.mark.parametrize("name", ["billion_laughs.svg", "xxe_file.svg", "garbage.png"])
def test_known_attacks_are_refused(client, course, name):
    response = _upload(client, course.staff_token, name, (HOSTILE / name).read_bytes())
    assert response.status_code == 422


def test_upload_with_a_wrong_extension_is_refused_readably(client, course):
    response = _upload(client, course.staff_token, "notes.exe", b"MZ\x90\x00")
    assert response.status_code == 422
    assert "is not a PNG, JPEG or SVG file" in response.get_json()["errors"]["file"]


def test_svg_with_a_script_is_cleaned_and_the_instructor_told(client, course):
    response = _upload(
        client, course.staff_token, "badge.svg", (HOSTILE / "script_tag.svg").read_bytes()
    )
    assert response.status_code == 200
    assert "Removed <script> (not allowed in badge images)." in response.get_json()["warnings"]


def test_upload_jpeg(client, course):
    out = io.BytesIO()
    Image.new("RGB", (600, 600), (10, 120, 200)).save(out, "JPEG")
    response = _upload(client, course.staff_token, "photo.jpg", out.getvalue())
    assert response.status_code == 200
    png = client.get(response.get_json()["png_url"].removeprefix(_base()))
    assert _png_size(png.data) == ("PNG", (512, 512))
    assert response.get_json()["svg_url"]  # raster artwork is wrapped for SVG baking
