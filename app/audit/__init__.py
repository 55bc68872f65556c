"""The tamper-evident audit trail: append-only records in a SHA-256 hash chain.

Every issuing decision, manual award, revocation, review decision, criteria change and
registration change appends a record (``record`` / ``record_many``) in the transaction that
makes the change. ``flask audit verify`` recomputes the chain; ``flask audit export`` hands it
to accreditors. The application has no code path that updates or deletes a record.
"""

# app.models re-exports this package's models: importing it first lets either import order
# finish without a circular-import error.
import app.models  # noqa: F401
from app.audit.actor import CLI, PIPELINE, SYSTEM, Actor
from app.audit.chain import Entry, Verdict, verify
from app.audit.operations import (
    award_entries,
    record,
    record_many,
    review_entries,
    tenant_of_badge,
    tenant_of_registration,
)

__all__ = [
    "CLI",
    "PIPELINE",
    "SYSTEM",
    "Actor",
    "Entry",
    "Verdict",
    "award_entries",
    "record",
    "record_many",
    "review_entries",
    "tenant_of_badge",
    "tenant_of_registration",
    "verify",
]
