"""Awards: the idempotent award pipeline, the outbox of side effects, the review queue.

``pipeline`` turns grade events into evaluations and assertions, ``operations`` holds the
actions of staff, the API and the CLI (preview, awards and revocations, acceptances, review
decisions, criteria checks), ``effects`` writes what each of those happenings owes (decision,
audit record, outbox rows) for every path, ``outbox`` dispatches the side effects of awards.
``views`` and ``lifecycle_views`` are the staff pages inside the LMS iframe (the
``course_awards`` blueprint, under ``/course/awards``).
"""

from flask import Flask

import app.models  # noqa: F401  (the model registry first: our models import its modules)


def init_app(app: Flask) -> None:
    """Add ``award`` and ``revoke`` to the ``flask badges`` commands."""
    from app.awards import cli  # noqa: F401  (registers the commands on the group)
