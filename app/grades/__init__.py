"""Grades: the course's columns and grades, AGS/NRPS sync, tracked background jobs.

``operations`` holds the one `GradeEvent` and the roster/column mirrors, ``sync`` pulls a
course from the platform, ``jobs`` tracks and retries background jobs, ``tasks`` declares
them on huey.
"""

import app.models  # noqa: F401  (the model registry first: our models import its modules)
