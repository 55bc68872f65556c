"""every email is an outbox row: ``email_delivery`` folded into ``outbox``

An award email used to pass two retry tables (its ``notify_award`` outbox row, then an
``email_delivery`` row); now the outbox row is the email's ledger. ``outbox`` gains whom an
email was for (``user_id``, ``recipient``); every ``email_delivery`` row, sent or in flight,
moves into ``outbox`` under the key the code now owes it by (``notify_award:<assertion public
id>``, ``expiry_30:<assertion id>``, ``digest:<user id>:<day>``), folding into the award's
existing ``notify_award`` row; then ``email_delivery`` is dropped. States map as
pending/sending/sent/no_email → the same, retry → pending (its ``next_attempt_at`` kept),
failed → dead (the outbox's dead list, where the console offers a retry).

Revision ID: 0021_infra
Revises: 0020_i18n
Create Date: 2026-12-05 22:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0021_infra"
down_revision = "0020_i18n"
branch_labels = None
depends_on = None

_STATE = {"retry": "pending", "failed": "dead"}
_MOVED = ("attempts", "last_error", "next_attempt_at", "lease_until", "sent_at", "user_id",
          "recipient")


def _tables(bind):
    meta = sa.MetaData()
    return (
        sa.Table("outbox", meta, autoload_with=bind),
        sa.Table("email_delivery", meta, autoload_with=bind),
        sa.Table("ob_assertion", meta, autoload_with=bind),
    )


def upgrade():
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("recipient", sa.String(length=320), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_user_id_lti_user"), "lti_user", ["user_id"], ["id"],
            ondelete="SET NULL",
        )

    bind = op.get_bind()
    outbox, email, assertion = _tables(bind)
    rows = bind.execute(
        sa.select(email, assertion.c.public_id.label("assertion_public_id"))
        .outerjoin(assertion, assertion.c.id == email.c.assertion_id)
        .order_by(email.c.id)
    ).mappings().all()
    for row in rows:
        values = {column: row[column] for column in _MOVED}
        values["state"] = _STATE.get(row["state"], row["state"])
        if row["kind"] == "award":
            if row["assertion_public_id"] is None:
                continue  # its award is gone (the row would have gone with it)
            kind = "notify_award"
            key = f"notify_award:{row['assertion_public_id']}"
            payload = {"assertion_id": row["assertion_public_id"]}
        else:
            kind, key = row["kind"], row["key"]
            payload = {"day": key.rsplit(":", 1)[1]} if kind == "digest" else {}
        held = bind.execute(sa.select(outbox.c.id).where(outbox.c.dedupe_key == key)).scalar()
        if held is not None:
            bind.execute(sa.update(outbox).where(outbox.c.id == held).values(**values))
        else:
            bind.execute(
                sa.insert(outbox).values(
                    kind=kind,
                    dedupe_key=key,
                    assertion_id=row["assertion_id"],
                    payload=payload,
                    created_at=row["created_at"],
                    **values,
                )
            )

    with op.batch_alter_table("email_delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_email_delivery_state")
        batch_op.drop_index(batch_op.f("ix_email_delivery_assertion_id"))
    op.drop_table("email_delivery")


def downgrade():
    op.create_table(
        "email_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("assertion_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("recipient", sa.String(length=320), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["assertion_id"], ["ob_assertion.id"],
                                name=op.f("fk_email_delivery_assertion_id_ob_assertion"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["lti_user.id"],
                                name=op.f("fk_email_delivery_user_id_lti_user"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_delivery")),
        sa.UniqueConstraint("key", name=op.f("uq_email_delivery_key")),
    )
    with op.batch_alter_table("email_delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_email_delivery_assertion_id"), ["assertion_id"],
                              unique=False)
        batch_op.create_index("ix_email_delivery_state", ["state"], unique=False)

    # Emails that reached an outcome move back (what is in flight is owed again by the old
    # code's sweeps); the award's notify_award row stays in the outbox, where it was.
    bind = op.get_bind()
    outbox, email, _assertion = _tables(bind)
    back = {"dead": "failed"}
    mails = bind.execute(
        sa.select(outbox).where(
            outbox.c.kind.in_(("notify_award", "expiry_30", "expiry_0", "digest")),
            outbox.c.state.in_(("sent", "dead", "no_email")),
        )
    ).mappings().all()
    for row in mails:
        award = row["kind"] == "notify_award"
        if award and row["assertion_id"] is None:
            continue
        key = f"award:{row['assertion_id']}" if award else row["dedupe_key"]
        bind.execute(
            sa.insert(email).values(
                key=key,
                kind="award" if award else row["kind"],
                assertion_id=row["assertion_id"],
                user_id=row["user_id"],
                recipient=row["recipient"],
                state=back.get(row["state"], row["state"]),
                attempts=row["attempts"],
                message_id=f"<migrated-{row['id']}@localhost>",
                last_error=row["last_error"],
                created_at=row["created_at"],
                sent_at=row["sent_at"],
            )
        )
    bind.execute(sa.delete(outbox).where(outbox.c.kind.in_(("expiry_30", "expiry_0", "digest"))))
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_outbox_user_id_lti_user"), type_="foreignkey")
        batch_op.drop_column("recipient")
        batch_op.drop_column("user_id")
