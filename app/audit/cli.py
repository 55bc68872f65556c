"""``flask audit verify`` and ``flask audit export``."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from app.analytics.streaming import csv_chunks, json_chunks
from app.audit.chain import as_dict, iter_records, verify

FIELDS = ("seq", "created_at", "actor", "action", "subject", "tenant", "data", "prev_hash", "hash")


@click.group("audit")
def audit_cli() -> None:
    """The tamper-evident audit trail."""


@audit_cli.command("verify")
@with_appcontext
def verify_command() -> None:
    """Recompute the hash chain; exit 1 and name the first broken record if it fails."""
    verdict = verify()
    if verdict.ok:
        click.echo(verdict.describe())
        return
    click.echo(verdict.describe(), err=True)
    sys.exit(1)


@audit_cli.command("export")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="json", show_default=True
)
@click.option(
    "--output",
    "-o",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="File to write (default: standard output).",
)
@click.option("--tenant", default=None, help="Only one registration's records (public id).")
@with_appcontext
def export_command(fmt: str, output, tenant: str | None) -> None:
    """Write every record with its hashes, in chain order, for an accreditor to re-check.

    A tenant's slice keeps each record's own prev_hash/hash; checking the links needs the
    full chain, checking each record's hash does not.
    """
    rows = (as_dict(r) for r in iter_records() if tenant is None or r.tenant == tenant)
    chunks = csv_chunks(FIELDS, rows) if fmt == "csv" else json_chunks(rows)
    for chunk in chunks:
        output.write(chunk)
