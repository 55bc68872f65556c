"""``flask grades …``: sync a course on demand, run the sweep, manage grade-event secrets."""

from __future__ import annotations

import json
from typing import TypeVar

import click
from flask.cli import AppGroup

from app.database import find_by_ref
from app.grades import jobs
from app.grades.pushed import event_secret
from app.models import Context, Registration

M = TypeVar("M")

grades_cli = AppGroup("grades", help="Grade syncs and pushed grade events.")


def _find(model: type[M], ref: str) -> M:
    row = find_by_ref(model, ref)
    if row is None:
        raise click.ClickException(f"no {model.__name__.lower()} {ref}")
    return row


@grades_cli.command("sync")
@click.argument("context")
def sync_command(context: str) -> None:
    """Queue a sync of a course (public id or number); prints the job id."""
    job = jobs.request_job(jobs.SYNC, _find(Context, context).id, requested_by="cli")
    click.echo(json.dumps({"job_id": job.public_id}))


@grades_cli.command("sweep")
def sweep_command() -> None:
    """Run the periodic sweep once (syncs due, stale jobs, undelivered outbox rows)."""
    from app.grades.tasks import sweep

    click.echo(json.dumps(sweep()))


@grades_cli.command("webhook-secret")
@click.option("--registration", required=True, help="Registration (public id or number).")
@click.option("--rotate", is_flag=True, help="Replace the secret with a new one.")
def secret_command(registration: str, rotate: bool) -> None:
    """Print the HMAC secret for signing ``POST /api/v1/grade-events`` of a registration."""
    found = _find(Registration, registration)
    click.echo(
        json.dumps(
            {"registration_id": found.public_id, "secret": event_secret(found.id, rotate=rotate)}
        )
    )
