"""The OB 3.0 fields wallets and displayers use, each from what the tool knows, in every form
valid against the bundled 1EdTech schema and kept whole by JSON-LD."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft201909Validator

from app.openbadges import badges, documents, issuers, jsonld, operations
from app.openbadges.errors import OperationError
from app.openbadges.verify import verify
from tests.factories import BadgeFactory
from tests.grades.support import new_badge, new_course
from tests.openbadges.test_documents import _round_trip_keeps_every_key


def _schema_errors(document):
    return [e.message for e in Draft201909Validator(jsonld.ob3_schema()).iter_errors(document)]


def test_credential_carries_award_date_description_image_and_issuer_logo(issuer):
    issuers.update_issuer(issuer, image_url="https://example.edu/logo.png")
    badge = BadgeFactory(
        issuer=issuer,
        name="Lab Safety",
        description="Handles a lab safely.",
        criteria_narrative="Passed the safety quiz.",
        achievement_type="Certificate",
        language="fr-CA",
    )
    assertion = operations.issue(badge, operations.Recipient(email="ana@example.org")).assertion
    credential = assertion.credential
    assert credential["awardedDate"] == credential["validFrom"]
    assert credential["description"] == "Handles a lab safely."
    assert credential["image"]["type"] == "Image" and credential["image"]["caption"]
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["achievementType"] == "Certificate"
    assert achievement["inLanguage"] == "fr-CA"
    assert achievement["image"] == credential["image"]
    assert credential["issuer"]["image"] == {
        "id": "https://example.edu/logo.png",
        "type": "Image",
        "caption": "Logo of Example University",
    }
    assert _schema_errors(credential) == []
    _round_trip_keeps_every_key({k: v for k, v in credential.items() if k != "proof"})
    for form in (
        json.dumps(credential),
        assertion.credential_jwt,
        issuers.credential_jwt(assertion, "EdDSA"),
    ):
        assert verify(form).valid


def test_achievement_version_follows_the_rules_and_each_credential_keeps_its_own(badge):
    first = operations.issue(badge, operations.Recipient(email="a@example.org")).assertion
    version = first.credential["credentialSubject"]["achievement"]["version"]
    badges.update_badge(badge, tags=["renamed-tag"])  # not a rule: same version
    assert documents.ob3_achievement(badge)["version"] == version
    badges.update_badge(badge, criteria_narrative="Scored 90 % on the group project.")
    second = operations.issue(badge, operations.Recipient(email="b@example.org")).assertion
    assert second.credential["credentialSubject"]["achievement"]["version"] != version
    assert first.credential["credentialSubject"]["achievement"]["version"] == version
    assert verify(json.dumps(first.credential)).valid


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"achievement_type": "Trophy"}, "achievement type"),
        ({"achievement_type": "ext:has space"}, "achievement type"),
        ({"language": "english please"}, "BCP 47"),
    ],
)
def test_bad_types_and_languages_are_refused(badge, changes, message):
    with pytest.raises(OperationError, match=message):
        badges.update_badge(badge, **changes)


def test_extension_types_are_schema_valid(badge):
    badges.update_badge(badge, achievement_type="ext:Microcredential.Lab")
    credential = operations.issue(
        badge, operations.Recipient(email="a@example.org")
    ).assertion.credential
    assert (
        credential["credentialSubject"]["achievement"]["achievementType"]
        == "ext:Microcredential.Lab"
    )
    assert _schema_errors(credential) == []


@pytest.fixture
def course(app, registered, browser):
    """A sandbox course whose gradebook the tool has read."""
    from app.grades.sync import sync_course

    made = new_course(registered, browser, learners=8)
    sync_course(made.context.id)
    return made


def test_pipeline_signs_scores_as_results_only_with_the_instructors_consent(client, course):
    """Automatic awards through the pipeline: the badge's evidence_shows_scores consent
    decides whether the credential carries ``result`` / ``resultDescription``."""
    from tests.api.test_pipeline_api import NOW, create_key
    from tests.security.test_privacy import _learners_below

    _key, secret = create_key(course.context.registration_id)
    headers = {"Authorization": f"Bearer {secret}"}
    made = new_badge(course.context, {"column": course.column("Exam").public_id, "min_percent": 95})

    def award_and_fetch(learner, score: float) -> dict:
        answer = client.post(
            "/api/v1/grade-events",
            headers=headers,
            json={
                "context_id": course.context.public_id,
                "column": course.column("Exam").public_id,
                "user_sub": learner.sub,
                "score": score,
                "timestamp": NOW,
            },
        )
        assert answer.json["issued"] == 1, answer.json
        listed = client.get(
            f"/api/v1/assertions?badge_id={made.public_id}&per_page=1000", headers=headers
        ).json
        (mine,) = [a for a in listed if a["recipient_email"] == learner.email]
        return client.get(
            mine["ob3_credential_url"], headers={"Accept": "application/ld+json"}
        ).json

    first, second = _learners_below(course, 95)[:2]
    hidden = award_and_fetch(first, 97.0)
    assert "result" not in hidden["credentialSubject"]
    assert "resultDescription" not in hidden["credentialSubject"]["achievement"]
    client.patch(
        f"/api/v1/badges/{made.public_id}", headers=headers, json={"evidence_shows_scores": True}
    )
    shown = award_and_fetch(second, 98.0)
    (description,) = shown["credentialSubject"]["achievement"]["resultDescription"]
    assert description["name"] == "Exam" and description["resultType"] == "Percent"
    assert shown["credentialSubject"]["result"] == [
        {"type": ["Result"], "resultDescription": description["id"], "value": "98"}
    ]
    assert _schema_errors(shown) == []
    _round_trip_keeps_every_key({k: v for k, v in shown.items() if k != "proof"})
    assert verify(json.dumps(shown)).valid
