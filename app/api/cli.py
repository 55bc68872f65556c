"""``flask api create-key``: bearer keys for scripts and integrations."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

from app.api.auth import create_key
from app.database import find_by_ref
from app.models import Registration

api_cli = AppGroup("api", help="JSON API keys.")


@api_cli.command("create-key")
@click.option("--registration", default=None, help="Registration (public id or number).")
@click.option("--name", default="")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def create_key_command(registration: str | None, name: str, as_json: bool) -> None:
    """Create an API key (admin when no registration is given); prints the key once."""
    registration_id = None
    if registration:
        found = find_by_ref(Registration, registration)
        if found is None:
            click.echo(
                json.dumps({"error": "not_found", "message": "no such registration"})
                if as_json
                else "Error: no such registration",
                err=not as_json,
            )
            sys.exit(1)
        registration_id = found.id
    key, secret = create_key(registration_id, name)
    click.echo(json.dumps({"key": secret, "id": key.public_id}) if as_json else secret)
