"""``flask badges …``: issuers, badges and verification from a shell (awarding and revoking
are ``app.awards.cli``'s, on the same group).

A public contract: with ``--json`` every command prints exactly one JSON object; ids printed
are public ids and every command accepts them.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

from app.database import as_utc, by_public_id, find_by_ref
from app.extensions import db
from app.models import Registration
from app.openbadges import badges, issuers
from app.openbadges.errors import OperationError
from app.openbadges.models import Issuer

badges_cli = AppGroup("badges", help="Open Badges: issuers, badges, awards, verification.")


def _emit(as_json: bool, data: dict[str, Any], text: str) -> None:
    click.echo(json.dumps(data) if as_json else text)


def _fail(as_json: bool, code: str, message: str) -> None:
    if as_json:
        click.echo(json.dumps({"error": code, "message": message}))
    else:
        click.echo(f"Error: {message}", err=True)
    sys.exit(1)


def _find(model: type, public_id: str, as_json: bool) -> Any:
    row = by_public_id(model, public_id)
    if row is None:
        _fail(as_json, "not_found", f"no {model.__name__.lower()} with id {public_id}")
    return row


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return as_utc(moment)


json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")


@badges_cli.command("issuer-create")
@click.option("--name", required=True)
@click.option("--url", required=True)
@click.option("--email", required=True)
@click.option("--description", default="")
@click.option(
    "--registration",
    "registration",
    default=None,
    help="Registration (public id or number) the issuer belongs to.",
)
@json_option
def issuer_create(
    name: str, url: str, email: str, description: str, registration: str | None, as_json: bool
) -> None:
    """Create an issuer (with its Ed25519 signing key)."""
    registration_id = None
    if registration:
        found = find_by_ref(Registration, registration)
        if found is None:
            _fail(as_json, "not_found", f"no registration {registration}")
        registration_id = found.id
    try:
        issuer = issuers.create_issuer(
            name, url, email, description=description, registration_id=registration_id
        )
    except OperationError as exc:
        _fail(as_json, exc.code, str(exc))
    _emit(as_json, {"id": issuer.public_id}, f"Issuer {issuer.public_id} created")


@badges_cli.command("create")
@click.option("--issuer", "issuer_id", required=True)
@click.option("--name", required=True)
@click.option("--description", required=True)
@click.option("--criteria", required=True, help="The criteria narrative.")
@click.option("--image", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--design", help="A badge design document (JSON).")
@click.option("--expires-days", type=click.IntRange(min=1))
@click.option("--tag", "tags", multiple=True)
@click.option(
    "--achievement-type",
    default="Badge",
    show_default=True,
    help="OB 3.0 achievementType: Badge, Certificate, Course, … or ext:Name.",
)
@click.option("--language", default="en", show_default=True, help="BCP 47 tag (inLanguage).")
@json_option
def create(
    issuer_id: str,
    name: str,
    description: str,
    criteria: str,
    image: Path | None,
    design: str | None,
    expires_days: int | None,
    tags: tuple[str, ...],
    achievement_type: str,
    language: str,
    as_json: bool,
) -> None:
    """Create an active badge with artwork from --image, --design or the default design."""
    from app.artwork import badge_artwork  # the drawing code: only when creating a badge

    issuer = _find(Issuer, issuer_id, as_json)
    upload = badges.Upload(image.name, image.read_bytes()) if image else None
    try:
        badge = badges.create_badge(
            issuer,
            name,
            description,
            criteria,
            tags=tags,
            artwork=badge_artwork(name, design=design, upload=upload),
            expiry_policy="days" if expires_days else "none",
            expires_days=expires_days,
            achievement_type=achievement_type,
            language=language,
        )
    except OperationError as exc:
        _fail(as_json, exc.code, str(exc))
    _emit(as_json, {"id": badge.public_id}, f"Badge {badge.public_id} created")


@badges_cli.command("issuer-update")
@click.argument("issuer_id")
@click.option("--name")
@click.option("--url")
@click.option("--email")
@click.option("--description")
@click.option(
    "--image-url", "image_url", help="The institution's logo (http(s) URL); '' removes it."
)
@json_option
def issuer_update(issuer_id: str, as_json: bool, **fields: str | None) -> None:
    """Change an issuer's profile: what every new credential and public page shows."""
    issuer = _find(Issuer, issuer_id, as_json)
    changes = {name: value for name, value in fields.items() if value is not None}
    if not changes:
        _fail(
            as_json,
            "invalid",
            "nothing to change: give --name, --url, --email, --description or --image-url",
        )
    try:
        issuers.update_issuer(issuer, **changes)
    except OperationError as exc:
        db.session.rollback()
        _fail(as_json, exc.code, str(exc))
    profile = {name: getattr(issuer, name) for name in issuers.ISSUER_FIELDS}
    _emit(
        as_json,
        {"id": issuer.public_id, **profile},
        f"Issuer {issuer.public_id}: {issuer.name} <{issuer.email}> {issuer.url}",
    )


@badges_cli.command("rotate-key")
@click.argument("issuer_id")
@json_option
def rotate_key(issuer_id: str, as_json: bool) -> None:
    """Give an issuer new signing keys (Ed25519 and P-256); the old ones stay published."""
    issuer = _find(Issuer, issuer_id, as_json)
    key = issuers.rotate_key(issuer)
    _emit(
        as_json,
        {"id": issuer.public_id, "key": key.public_key_multibase},
        f"Issuer {issuer.public_id} now signs with {key.public_key_multibase}",
    )


@badges_cli.command("verify")
@click.argument("source")
@click.option("--email", help="Also check that the badge was issued to this address.")
@json_option
def verify_command(source: str, email: str | None, as_json: bool) -> None:
    """Verify a baked PNG/SVG, a JSON credential, a VC-JWT (files) or a URL."""
    from app.openbadges.verify import verify  # jsonschema: only when verifying

    path = Path(source)
    if source.startswith(("http://", "https://")) or not path.exists():
        report = verify(source, email=email)
    else:
        report = verify(path.read_bytes(), email=email)
    result = report.as_dict()
    if as_json:
        click.echo(json.dumps(result))
    else:
        click.echo("VALID" if report.valid else "INVALID")
        for error in report.errors:
            click.echo(f"  - {error}")
    sys.exit(0 if report.valid else 1)
