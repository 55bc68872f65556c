"""The learner's CLR 2.0 course record: downloaded from My badges and All my badges, valid
against 1EdTech's ClrCredential schema, signed (Data Integrity and VC-JWT) so that it and each
credential inside it verify, scores only where the instructor allows, and only the learner's
own badges that hold now."""

from __future__ import annotations

import json

from jsonschema import Draft201909Validator

from app.extensions import db
from app.openbadges import operations, verify
from app.openbadges.jsonld import clr_schema
from tests.factories import (
    AwardFactory,
    BadgeFactory,
    CourseFactory,
    IssuerFactory,
    MembershipFactory,
    PersonFactory,
    token_for,
)


def _download(client, token: str, **form: str):
    return client.post("/learner/record", data={"lt": token, "format": "json", **form})


def _assert_clr_valid(document: dict) -> None:
    errors = [e.message for e in Draft201909Validator(clr_schema()).iter_errors(document)]
    assert errors == []


def test_course_record_lists_my_badges_with_scores_only_where_allowed(app, client):
    course = CourseFactory(title="Biology 101")
    ana = PersonFactory(course=course, name="Ana Lima", email="ana@example.org")
    ben = PersonFactory(course=course, name="Ben", email="ben@example.org")
    issuer = IssuerFactory()
    cells = BadgeFactory(issuer=issuer, context=course, name="Cells")
    cells.evidence_shows_scores = True
    db.session.commit()
    genetics = BadgeFactory(
        issuer=issuer,
        context=course,
        name="Genetics",
        criteria={"all": [{"badge": cells.public_id}]},
    )
    operations.issue_many(
        cells,
        [
            operations.Award(
                operations.Recipient(email=ana.email, name=ana.name, lti_user_id=ana.id),
                results=[{"criterion": 0, "name": "Quiz 1", "percent": 92.5}],
            )
        ],
    )
    operations.issue_many(
        genetics,
        [
            operations.Award(
                operations.Recipient(email=ana.email, name=ana.name, lti_user_id=ana.id),
                results=[{"criterion": 0, "name": "Quiz 2", "percent": 71}],
            )
        ],
    )
    AwardFactory(badge=BadgeFactory(issuer=issuer, context=course, name="Ben's only"), user=ben)
    revoked = AwardFactory(
        badge=BadgeFactory(issuer=issuer, context=course, name="Withdrawn"), user=ana
    )
    operations.revoke(revoked, "in error")

    response = _download(client, token_for(course, ana))
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    record = json.loads(response.data)
    _assert_clr_valid(record)
    assert record["type"] == ["VerifiableCredential", "ClrCredential"]
    subject = record["credentialSubject"]
    names = [c["name"] for c in subject["verifiableCredential"]]
    assert names == ["Cells", "Genetics"]  # not Ben's, not the revoked one
    inner = {c["name"]: c for c in subject["verifiableCredential"]}
    achievements = {n: inner[n]["credentialSubject"]["achievement"] for n in names}
    # Scores only for the badge whose instructor shows them.
    assert inner["Cells"]["credentialSubject"]["result"][0]["value"] == "92.5"
    assert "resultDescription" in achievements["Cells"]
    assert "result" not in inner["Genetics"]["credentialSubject"]
    assert "resultDescription" not in achievements["Genetics"]
    # The course is the record's one listed achievement; the badges are part of it, and the
    # prerequisite precedes the badge that requires it.
    [course_achievement] = subject["achievement"]
    assert course_achievement["achievementType"] == "Course"
    assert course_achievement["name"] == "Biology 101"
    links = {(a["associationType"], a["sourceId"], a["targetId"]) for a in subject["association"]}
    assert links == {
        ("isPartOf", achievements["Cells"]["id"], course_achievement["id"]),
        ("isPartOf", achievements["Genetics"]["id"], course_achievement["id"]),
        ("precedes", achievements["Cells"]["id"], achievements["Genetics"]["id"]),
    }

    report = verify.verify(response.data)
    assert report.valid, report.errors
    assert report.details["format"] == "clr2" and report.details["credentials"] == 2

    # Altered after signing: the proof no longer verifies.
    record["credentialSubject"]["achievement"][0]["name"] = "Advanced Genetics"
    tampered = verify.verify(json.dumps(record))
    assert not tampered.valid
    assert any("altered" in e for e in tampered.errors)

    jwt = _download(client, token_for(course, ana), format="jwt")
    assert jwt.status_code == 200 and jwt.mimetype == "application/vc+jwt"
    jwt_report = verify.verify(jwt.get_data(as_text=True))
    assert jwt_report.valid, jwt_report.errors
    assert jwt_report.details["format"] == "clr2"


def test_the_command_line_verifier_checks_a_downloaded_record(app, client, tmp_path):
    course = CourseFactory(title="Biology 101")
    ana = PersonFactory(course=course, name="Ana Lima", email="ana@example.org")
    AwardFactory(badge=BadgeFactory(context=course, name="Cells"), user=ana)
    saved = tmp_path / "record.json"
    saved.write_bytes(_download(client, token_for(course, ana)).data)
    result = app.test_cli_runner().invoke(args=["badges", "verify", str(saved), "--json"])
    report = json.loads(result.output.strip().splitlines()[-1])
    assert result.exit_code == 0 and report["valid"] and report["format"] == "clr2"
    record = json.loads(saved.read_text())
    record["credentialSubject"]["verifiableCredential"][0]["name"] = "Forged"
    saved.write_text(json.dumps(record))
    result = app.test_cli_runner().invoke(args=["badges", "verify", str(saved), "--json"])
    report = json.loads(result.output.strip().splitlines()[-1])
    assert not report["valid"]
    assert any(e.startswith("credential 1:") for e in report["errors"])


def test_record_of_all_courses_and_nothing_to_record(app, client):
    biology = CourseFactory(title="Biology 101")
    ana = PersonFactory(course=biology, name="Ana Lima", email="ana@example.org")
    chemistry = CourseFactory(deployment=biology.deployment, title="Chemistry 101")
    MembershipFactory(context=chemistry, user=ana)
    issuer = IssuerFactory()
    AwardFactory(badge=BadgeFactory(issuer=issuer, context=biology, name="Cells"), user=ana)
    AwardFactory(badge=BadgeFactory(issuer=issuer, context=chemistry, name="Titration"), user=ana)

    course_only = json.loads(_download(client, token_for(biology, ana)).data)
    assert [c["name"] for c in course_only["credentialSubject"]["verifiableCredential"]] == [
        "Cells"
    ]
    everything = _download(client, token_for(biology, ana), scope="all")
    record = json.loads(everything.data)
    _assert_clr_valid(record)
    names = sorted(c["name"] for c in record["credentialSubject"]["verifiableCredential"])
    assert names == ["Cells", "Titration"]
    courses = [a["name"] for a in record["credentialSubject"]["achievement"]]
    assert courses == ["Biology 101", "Chemistry 101"]
    assert verify.verify(everything.data).valid
    # The pages offer the downloads.
    assert 'data-testid="course-record"' in client.get(
        "/course/learner", query_string={"lt": token_for(biology, ana)}
    ).get_data(as_text=True)
    assert 'data-testid="course-record"' in client.get(
        "/learner/all", query_string={"lt": token_for(biology, ana)}
    ).get_data(as_text=True)

    newcomer = PersonFactory(course=biology, name="Cleo", email="cleo@example.org")
    empty = _download(client, token_for(biology, newcomer))
    assert empty.status_code == 404
    assert "nothing to put in a record" in empty.get_data(as_text=True)
    assert client.post("/learner/record").status_code == 401
