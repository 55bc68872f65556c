"""``flask lti …``: registrations and keys from the shell."""

from __future__ import annotations

import json
from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from app.audit import CLI
from app.registrations.operations import (
    PlatformSpec,
    RegistrationError,
    import_config_file,
    save_platform,
    set_institution_admins_staff,
    set_registration_status,
)
from app.registrations.queries import registration_summaries
from lti import keys

lti_cli = AppGroup("lti", help="LTI registrations and the tool's keys.")


@lti_cli.command("import-config")
@click.argument("path", required=False)
def import_config(path: str | None) -> None:
    """Import registrations from a pylti1p3 config.json (default: LTI_CONFIG_FILE)."""
    path = path or current_app.config["LTI_CONFIG_FILE"]
    rows = import_config_file(path, CLI)
    click.echo(f"imported {len(rows)} registration(s) from {path}")


@lti_cli.command("add-platform")
@click.option("--issuer", required=True)
@click.option("--client-id", required=True)
@click.option("--auth-login-url", required=True)
@click.option("--auth-token-url", required=True)
@click.option("--key-set-url", required=True)
@click.option("--auth-audience")
@click.option("--deployment-id", "deployment_ids", multiple=True)
@click.option("--name", default="")
@click.option("--json", "as_json", is_flag=True)
def add_platform(
    issuer: str,
    client_id: str,
    auth_login_url: str,
    auth_token_url: str,
    key_set_url: str,
    auth_audience: str | None,
    deployment_ids: tuple[str, ...],
    name: str,
    as_json: bool,
) -> None:
    """Register a platform by hand (manual registration)."""
    try:
        row = save_platform(
            PlatformSpec(
                issuer=issuer,
                client_id=client_id,
                auth_login_url=auth_login_url,
                auth_token_url=auth_token_url,
                key_set_url=key_set_url,
                auth_audience=auth_audience,
                deployment_ids=deployment_ids,
                name=name,
            ),
            actor=CLI,
        )
    except RegistrationError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps({"id": row.id, "issuer": row.issuer, "client_id": row.client_id}))
    else:
        click.echo(f"registration {row.id}: {row.issuer} / {row.client_id}")


@lti_cli.command("rotate-keys")
@click.option(
    "--overlap-days",
    default=7,
    show_default=True,
    help="How long the old key keeps being published.",
)
def rotate_keys(overlap_days: int) -> None:
    """Add a new signing key; old keys stay published for the overlap, then retire."""
    key = keys.rotate(timedelta(days=overlap_days))
    click.echo(f"new signing key {key.kid}")


@lti_cli.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_registrations(as_json: bool) -> None:
    """List registrations: status, deployments, last launch."""
    rows = registration_summaries()
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "id": r.id,
                        "public_id": r.public_id,
                        "name": r.name,
                        "issuer": r.issuer,
                        "client_id": r.client_id,
                        "status": r.status,
                        "method": r.method,
                        "deployments": [
                            {"deployment_id": d.deployment_id, "status": d.status}
                            for d in r.deployments
                        ],
                        "last_launch_at": r.last_launch_at.isoformat()
                        if r.last_launch_at
                        else None,
                    }
                    for r in rows
                ],
                indent=2,
            )
        )
        return
    if not rows:
        click.echo("no registrations")
    for r in rows:
        deployments = (
            ", ".join(
                f"{d.deployment_id}" + ("" if d.status == "active" else f" ({d.status})")
                for d in r.deployments
            )
            or "none"
        )
        last = r.last_launch_at.strftime("%Y-%m-%d %H:%M") if r.last_launch_at else "never"
        click.echo(
            f"{r.id}\t{r.status}\t{r.issuer}\t{r.client_id}\t{r.name}\t"
            f"deployments: {deployments}\tlast launch: {last}"
        )


def _set_status(ref: str, status: str) -> None:
    try:
        row = set_registration_status(ref, status, CLI)
    except RegistrationError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"registration {row.id} ({row.issuer} / {row.client_id}) is now {row.status}")


@lti_cli.command("approve")
@click.argument("registration")
def approve(registration: str) -> None:
    """Approve a registration (its id or public id): launches are accepted."""
    _set_status(registration, "active")


@lti_cli.command("disable")
@click.argument("registration")
def disable(registration: str) -> None:
    """Disable a registration (its id or public id): launches are refused."""
    _set_status(registration, "disabled")


@lti_cli.command("institution-admins")
@click.argument("registration")
@click.option(
    "--staff/--not-staff",
    required=True,
    help="Whether the LMS's institution administrators are staff in every course.",
)
def institution_admins(registration: str, staff: bool) -> None:
    """Opt a registration in or out: its LMS administrators count as course staff."""
    try:
        row = set_institution_admins_staff(registration, staff, CLI)
    except RegistrationError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"registration {row.id}: institution administrators are "
        f"{'staff' if staff else 'not staff'} (from each person's next launch)"
    )
