"""Grades: the course's columns and grades, AGS/NRPS sync, tracked background jobs.

``operations`` holds the one `GradeEvent` and stores grades, ``columns`` and ``roster``
mirror the course's columns and people, ``pushed`` reads pushed and imported grades,
``queries`` holds read-only lookups, ``sync`` pulls a course from the platform, ``jobs``
tracks and retries background jobs, ``tasks`` declares them on huey, ``cli`` holds
``flask grades …``.
"""

from flask import Flask

import app.models  # noqa: F401  (the model registry first: our models import its modules)


def init_app(app: Flask) -> None:
    """Register the ``flask grades`` commands."""
    from app.grades.cli import grades_cli

    app.cli.add_command(grades_cli)
