"""Which language a page or an email speaks: the launch's locale (as Moodle and Canvas send it,
through the sandbox LMS), the visitor's choice or browser on public pages, the recipient's last
launch for emails."""

from __future__ import annotations

import json
from contextlib import contextmanager

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from app.extensions import db
from app.i18n import (
    SUPPORTED,
    force_locale,
    in_english,
    launch_locale,
    match_locale,
    shown,
    stored,
    translatable,
)
from app.models import LtiUser
from app.notifications import tasks
from lti.sandbox.seed import set_user_language
from lti.services import COURSE_ROSTER, failure_sentence
from tests.factories import AwardFactory, BadgeFactory, CourseFactory, PersonFactory
from tests.notifications.conftest import smtp_server  # noqa: F401  (the fixture)
from tests.support.lti_env import login_of, start_launch

PRESENTATION = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"


@given(st.text(max_size=20))
def test_any_tag_matches_a_supported_locale_or_none(tag):
    assert match_locale(tag) in (*SUPPORTED, None)


def test_lms_spellings_of_a_language_find_the_catalogue():
    assert match_locale("es") == match_locale("es-MX") == match_locale("es_mx") == "es"
    assert match_locale("pt-BR") == match_locale("pt_br") == match_locale("pt") == "pt_BR"
    assert match_locale("ar-SA") == "ar" and match_locale("fr-CA") == "fr"
    assert match_locale("ja") is None and match_locale("not a tag") is None


def test_launch_presentation_locale_wins_over_the_locale_claim():
    assert launch_locale({PRESENTATION: {"locale": "de"}, "locale": "fr"}) == "de"
    assert launch_locale({PRESENTATION: {"document_target": "iframe"}, "locale": "fr"}) == "fr"
    assert launch_locale({PRESENTATION: {"locale": "ja"}, "locale": "pt-BR"}) == "pt_BR"
    assert launch_locale({}) == ""


@contextmanager
def _speaking(env, slug: str, login: str, lang: str):
    """The LMS user prefers ``lang`` for the block (the sandbox is shared by the session)."""
    set_user_language(env.sandbox, slug, login, lang)
    try:
        yield
    finally:
        set_user_language(env.sandbox, slug, login, "en")


def _launch(env, browser, slug: str, login: str):
    return browser.walk(browser.get(start_launch(env, slug, login)))


def test_a_moodle_learner_in_spanish_gets_spanish_pages_and_keeps_the_locale(registered, browser):
    login = login_of(registered, "moodle", "#Learner")
    with _speaking(registered, "moodle", login, "es"):
        page = _launch(registered, browser, "moodle", login)
    assert page.status_code == 200
    assert '<html lang="es" dir="ltr">' in page.text
    assert "Mis insignias" in page.text and "My badges" not in page.text
    # The person's language is kept for their emails.
    assert "es" in set(db.session.scalars(select(LtiUser.locale)))


def test_a_canvas_teacher_in_arabic_gets_a_right_to_left_page(registered, browser):
    login = login_of(registered, "canvas", "#Instructor")
    with _speaking(registered, "canvas", login, "ar"):
        page = _launch(registered, browser, "canvas", login)
    assert page.status_code == 200
    assert '<html lang="ar" dir="rtl">' in page.text


def test_canvas_spelling_pt_br_is_brazilian_portuguese(registered, browser):
    login = login_of(registered, "canvas", "#Learner")
    with _speaking(registered, "canvas", login, "pt-BR"):
        page = _launch(registered, browser, "canvas", login)
    assert '<html lang="pt-BR" dir="ltr">' in page.text


def test_the_next_page_keeps_the_launch_language_without_a_cookie(registered, browser):
    login = login_of(registered, "moodle", "#Instructor")
    with _speaking(registered, "moodle", login, "es"):
        page = _launch(registered, browser, "moodle", login)
    token = page.url.split("lt=")[1]
    # A fresh client: no cookie, a browser asking for English; the signed token decides.
    from requests import get

    awards = get(
        f"{registered.tool_url}/course/awards/",
        params={"lt": token},
        headers={"Accept-Language": "en"},
    )
    assert '<html lang="es"' in awards.text and "Comprobar ahora" in awards.text


def test_public_pages_follow_the_browser_then_the_visitors_choice(client):
    assert '<html lang="es"' in client.get("/", headers={"Accept-Language": "es-ES,es;q=0.9"}).text
    chosen = client.get("/?lang=ar", headers={"Accept-Language": "es"})
    assert '<html lang="ar" dir="rtl">' in chosen.text
    assert "lang=ar" in chosen.headers["Set-Cookie"]
    # The choice is remembered over the browser's wish on the next page.
    assert '<html lang="ar"' in client.get("/", headers={"Accept-Language": "es"}).text
    assert 'data-testid="language-switcher"' in chosen.text


def test_the_award_email_speaks_the_learners_last_launch_language(smtp_server, app):
    course = CourseFactory(title="Biología 101")
    learner = PersonFactory(course=course, name="Ana Lima", email="ana@example.org")
    learner.locale = "es"
    db.session.commit()
    assertion = AwardFactory(
        badge=BadgeFactory(context=course, name="Primeros auxilios"),
        user=learner,
    )
    tasks.send_award_email(assertion.id)
    [mail] = smtp_server.inbox.messages
    assert mail["Subject"] == "Ha obtenido la insignia Primeros auxilios en Biología 101"
    assert mail["Content-Language"] == "es"
    text = mail.get_body(("plain",)).get_content()
    assert "Estimado/a Ana Lima:" in text and "Acepte su insignia" in text


def test_a_stored_message_is_shown_in_the_readers_language(app):
    """Sentences kept in the database (a connector's last problem) are stored as template and
    values, so the console and the course page show them in their reader's language; text
    stored before (plain English) is shown as it is."""
    problem = translatable(
        "The web service user's role lacks %(what)s, needed by %(function)s. Allow it in the"
        " role assigned to that user at system level (Site administration > Users >"
        " Permissions > Define roles).",
        what=translatable("a capability"),
        function="core_course_get_contents",
    )
    kept = stored([problem, translatable("The file is empty.")])
    assert kept != str(problem) and json.loads(kept)
    with app.test_request_context(), force_locale("en"):
        assert shown(kept) == f"{problem} The file is empty."
    with app.test_request_context(), force_locale("de"):
        assert shown(kept).startswith("Der Rolle des Webservice-Benutzers fehlt eine Berechtigung,")
        assert shown(kept).endswith("Die Datei ist leer.")
        assert shown("Plain text from before.") == "Plain text from before."
        assert shown(None) == ""
        # The API and logs read the English, whatever the request's language.
        assert in_english(kept) == f"{problem} The file is empty."
        assert in_english("Plain text from before.") == "Plain text from before."
        assert in_english(None) == ""
    assert stored(["no", "messages"]) == "no messages"


def test_an_lms_service_error_is_translated_with_the_phrase_it_names(app):
    """lti/ writes its errors as Messages (it may not import app.i18n): the sentence and the
    thing it was reading are both in the catalogue, the platform's name stays as it is."""
    error = failure_sentence("School Moodle", COURSE_ROSTER, 500)
    assert error == "School Moodle had an internal error (HTTP 500) with the course roster."
    kept = stored(error)
    with app.test_request_context(), force_locale("fr"):
        assert shown(kept) == (
            "School Moodle a eu une erreur interne (HTTP 500) avec la liste des participants "
            "du cours."
        )
        assert in_english(kept) == str(error)
