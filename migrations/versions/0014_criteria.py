"""grade columns say what they measure: a score, the course total, or a completion

``grade_column.kind``: ``score``, ``course_total``, ``activity_completion``,
``module_completion`` or ``course_completion`` (completion columns keep their 0/100 grades).
Existing rows are scores, except the connector columns whose stable keys already say what
they are: the Moodle and Canvas course totals, Moodle activity and course completion.

Revision ID: 0014_criteria
Revises: 0013_credentials_keys_reaward
Create Date: 2026-12-05 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_criteria'
down_revision = '0013_credentials_keys_reaward'
branch_labels = None
depends_on = None

# The keys app/connectors/moodle.py and canvas.py gave these columns (lti_lineitem_id).
_KNOWN = (
    ('course_total', "lti_lineitem_id IN ('moodle:course-total', 'canvas:course-total')"),
    ('course_completion', "lti_lineitem_id = 'moodle:course-completion'"),
    ('activity_completion', "lti_lineitem_id LIKE 'moodle:completion:%'"),
)


def upgrade():
    with op.batch_alter_table('grade_column', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=30), nullable=False,
                                      server_default='score'))
    for kind, where in _KNOWN:
        op.execute(
            sa.text(f"UPDATE grade_column SET kind = :kind WHERE source != 'ags' AND {where}")
            .bindparams(kind=kind)
        )


def downgrade():
    with op.batch_alter_table('grade_column', schema=None) as batch_op:
        batch_op.drop_column('kind')
