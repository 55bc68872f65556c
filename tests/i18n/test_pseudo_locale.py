"""Nothing people read bypasses the catalogue: with a pseudo-locale whose every translation is
the English wrapped in ⟦…⟧, every page (staff, learner, designer, analytics, the public
verification page, error pages, the landing page and the admin console) and every email is
rendered, and any visible word outside the markers that is not data (a course title, a badge
name, a person, a date, a number, a product name) fails the test, named with its page.

After merging new strings: ``python scripts/i18n.py``, translate what ``missing`` lists; this
test then says which visible strings are still not marked at all.
"""

from __future__ import annotations

import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel import Locale
from babel.dates import get_day_names, get_month_names
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from app.audit import SYSTEM
from app.awards.operations import badge_saved
from app.extensions import db
from app.grades.models import Column
from app.grades.sync import sync_course
from app.i18n import SUPPORTED
from app.learner.tokens import make_accept_token
from app.models import Context, LtiUser, Registration
from app.notifications import messages
from app.openbadges.models import Assertion, Badge, Issuer
from app.profile.models import LearnerProfile
from lti.sandbox.seed import launch_url, set_user_language
from tests.grades.support import new_badge, new_course
from tests.support.browser import Browser

PSEUDO = "eo"  # a locale no catalogue ships; Babel formats its dates and numbers
OPEN, CLOSE = "⟦", "⟧"
MARKED = re.compile(f"{OPEN}[^{CLOSE}]*{CLOSE}")
WORD = re.compile(r"[^\W\d_]{2,}")
# Names that stay as they are in every language: products, formats, protocols.
PROPER = {
    "LMS", "Badgebridge", "Moodle", "Canvas", "LinkedIn", "LTI", "JSON", "CSV", "PNG", "SVG", "PDF",
    "HTTP", "UTC", "OpenAPI", "JWKS", "VC", "JWT", "OIDC", "Open", "Badges", "ID", "URL", "API",
    "Learner", "Credential", "Wallet",  # Learner Credential Wallet, an app
}  # fmt: skip
# Machine text shown as such. (The criteria engine's sentences go through the catalogue too:
# app.i18n installs its translator in app.criteria.language.)
SKIP_TAGS = {"script", "style", "code", "pre", "textarea", "svg"}
ATTRIBUTES = ("alt", "title", "aria-label", "placeholder")


@pytest.fixture
def pseudo(app, tmp_path):
    """A compiled ⟦…⟧ catalogue for ``eo``, added to the app's languages for the test."""
    with (Path(app.root_path) / "translations" / "en" / "LC_MESSAGES" / "messages.po").open(
        "rb"
    ) as f:
        english = read_po(f)
    catalog = Catalog(locale=Locale.parse(PSEUDO), domain="messages")
    for message in english:
        if message.id:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            forms = tuple(f"{OPEN}{ids[min(i, len(ids) - 1)]}{CLOSE}" for i in range(2))
            catalog.add(message.id, forms if isinstance(message.id, tuple) else forms[0])
    out = tmp_path / PSEUDO / "LC_MESSAGES"
    out.mkdir(parents=True)
    with (out / "messages.mo").open("wb") as f:
        write_mo(f, catalog)
    babel = app.extensions["babel"]
    directories = list(babel.translation_directories)
    languages = app.config["LANGUAGES"]
    babel.translation_directories = [*directories, str(tmp_path)]
    app.config["LANGUAGES"] = (*SUPPORTED, PSEUDO)
    try:
        yield
    finally:
        babel.translation_directories = directories
        app.config["LANGUAGES"] = languages


