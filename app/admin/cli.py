"""``flask admin …``: console accounts from the shell."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.admin import security
from app.admin.operations import AdminError, change_password, create_user, find_user

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


@admin_cli.command("set-password")
@click.option("--email", required=True, help="The admin's email.")
@click.password_option(help="The new password (asked for when omitted).")
def set_password_command(email: str, password: str) -> None:
    """Change an admin's password; every session of the account ends."""
    try:
        change_password(email, password)
    except AdminError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"password of {email} changed; its sessions have ended")


@admin_cli.command("totp-enroll")
@click.option("--email", required=True, help="The admin's email.")
@click.option("--code", help="A code from the app; prompted for after showing the key.")
def totp_enroll_command(email: str, code: str | None) -> None:
    """Turn on two-step sign-in for an admin: shows the key, checks a code, prints the
    recovery codes once."""
    try:
        user = find_user(email)
    except AdminError as exc:
        raise click.ClickException(str(exc)) from exc
    enrolment = security.new_enrolment(user)
    click.echo(f"key: {enrolment.secret}\nlink: {enrolment.uri}")
    try:
        codes = security.enable_totp(
            user, enrolment.secret, code or click.prompt("code from the app")
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("two-step sign-in is on; recovery codes (shown once):")
    click.echo("\n".join(codes))


@admin_cli.command("totp-disable")
@click.option("--email", required=True, help="The admin's email.")
def totp_disable_command(email: str) -> None:
    """Turn off two-step sign-in for an admin who lost their app and recovery codes."""
    try:
        user = find_user(email)
    except AdminError as exc:
        raise click.ClickException(str(exc)) from exc
    security.disable_totp(user)
    security.revoke_all_sessions(user)
    click.echo(f"two-step sign-in of {email} is off; its sessions have ended")
