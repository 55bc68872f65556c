"""``flask badges award`` and ``flask badges revoke``: awards from a shell, recorded and
announced like every other (``app.awards``), as the CLI. They join the ``badges`` group of
``app.openbadges.cli``, whose Open Badges core knows nothing of the audit trail.
"""

from __future__ import annotations

import click

from app.audit import CLI
from app.awards import operations as awards
from app.awards.models import DecisionAction
from app.openbadges import operations, urls
from app.openbadges.cli import _date, _emit, _fail, _find, badges_cli, json_option
from app.openbadges.errors import OperationError
from app.openbadges.models import Assertion, Badge


@badges_cli.command("award")
@click.argument("badge_id")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--evidence", "evidence_urls", multiple=True, help="Evidence URL (repeatable).")
@click.option("--narrative", help="Evidence narrative.")
@click.option("--expires", help="Expiry date (ISO 8601), instead of the badge's policy.")
@json_option
def award(
    badge_id: str,
    email: str,
    name: str,
    evidence_urls: tuple[str, ...],
    narrative: str | None,
    expires: str | None,
    as_json: bool,
) -> None:
    """Award a badge (idempotent: a learner's live award is returned again)."""
    badge = _find(Badge, badge_id, as_json)
    evidence = [{"url": url} for url in evidence_urls]
    if narrative:
        evidence.append({"narrative": narrative})
    try:
        issued = awards.award_directly(
            badge,
            operations.Recipient(email=email, name=name),
            action=DecisionAction.CLI_AWARD,
            actor=CLI,
            evidence=evidence,
            expires_at=_date(expires),
        )
    except (OperationError, ValueError) as exc:
        _fail(as_json, getattr(exc, "code", "invalid"), str(exc))
    public_id = issued.assertion.public_id
    links = urls.assertion_links(public_id)
    _emit(
        as_json,
        {"assertion_id": public_id, "created": issued.created, **links},
        f"Assertion {public_id}{'' if issued.created else ' (already awarded)'}\n"
        + "\n".join(f"  {k}: {v}" for k, v in links.items()),
    )


@badges_cli.command("revoke")
@click.argument("assertion_id")
@click.option("--reason", required=True)
@json_option
def revoke(assertion_id: str, reason: str, as_json: bool) -> None:
    """Revoke an award (OB 2.0 says revoked; the OB 3.0 status list bit is set)."""
    assertion = _find(Assertion, assertion_id, as_json)
    try:
        awards.revoke(assertion, reason, actor=CLI)
    except OperationError as exc:
        _fail(as_json, exc.code, str(exc))
    _emit(
        as_json,
        {"id": assertion.public_id, "revoked": True},
        f"Assertion {assertion.public_id} revoked",
    )
