"""``flask admin …``: console accounts from the shell."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.admin.operations import AdminError, create_user

admin_cli = AppGroup("admin", help="The admin console's accounts.")


@admin_cli.command("create-user")
@click.option("--email", required=True, help="The admin's email (their login).")
@click.option("--password", help="At least 12 characters; one is generated when omitted.")
def create_user_command(email: str, password: str | None) -> None:
    """Create an admin console account."""
    try:
        user, used = create_user(email, password)
    except AdminError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"admin account {user.email} created")
    if password is None:
        click.echo(f"password: {used}")
