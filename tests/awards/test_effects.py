"""One happening, one behaviour: an award (and a revocation) leaves the same records and owes
the same side effects whether staff made it on the course pages, an integration over the API
or an operator with the CLI — its decision row, its audit record, the award email and the
webhook event (DESIGN.md point 8)."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.audit import SYSTEM
from app.audit.models import AuditRecord
from app.awards.models import AwardDecision, OutboxMessage
from app.extensions import db
from app.openbadges.models import Assertion
from app.webhooks import operations as webhooks
from tests.factories import BadgeFactory, CourseFactory, PersonFactory, token_for
from tests.notifications.conftest import smtp_server  # noqa: F401  (a fixture)
from tests.support.live import serve
from tests.webhooks.test_delivery import Receiver


def _trail(assertion: Assertion) -> dict[str, object]:
    """Everything an award or revocation left behind, with the path-specific values (who,
    why, which path) reduced to whether they are there."""
    decisions = db.session.scalars(
        select(AwardDecision)
        .where(AwardDecision.assertion_id == assertion.id)
        .order_by(AwardDecision.id)
    )
    records = db.session.scalars(
        select(AuditRecord)
        .where(AuditRecord.subject == f"assertion:{assertion.public_id}")
        .order_by(AuditRecord.seq)
    )
    outbox = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.assertion_id == assertion.id)
        .order_by(OutboxMessage.id)
    )
    return {
        "decisions": [(d.action, bool(d.actor), sorted(d.data)) for d in decisions],
        "audit": [
            (r.action, bool(r.actor), bool(r.tenant), sorted(json.loads(r.data_json)))
            for r in records
        ],
        "outbox": [(m.kind, m.payload.get("type"), m.state, m.recipient) for m in outbox],
    }


def _same_but_path(trails: dict[str, dict[str, object]], names: dict[str, str]) -> None:
    """The trails are equal once each path's own action name is replaced by a placeholder
    and its recipient's address by another."""

    def neutral(path: str) -> str:
        text = json.dumps(trails[path])
        for word in (f"{path}@example.edu", names[path]):
            text = text.replace(word, "<path>")
        return text

    staff = neutral("staff")
    for path in trails:
        assert neutral(path) == staff, (path, trails[path], trails["staff"])


def test_staff_api_and_cli_awards_and_revocations_leave_the_same_records(
    app,
    client,
    runner,
    smtp_server,
):
    context = CourseFactory()
    teacher = PersonFactory(
        course=context, name="Tess Teacher", email="tess@example.edu", staff=True
    )
    learner = PersonFactory(course=context, name="Sam Staffawarded", email="staff@example.edu")
    badge = BadgeFactory(context=context, name="Foundations")
    lt = token_for(context, teacher, staff=True)
    # An admin key: the helper's issuer belongs to no registration.
    key = runner.invoke(args=["api", "create-key", "--json"])
    api = {"Authorization": f"Bearer {json.loads(key.output)['key']}"}
    receiver = Receiver(failures=0)
    with serve(receiver.app, "127.0.0.1") as base:
        webhooks.create_subscription(
            context.registration_id,
            f"{base}/hook",
            ["badge.issued", "badge.revoked"],
            "a-long-enough-secret",
            actor=SYSTEM,
        )

        staff = client.post(
            f"/course/awards/badge/{badge.public_id}/award",
            data={"lt": lt, "user_id": learner.public_id, "reason": "finished the project"},
        )
        assert "note=awarded" in staff.location
        by_api = client.post(
            f"/api/v1/badges/{badge.public_id}/assertions",
            headers=api,
            json={"email": "api@example.edu", "name": "Ada Api"},
        )
        assert by_api.status_code == 201, by_api.text
        by_cli = runner.invoke(
            args=[
                "badges",
                "award",
                badge.public_id,
                "--email",
                "cli@example.edu",
                "--name",
                "Cy Cli",
                "--json",
            ]
        )
        assert by_cli.exit_code == 0, by_cli.output
        assertions = {
            "staff": db.session.scalar(
                select(Assertion).where(Assertion.lti_user_id == learner.id)
            ),
            "api": db.session.scalar(
                select(Assertion).where(Assertion.public_id == by_api.json["id"])
            ),
            "cli": db.session.scalar(
                select(Assertion).where(
                    Assertion.public_id == json.loads(by_cli.output)["assertion_id"]
                )
            ),
        }
        awarded = {path: _trail(a) for path, a in assertions.items()}

        revoked = client.post(
            f"/course/awards/assertion/{assertions['staff'].public_id}/revoke",
            data={"lt": lt, "reason": "wrong learner"},
        )
        assert "note=revoked" in revoked.location
        assert (
            client.post(
                f"/api/v1/assertions/{assertions['api'].public_id}/revoke",
                headers=api,
                json={"reason": "wrong learner"},
            ).status_code
            == 200
        )
        assert (
            runner.invoke(
                args=["badges", "revoke", assertions["cli"].public_id, "--reason", "wrong learner"]
            ).exit_code
            == 0
        )
        db.session.expire_all()
        after = {path: _trail(a) for path, a in assertions.items()}

    # Every path: one decision with its actor and evidence, one audit record, the award
    # email sent to the recipient, the webhook owed and sent.
    assert awarded["staff"] == {
        "decisions": [("manual_award", True, ["evidence"])],
        "audit": [
            (
                "award.manual_award",
                True,
                True,
                ["badge", "evidence", "expires", "issued_on", "learner", "reason"],
            )
        ],
        "outbox": [
            ("notify_award", None, "sent", "staff@example.edu"),
            ("webhook", "badge.issued", "sent", None),
        ],
    }
    _same_but_path(awarded, {"staff": "manual_award", "api": "api", "cli": "cli"})
    assert {m["To"] for m in smtp_server.inbox.messages} == {
        "Sam Staffawarded <staff@example.edu>",
        "Ada Api <api@example.edu>",
        "Cy Cli <cli@example.edu>",
    }
    # And a revocation is one happening too, whoever revoked.
    assert after["staff"]["decisions"][1:] == [("revoke", True, [])]
    assert after["staff"]["audit"][1:] == [("assertion.revoked", True, True, ["badge", "reason"])]
    assert ("webhook", "badge.revoked", "sent", None) in after["staff"]["outbox"]
    _same_but_path(after, {"staff": "manual_award", "api": "api", "cli": "cli"})
    sent = sorted(json.loads(body)["type"] for body, _h in receiver.received)
    assert sent == ["badge.issued"] * 3 + ["badge.revoked"] * 3
