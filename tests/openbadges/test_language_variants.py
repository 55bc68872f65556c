"""Badge content in several languages: OB 3.0 ``inLanguage``/``related``, OB 2.0
``@language``/``related``, every variant resolvable and valid, and the language choice."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft201909Validator

from app.audit import SYSTEM
from app.openbadges import documents, jsonld, operations
from app.openbadges.translations import (
    TranslationError,
    badge_text,
    best_language,
    normalize_language_tag,
    remove_translation,
    save_translation,
)
from app.openbadges.verify import verify
from tests.openbadges.test_documents import _round_trip_keeps_every_key

ARABIC_NAME = "العمل الجماعي"


@pytest.fixture
def multilingual(badge):
    save_translation(badge, "ar", ARABIC_NAME, "يعمل جيدا ضمن فريق.", "حصل على 80 ٪ في المشروع.")
    save_translation(badge, "es", "Trabajo en equipo", "Trabaja bien en equipo.", "")
    return badge


def _schema_errors(document):
    return [e.message for e in Draft201909Validator(jsonld.ob3_schema()).iter_errors(document)]


def test_credential_links_every_language_variant_and_stays_valid(multilingual):
    assertion = operations.issue(
        multilingual, operations.Recipient(email="ana@example.org")
    ).assertion
    credential = assertion.credential
    achievement = credential["credentialSubject"]["achievement"]
    assert credential["inLanguage"] == achievement["inLanguage"] == "en"
    base = documents.badge_url(multilingual, True)
    assert achievement["related"] == [
        {"id": f"{base}/ar", "type": ["Related"], "inLanguage": "ar"},
        {"id": f"{base}/es", "type": ["Related"], "inLanguage": "es"},
    ]
    assert _schema_errors(credential) == []
    _round_trip_keeps_every_key({k: v for k, v in credential.items() if k != "proof"})
    for form in (json.dumps(credential), assertion.credential_jwt):
        assert verify(form).valid


def test_each_ob3_variant_resolves_in_its_language_and_links_back(client, multilingual):
    default = documents.ob3_achievement(multilingual, context=True)
    credential = operations.issue(
        multilingual, operations.Recipient(email="x@example.org")
    ).assertion.credential
    for related in default["related"]:
        response = client.get(related["id"], headers={"Accept": "application/ld+json"})
        assert response.status_code == 200
        variant = response.get_json()
        assert variant["id"] == related["id"]
        assert variant["inLanguage"] == related["inLanguage"]
        linked = {item["inLanguage"]: item["id"] for item in variant["related"]}
        assert linked["en"] == default["id"]
        assert related["inLanguage"] not in linked
        _round_trip_keeps_every_key(variant)
        # Embedded in a credential, the variant validates against the bundled schema too.
        subject = {"type": ["AchievementSubject"], "achievement": variant}
        assert _schema_errors({**credential, "credentialSubject": subject}) == []
    arabic = client.get(f"{default['id']}/ar").get_json()
    assert arabic["name"] == ARABIC_NAME
    # A variant without its own criteria text shows the default language's.
    spanish = client.get(f"{default['id']}/es").get_json()
    assert spanish["criteria"]["narrative"] == multilingual.criteria_narrative
    assert client.get(f"{default['id']}/fr").status_code == 404


def test_ob2_badgeclass_declares_its_language_and_related_variants(client, multilingual):
    default = documents.ob2_badgeclass(multilingual)
    assert default["@language"] == "en"
    _round_trip_keeps_every_key(default)
    for related in default["related"]:
        variant = client.get(related["id"], headers={"Accept": "application/ld+json"}).get_json()
        assert variant["@language"] == related["@language"]
        assert variant["type"] == "BadgeClass"
        assert {item["@language"] for item in variant["related"]} == {"en", "ar", "es"} - {
            related["@language"]
        }
        _round_trip_keeps_every_key(variant)
    assert client.get(f"{default['id']}/ar").get_json()["name"] == ARABIC_NAME


def test_a_badge_without_variants_says_its_language_and_links_nothing(badge):
    assert "related" not in documents.ob3_achievement(badge)
    assert "related" not in documents.ob2_badgeclass(badge)
    assert documents.ob3_achievement(badge)["inLanguage"] == "en"


def test_variants_are_replaced_and_removed(multilingual):
    save_translation(multilingual, "AR", "اسم جديد", "وصف.", "")
    assert [v.language for v in multilingual.translations] == ["ar", "es"]
    assert badge_text(multilingual, ["ar"]).name == "اسم جديد"
    assert remove_translation(multilingual, "ar") is True
    assert remove_translation(multilingual, "ar") is False
    assert badge_text(multilingual, ["ar"]).language == "en"


@pytest.mark.parametrize(
    ("language", "name", "message"),
    [
        ("arabic please", "x", "not a language tag"),
        ("en", "x", "the badge's own language"),
        ("fr", " ", "needs a name and a description"),
        ("fr", "x" * 301, "at most 300"),
    ],
)
def test_bad_variants_are_refused_with_a_reason(badge, language, name, message):
    with pytest.raises(TranslationError, match=message):
        save_translation(badge, language, name, "description", "")


@pytest.mark.parametrize(
    ("raw", "tag"),
    [
        ("pt_br", "pt-BR"),
        ("ZH-hant-tw", "zh-Hant-TW"),
        ("es-419", "es-419"),
        ("ar", "ar"),
        ("en-US-x-private", None),
        ("", None),
    ],
)
def test_language_tags_are_normalised_to_what_ob3_accepts(raw, tag):
    assert normalize_language_tag(raw) == tag


@pytest.mark.parametrize(
    ("preferred", "expected"),
    [
        (["ar-EG", "en"], "ar"),  # lookup truncates the reader's tag
        (["pt"], "pt-BR"),  # same primary language when nothing matches exactly
        (["fr", "es-MX"], "es"),  # the first preference with a variant wins
        (["de"], "en"),  # nothing matches: the badge's own language
        ([], "en"),
        (["*"], "en"),
        (["PT-br"], "pt-BR"),
    ],
)
def test_best_language_examples(preferred, expected):
    assert best_language(preferred, ["en", "ar", "es", "pt-BR"], "en") == expected


_TAGS = st.sampled_from(["en", "ar", "ar-EG", "es", "es-419", "pt-BR", "pt", "zh-Hant-TW", "de"])


@given(st.lists(_TAGS, max_size=4), st.lists(_TAGS, max_size=4), _TAGS)
def test_best_language_always_answers_with_a_language_that_exists(preferred, available, default):
    chosen = best_language(preferred, available, default)
    assert chosen in [*available, default]
    if preferred and preferred[0] in available:
        assert chosen == preferred[0]
    if not set(tag.split("-")[0] for tag in preferred) & set(t.split("-")[0] for t in available):
        assert chosen == default


def test_public_page_shows_the_visitors_language_where_a_variant_exists(client, multilingual):
    pid = operations.issue(multilingual, operations.Recipient(email="ana@example.org"))
    url = f"/ob/verify/{pid.assertion.public_id}"
    arabic = client.get(url, headers={"Accept-Language": "ar-EG,ar;q=0.9,en;q=0.5"})
    page = arabic.get_data(as_text=True)
    assert f'<h1 id="badge-name" lang="ar" dir="auto">{ARABIC_NAME}</h1>' in page
    assert "حصل على 80 ٪ في المشروع." in page
    assert '<meta property="og:locale" content="ar">' in page
    assert "Accept-Language" in arabic.headers["Vary"]
    german = client.get(url, headers={"Accept-Language": "de-DE,de;q=0.9"}).get_data(as_text=True)
    assert '<h1 id="badge-name" lang="en" dir="auto">Teamwork</h1>' in german


def test_staff_set_the_badges_own_language_with_its_details(multilingual):
    from app.awards import lifecycle

    def details(language):
        return lifecycle.BadgeDetails(
            name=multilingual.name, description=multilingual.description, language=language
        )

    lifecycle.edit_details(multilingual, details("en_gb"), SYSTEM, "staff:test")
    assert multilingual.language == "en-GB"
    assert documents.ob3_achievement(multilingual)["inLanguage"] == "en-GB"
    with pytest.raises(lifecycle.LifecycleError, match="already has a version in ar"):
        lifecycle.edit_details(multilingual, details("ar"), SYSTEM, "staff:test")
    with pytest.raises(lifecycle.LifecycleError, match="not a language tag"):
        lifecycle.edit_details(multilingual, details("english"), SYSTEM, "staff:test")
    assert multilingual.language == "en-GB"
