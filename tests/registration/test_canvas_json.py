"""/lti/canvas.json against the fields Canvas documents for an LTI 1.3 developer key.

The expectations below transcribe ``doc/api/lti_dev_key_config.md`` ("Anatomy of a JSON
configuration") of instructure/canvas-lms: every field we send must be one Canvas documents,
with the documented type, and the required ones must be there.
"""

from __future__ import annotations

from typing import Any

# name: (type, required)
TOP_LEVEL: dict[str, tuple[type, bool]] = {
    "title": (str, True),
    "description": (str, True),
    "oidc_initiation_url": (str, True),
    "target_link_uri": (str, True),
    "scopes": (list, False),
    "extensions": (list, False),  # an array of extension objects, as in the doc's example
    "public_jwk": (dict, False),  # required unless public_jwk_url
    "public_jwk_url": (str, False),  # required unless public_jwk
    "custom_fields": (dict, False),
}
EXTENSION: dict[str, tuple[type, bool]] = {
    "domain": (str, False),
    "tool_id": (str, False),
    "platform": (str, False),
    "privacy_level": (str, True),
    "settings": (dict, False),
}
SETTINGS: dict[str, tuple[type, bool]] = {
    "text": (str, False),
    "icon_url": (str, False),
    "selection_height": (int, False),
    "selection_width": (int, False),
    "placements": (list, False),
}
PLACEMENT: dict[str, tuple[type, bool]] = {
    "placement": (str, True),
    "message_type": (str, False),
    "text": (str, False),
    "icon_url": (str, False),
    "target_link_uri": (str, False),
    "canvas_icon_class": (str, False),
    "custom_fields": (dict, False),
    "required_permissions": (str, False),
    "selection_height": (int, False),
    "selection_width": (int, False),
    "enabled": (bool, False),
}
ALLOWED_SCOPES = {
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://canvas.instructure.com/lti/public_jwk/scope/update",
}
PRIVACY_LEVELS = {"anonymous", "public", "name_only", "email_only"}
MESSAGE_TYPES = {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}


def _check(obj: dict[str, Any], schema: dict[str, tuple[type, bool]], where: str) -> None:
    unknown = set(obj) - set(schema)
    assert not unknown, f"{where}: fields Canvas does not document: {unknown}"
    for name, (kind, required) in schema.items():
        if required:
            assert name in obj, f"{where}: {name} is required"
        if name in obj:
            assert isinstance(obj[name], kind), f"{where}.{name} must be {kind.__name__}"


def test_canvas_json_uses_only_documented_fields_with_their_types(client):
    response = client.get("/lti/canvas.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    config = response.get_json()

    _check(config, TOP_LEVEL, "config")
    assert "public_jwk" in config or "public_jwk_url" in config
    assert set(config["scopes"]) <= ALLOWED_SCOPES
    for custom in (config.get("custom_fields") or {}).values():
        assert isinstance(custom, str)
    for extension in config["extensions"]:
        _check(extension, EXTENSION, "extension")
        assert extension["privacy_level"] in PRIVACY_LEVELS
        _check(extension["settings"], SETTINGS, "settings")
        for placement in extension["settings"]["placements"]:
            _check(placement, PLACEMENT, "placement")
            assert placement["message_type"] in MESSAGE_TYPES


def test_canvas_json_asks_for_what_badgebridge_needs(client):
    config = client.get("/lti/canvas.json").get_json()
    assert config["oidc_initiation_url"] == "http://localhost/lti/login"
    assert config["target_link_uri"] == "http://localhost/lti/launch"
    assert config["public_jwk_url"] == "http://localhost/lti/jwks.json"
    [extension] = config["extensions"]
    assert extension["platform"] == "canvas.instructure.com"
    assert extension["privacy_level"] == "public"  # names and emails reach the tool
    placements = {p["placement"]: p["message_type"] for p in extension["settings"]["placements"]}
    assert placements == {
        "course_navigation": "LtiResourceLinkRequest",
        "link_selection": "LtiDeepLinkingRequest",
        "assignment_selection": "LtiDeepLinkingRequest",
    }
    assert config["custom_fields"]["canvas_course_id"] == "$Canvas.course.id"
    assert config["custom_fields"]["canvas_user_id"] == "$Canvas.user.id"
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly" in config["scopes"]
    assert (
        "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
        in (config["scopes"])
    )


def test_the_icon_the_registrations_point_to_is_served(client):
    icon = client.get("/lti/canvas.json").get_json()["extensions"][0]["settings"]["icon_url"]
    response = client.get(icon.removeprefix("http://localhost"))
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