class _Visible(HTMLParser):
    """The text a person reads: text nodes and the attributes read aloud or shown."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.texts: list[str] = []

    def _skipping(self) -> bool:
        return any(skip for _tag, skip in self.stack)

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        skip = tag in SKIP_TAGS
        if tag not in ("br", "img", "input", "meta", "link", "hr", "source"):
            self.stack.append((tag, skip))
        if not (skip or self._skipping()):
            self.texts += [values[a] for a in ATTRIBUTES if values.get(a)]
            if tag == "meta" and values.get("name") == "description":
                self.texts.append(values.get("content") or "")

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if data.strip() and not self._skipping():
            self.texts.append(data)


def _data_words() -> list[str]:
    """What the database holds (people's and courses' own words), longest first."""
    values: set[str] = set()
    for model, fields in (
        (Context, ("title", "label")),
        (LtiUser, ("name", "given_name", "family_name", "email", "sub")),
        (Badge, ("name", "description", "criteria_narrative")),
        (Issuer, ("name", "url", "email")),
        (Column, ("label",)),
        (Registration, ("name", "issuer", "client_id", "platform_name", "product_family")),
        (Assertion, ("recipient_name", "recipient_email", "revocation_reason")),
    ):
        for row in db.session.scalars(select(model)):
            values.update(str(getattr(row, f, "") or "") for f in fields)
    for assertion in db.session.scalars(select(Assertion)):  # evidence: the engine's English
        for item in assertion.evidence or []:
            values.update(str(item.get(key) or "") for key in ("name", "narrative"))
    pseudo = Locale.parse(PSEUDO)
    for width in ("wide", "abbreviated"):
        values.update(get_month_names(width, locale=pseudo).values())
        values.update(get_day_names(width, locale=pseudo).values())
    values.update(Locale.parse(code).get_display_name(code).capitalize() for code in SUPPORTED)
    values.update(Locale.parse(PSEUDO).get_display_name(PSEUDO).capitalize() for _ in "x")
    return sorted((v for v in values if v.strip()), key=len, reverse=True)


def _unmarked(text: str, data: list[str]) -> list[str]:
    text = re.sub(r"https?://\S+|\S+@\S+", " ", MARKED.sub(" ", text))
    for value in data:
        text = text.replace(value, " ")
    return [w for w in WORD.findall(text) if w not in PROPER]


def _without_marked(html: str) -> str:
    """The page with every ⟦…⟧ span removed, innermost first (a marked string may hold
    markup, and another marked string as a placeholder's value)."""
    while True:
        stripped = re.sub(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}", " ", html)
        if stripped == html:
            return html
        html = stripped


def _check(pages: dict[str, str]) -> None:
    data = _data_words()
    found = []
    for name, html in pages.items():
        parser = _Visible()
        parser.feed(_without_marked(html))
        for text in parser.texts:
            words = _unmarked(text, data)
            if words:
                found.append(f"{name}: {' '.join(text.split())[:160]!r} (unmarked: {words[:6]})")
    assert not found, "visible text that did not go through the catalogue:\n" + "\n".join(found)


def _launch_refused(client) -> str:
    """The page an LMS gets for a launch that carries no id_token (lti/errors.py)."""
    response = client.post(f"/lti/launch?lang={PSEUDO}", data={"state": "no-such-state"})
    assert response.status_code in (400, 401), response.text[:300]
    return response.text


def _launch_token(env, browser, course, login: str) -> str:
    set_user_language(env.sandbox, course.slug, login, PSEUDO)
    page = browser.walk(
        browser.get(launch_url(env.sandbox, course.slug, course.info.course_id, login))
    )
    assert page.status_code == 200, page.text
    return page.url.split("lt=")[1].split("&")[0]


def _cookie_check_page(env, course, login: str) -> str:
    """The page a login without platform storage answers first (it checks that the state
    cookie works, and offers a new window where it does not), for a browser asking for the
    pseudo-locale: the login carries no launch, so the browser's language is what it has."""
    browser = Browser()
    browser.session.headers["Accept-Language"] = PSEUDO
    browser.walk(browser.get(launch_url(env.sandbox, course.slug, course.info.course_id, login)))
    pages = [page.text for page in browser.history if "lti1p3-loading-msg" in page.text]
    assert pages, "no cookie check on the way"
    return pages[0]


def _designer_answers(client, token: str, badge: Badge) -> dict[str, str]:
    """The designer's refusals and warnings (written by badge_design in English, shown in the
    instructor's language), each as a paragraph of a page."""
    auth = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    refused = client.post(
        "/course/designer/preview",
        json={
            "design": {
                "title": "\ub620" * 41,  # too long, and a Hangul syllable no font draws
                "subtitle": "\ub620",
                "border": {"color": "#000", "width": 99},
                "fill": {"type": "solid", "color": "#12"},
                "colour": "#fff",
            }
        },
        headers=auth,
    ).json["errors"]
    warned = client.post(
        "/course/designer/preview",
        json={"design": {"fill": {"type": "solid", "color": "#ffffff"}, "text_color": "#eeeeee"}},
        headers=auth,
    ).json["warnings"]
    upload = client.post(
        "/course/designer/upload",
        data={"file": (io.BytesIO(b"not an image"), "1.2"), "badge": badge.public_id},
        headers=auth,
    ).json["errors"]
    png = io.BytesIO()
    Image.new("RGBA", (60, 30), (0, 0, 0, 255)).save(png, format="PNG")
    uploaded = client.post(
        "/course/designer/upload",
        data={"file": (io.BytesIO(png.getvalue()), "1.png"), "badge": badge.public_id},
        headers=auth,
    ).json["warnings"]
    assert refused and warned and upload and uploaded
    texts = [*refused.values(), *warned, *upload.values(), *uploaded]
    return {"designer answers": "".join(f"<p>{text}</p>" for text in texts)}


def _course_record(client, token: str) -> str:
    """The learner's course record: its name and description, and each course's."""
    record = client.post(
        "/learner/record", data={"lt": token, "format": "json", "scope": "all"}
    ).json
    courses = record["credentialSubject"].get("achievement", [])
    texts = [record["name"], record["description"]]
    texts += [c[key] for c in courses for key in ("name", "description")]
    texts += [c["criteria"]["narrative"] for c in courses]
    return "".join(f"<p>{text}</p>" for text in texts)


def _certificate(client, public_id: str) -> str:
    """The PDF certificate's text, read back from the PDF."""
    pdf = client.get(f"/ob/verify/{public_id}/certificate.pdf", query_string={"lang": PSEUDO})
    assert pdf.mimetype == "application/pdf"
    return f"<p>{PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()}</p>"


def test_every_page_speaks_only_through_the_catalogue(pseudo, registered, browser, client, admin):
    db.session.commit()  # the console sign-in's read must not hide the live server's writes
    course = new_course(registered, browser, learners=2, score_fraction=1.0)
    sync_course(course.context.id)  # columns, grades and the roster from the LMS
    column = course.column("Exam")
    # The sandbox's scores lie between 35 and 100 %: both learners qualify.
    badge = new_badge(course.context, {"column": column.public_id, "min_percent": 30})
    badge_saved(badge, SYSTEM, requested_by="test")  # awards both learners (inline queue)
    # Out of reach, so the learner page shows the engine's progress lines for it.
    stretch = new_badge(
        course.context,
        {
            "all": [{"column": column.public_id, "min_points": 10**6}, {"badge": badge.public_id}],
            "earn_by": "2099-06-30",
        },
        name="Stretch",
    )
    badge_saved(stretch, SYSTEM, requested_by="test")
    teacher = _launch_token(registered, browser, course, course.info.teacher_login)
    learner = _launch_token(registered, browser, course, course.info.learner_logins[0])
    awards = db.session.scalars(select(Assertion).where(Assertion.badge_id == badge.id)).all()
    assert len(awards) == 2
    assertion = awards[0]
    registration = db.session.get(Registration, course.context.registration_id)

    def get(path: str, token: str | None = None, **query) -> str:
        if token:
            query["lt"] = token
        else:
            query.setdefault("lang", PSEUDO)
        response = client.get(path, query_string=query)
        assert response.status_code < 500, (path, response.text[:500])
        assert f'lang="{PSEUDO}"' in response.text, f"{path} is not in the pseudo-locale"
        return response.text

    def post(path: str, token: str, **form) -> str:
        response = client.post(path, data={"lt": token, **form})
        assert response.status_code < 500, (path, response.text[:500])
        assert f'lang="{PSEUDO}"' in response.text, f"{path} is not in the pseudo-locale"
        return response.text

    pages = {
        "staff course page": get("/course/staff", teacher),
        "awards page": get("/course/awards/", teacher),
        "badge page": get(f"/course/awards/badge/{badge.public_id}", teacher),
        "unearned badge page": get(f"/course/awards/badge/{stretch.public_id}", teacher),
        "designer": get("/course/designer/", teacher),
        "course analytics": get("/course/analytics/", teacher),
        "learner page": get("/course/learner", learner),
        "all my badges": get("/learner/all", learner),
        "verification page": get(f"/ob/verify/{assertion.public_id}"),
        "badge not found page": get("/ob/verify/no-such-badge"),
        "landing page": get("/"),
        "email's accept page": get(f"/learner/accept/{make_accept_token(assertion.public_id)}"),
        "launch refused page": _launch_refused(client),
        "launch error page": get("/course/staff"),
        "404 page": get("/no/such/page"),
        "console registrations": get("/admin/"),
        "console registration": get(f"/admin/registrations/{registration.public_id}"),
        "console analytics": get(f"/admin/analytics/{registration.public_id}"),
        "console webhooks": get(f"/admin/webhooks/{registration.public_id}"),
        "console keys": get("/admin/keys"),
        "console account": get("/admin/account"),
        "console people": get("/admin/people/"),
        "console failed work": get("/admin/dead-items/"),
        "console connector": get(f"/admin/connectors/{registration.public_id}"),
        "console insights": get("/admin/analytics/"),
        "console new registration": get("/admin/registrations/new"),
        "connected apps page": get("/learner/apps", learner),
        "app code not found page": post("/learner/apps/connect", learner, code="NOPE-NOPE"),
        "profile settings": get("/learner/profile", learner),
        "Open Badges API terms": get("/ob3/terms"),
        "email's wallet page": get(
            f"/learner/accept/{make_accept_token(assertion.public_id)}/wallet"
        ),
    }
    # The learner's own award: the wallet offer page and a public profile showing it.
    own = next(
        a.public_id
        for a in awards
        if client.post(f"/learner/wallet/badge/{a.public_id}", data={"lt": learner}).status_code
        == 200
    )
    pages["wallet offer page"] = post(f"/learner/wallet/badge/{own}", learner)
    pages["cookie check page"] = _cookie_check_page(registered, course, course.info.teacher_login)
    pages.update(_designer_answers(client, teacher, badge))
    pages["course record"] = _course_record(client, learner)
    pages["PDF certificate"] = _certificate(client, assertion.public_id)
    # The designer's starting title is the catalogue's (in the page's JSON data).
    default = re.search(r'id="designer-default">([^<]*)<', pages["designer"])[1]
    assert json.loads(default)["title"] == f"{OPEN}Badge title{CLOSE}"
    client.post("/learner/profile", data={"lt": learner, "public": "on", "badge": own})
    slug = db.session.scalar(select(LearnerProfile.slug))
    pages["public profile"] = get(f"/profile/{slug}")
    _check(pages)


def test_every_email_speaks_only_through_the_catalogue(pseudo, registered, browser, app):
    course = new_course(registered, browser, learners=1, score_fraction=1.0)
    sync_course(course.context.id)
    badge = new_badge(course.context, {"column": course.column("Exam").public_id, "min_percent": 0})
    badge_saved(badge, SYSTEM, requested_by="test")
    (assertion,) = db.session.scalars(select(Assertion).where(Assertion.badge_id == badge.id))
    db.session.get(LtiUser, assertion.lti_user_id).locale = PSEUDO
    db.session.commit()
    mails = {
        "award email": messages.award_message(assertion, "k1"),
        "expiry email": messages.expiry_message(assertion, "k2", today=False),
        "digest email": messages.digest_message(
            key="k3",
            name=assertion.recipient_name or "",
            email="t@example.edu",
            day="2026-12-04",
            courses=[
                messages.DigestCourse(
                    "",
                    [
                        messages.DigestLine(
                            assertion.recipient_name or "",
                            badge.name,
                            "10:00 UTC",
                            "https://x.example",
                        )
                    ],
                )
            ],
            locale=PSEUDO,
        ),
    }
    pages = {}
    for name, mail in mails.items():
        subject = mail["Subject"]
        html = mail.get_body(("html",)).get_content()
        plain = mail.get_body(("plain",)).get_content()
        pages[f"{name} (subject)"] = f"<p>{subject}</p>"
        pages[f"{name} (HTML)"] = html
        pages[f"{name} (text)"] = "<pre-text>" + plain.replace("<", " ") + "</pre-text>"
    _check(pages)
