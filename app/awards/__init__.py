"""Awards: the idempotent award pipeline, the outbox of side effects, the review queue.

``pipeline`` turns grade events into evaluations and assertions, ``operations`` holds staff
actions (preview, manual award and revoke, review decisions, criteria checks), ``outbox``
dispatches the side effects of awards.
"""

import app.models  # noqa: F401  (the model registry first: our models import its modules)
